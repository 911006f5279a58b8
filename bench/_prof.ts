import path from 'node:path';
import { bundledModelDir, loadLocalGraphModel, tensorflow } from '../backend/src/detect/detectors/tfjs-runtime.js';
const { tf } = await tensorflow('wasm');
const name = process.argv[2] ?? 'centernet';
const model = await loadLocalGraphModel(tf, path.join(bundledModelDir(), name + '.json'));
const shape = model.inputs[0]!.shape!.map((d) => (d < 0 ? 1 : d));
console.log('input', shape, 'outputs', model.outputs.map((o) => o.name + ' ' + o.shape));
const input = tf.zeros(shape);
for (let i = 0; i < 3; i++) { const o = model.execute(input) as any; (Array.isArray(o) ? o : [o]).forEach((t: any) => t.dataSync() && t.dispose()); }
const prof = await tf.profile(() => { const o = model.execute(input) as any; (Array.isArray(o) ? o : [o]).forEach((t: any) => t.dataSync()); return o; });
const by = new Map<string, { n: number; ms: number }>();
let total = 0;
for (const k of prof.kernels) { const ms = Number(k.kernelTimeMs) || 0; total += ms; const e = by.get(k.name) ?? { n: 0, ms: 0 }; e.n++; e.ms += ms; by.set(k.name, e); }
console.log('kernels', prof.kernels.length, 'total ms', total.toFixed(1));
for (const [k, v] of [...by].sort((a, b) => b[1].ms - a[1].ms).slice(0, 20)) console.log(k.padEnd(28), v.n, v.ms.toFixed(1));
const top = [...prof.kernels].sort((a, b) => Number(b.kernelTimeMs) - Number(a.kernelTimeMs)).slice(0, 12);
for (const k of top) console.log(k.name, JSON.stringify(k.inputShapes), Number(k.kernelTimeMs).toFixed(2));
