import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { bundledModelDir, loadLocalGraphModel, tensorflow } from '../backend/src/detect/detectors/tfjs-runtime.js';
await tensorflow('wasm');
const orig = tf.getKernel('Mean', 'wasm')!;
if (process.argv[2] === 'fast') {
  tf.registerKernel({
    kernelName: 'Mean', backendName: 'wasm',
    kernelFunc: (args: any) => {
      const { inputs, attrs, backend } = args;
      const x = inputs.x; const axis = ([] as number[]).concat(attrs.axis).map((a: number) => (a < 0 ? a + x.shape.length : a)).sort();
      if (x.shape.length === 4 && axis.length === 2 && axis[0] === 1 && axis[1] === 2 && x.dtype === 'float32') {
        const avg = tf.getKernel('AvgPool', 'wasm')!;
        const out: any = avg.kernelFunc({ inputs: { x }, backend, attrs: { filterSize: [x.shape[1], x.shape[2]], strides: [x.shape[1], x.shape[2]], pad: 'valid', dimRoundingMode: undefined } });
        if (!attrs.keepDims) out.shape = [x.shape[0], x.shape[3]];
        return out;
      }
      return (orig.kernelFunc as any)(args);
    },
  });
}
const x = tf.randomNormal([1, 128, 128, 128], 0, 1, 'float32', 7);
const ref = tf.mean(x, [1, 2], true);
console.log(ref.shape, (await ref.data()).slice(0, 3));
const model = await loadLocalGraphModel(tf as any, path.join(bundledModelDir(), 'centernet.json'));
const input = tf.randomUniform([1, 512, 512, 3], 0, 255, 'float32', 7);
let res: Float32Array | undefined;
const ts: number[] = [];
for (let i = 0; i < 15; i++) { const c0 = process.cpuUsage(); const o = model.execute(input, ['tower_0/detections']) as tf.Tensor; res = (await o.data()) as Float32Array; o.dispose(); const c = process.cpuUsage(c0); ts.push((c.user + c.system) / 1000); }
ts.sort((a, b) => a - b);
console.log(process.argv[2] ?? 'orig', 'cpu ms median', ts[7]!.toFixed(1), 'first dets', Array.from(res!.slice(0, 12)).map((v) => v.toFixed(3)).join(','));
