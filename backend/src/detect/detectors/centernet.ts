import path from 'node:path';
import type { GraphModel, io, Tensor } from '@tensorflow/tfjs';
import type { Box } from '../../contract/media.js';
import { nonMaxSuppression } from '../nms.js';
import { COCO_LABELS } from './coco-labels.js';
import { cropResizeToFloat, fullRect, inputShapeFor, type InputShape } from './preprocess.js';
import {
  bundledModelDir,
  readModelArtifacts,
  tensorflow,
  withInputSize,
  type Tf,
  type TfBackend,
} from './tfjs-runtime.js';
import type {
  DetectOptions,
  DetectResult,
  ObjectDetector,
  RawDetection,
  RgbImage,
} from '../../contract/detector.js';

export interface TfDetectorOptions {
  backend: 'auto' | TfBackend;
  /** model.json to load; the bundled one when absent. */
  modelPath?: string;
  /**
   * Long side of the analysed image when a call names none (`detect.inputSize`), and the size the model is
   * compiled at when it loads; the trained size when absent. Detectors with a fixed input shape ignore it.
   */
  inputSize?: number;
}

/** Input sizes kept loaded at once (each a copy of the model's weights on the backend, about 8 MB). */
const MAX_INPUT_SHAPES = 6;

/**
 * MobileNetV3 CenterNet (COCO, 80 classes). Input [1, H, W, 3] RGB 0–255; trained at 512×512. The network is fully
 * convolutional, so it runs at any size that is a multiple of 32 (`withInputSize`): each frame is analysed at its
 * own aspect ratio, its long side at `inputSize` — a 4:3 frame at 512×384 is three quarters of the work of
 * stretching it to 512×512. The model's own output `tower_0/detections` [1, 100, 6] = x1, y1, x2, y2 (input pixels),
 * score, class holds its top 100 peaks; we read the class heat map and box sides instead and decode the peaks above
 * the candidate score ourselves (`decodePeaks`), which gives the same detections for less work.
 */
export class CenterNetDetector implements ObjectDetector {
  readonly name = 'centernet';
  /** The model at each input size in use, least recently used first. */
  readonly #models = new Map<string, GraphModel>();
  #input = new Float32Array(0);

  private constructor(
    private readonly tf: Tf,
    private readonly artifacts: io.ModelArtifacts,
    readonly backend: TfBackend,
    readonly inputSize: number,
  ) {}

  /** The size the model was trained at (square). */
  static readonly nativeInputSize = 512;
  /** Input sides must be multiples of the network's largest stride. */
  static readonly inputMultiple = 32;

  static async create(options: TfDetectorOptions): Promise<CenterNetDetector> {
    const { tf, backend } = await tensorflow(options.backend);
    const artifacts = await readModelArtifacts(
      options.modelPath ?? path.join(bundledModelDir(), 'centernet.json'),
    );
    const detector = new CenterNetDetector(
      tf,
      artifacts,
      backend,
      options.inputSize ?? CenterNetDetector.nativeInputSize,
    );
    // Loads and compiles the model at the configured input size for 4:3 frames, the common camera shape.
    await detector.detect(
      { width: 640, height: 480, data: new Uint8Array(640 * 480 * 3) },
      { minScore: 1, nmsIou: 0.5 },
    );
    return detector;
  }

  /** The input shapes (width×height) the model is compiled at right now, least recently used first. */
  loadedInputShapes(): string[] {
    return [...this.#models.keys()];
  }

  /** The model for one input size, loaded on first use. */
  async #model(shape: InputShape): Promise<GraphModel> {
    const key = `${shape.width}x${shape.height}`;
    let model = this.#models.get(key);
    if (model) {
      this.#models.delete(key);
    } else {
      const artifacts = withInputSize(this.artifacts, shape.height, shape.width);
      model = await this.tf.loadGraphModel({ load: async () => artifacts });
      for (const [k, old] of this.#models) {
        if (this.#models.size < MAX_INPUT_SHAPES) break;
        old.dispose();
        this.#models.delete(k);
      }
    }
    this.#models.set(key, model);
    return model;
  }

  async detect(image: RgbImage, options: DetectOptions): Promise<DetectResult> {
    const { tf } = this;
    const region = options.region ?? fullRect(image);
    const shape = inputShapeFor(region, options.inputSize ?? this.inputSize, CenterNetDetector.inputMultiple);
    const model = await this.#model(shape);
    const t0 = performance.now();
    const length = shape.width * shape.height * 3;
    if (this.#input.length !== length) this.#input = new Float32Array(length);
    cropResizeToFloat(image, region, shape, 'nhwc', this.#input);
    const input = tf.tensor4d(this.#input, [1, shape.height, shape.width, 3], 'float32');
    const t1 = performance.now();
    let raw: Float32Array;
    try {
      const [logits, wh] = model.execute(input, [CLASS_LOGITS, BOX_SIDES]) as [Tensor, Tensor];
      try {
        const [, h, w, c] = logits.shape as [number, number, number, number];
        raw = decodePeaks(
          await this.#read(logits),
          await this.#read(wh),
          { height: h, width: w, classes: c, stride: shape.width / w },
          options.minScore,
        );
      } finally {
        logits.dispose();
        wh.dispose();
      }
    } finally {
      input.dispose();
    }
    const t2 = performance.now();
    const candidates: RawDetection[] = [];
    for (let i = 0; i + 5 < raw.length; i += 6) {
      const score = raw[i + 4] as number;
      if (!(score >= options.minScore)) continue;
      const classIndex = Math.round(raw[i + 5] as number);
      const label = COCO_LABELS[classIndex];
      if (!label) continue;
      const box = toImageBox(
        [raw[i] as number, raw[i + 1] as number, raw[i + 2] as number, raw[i + 3] as number],
        shape,
        region,
        image,
      );
      if (box[2] <= box[0] || box[3] <= box[1]) continue;
      candidates.push({ label, classIndex, score, box });
    }
    const detections = nonMaxSuppression(candidates, options.nmsIou);
    const t3 = performance.now();
    return {
      detections,
      timings: { preprocessMs: t1 - t0, inferenceMs: t2 - t1, postprocessMs: t3 - t2 },
      input: shape,
    };
  }

  /**
   * A float32 tensor's values. On WebAssembly, a view of the backend's memory instead of a copy (3.9 MB for the
   * heat map of a 512×384 input): valid until the tensor is disposed or the backend runs again, so it is decoded
   * before either.
   */
  async #read(t: Tensor): Promise<Float32Array> {
    const backend = this.tf.backend() as { typedArrayFromHeap?: (t: Tensor) => Float32Array };
    if (this.backend === 'wasm' && backend.typedArrayFromHeap) return backend.typedArrayFromHeap(t);
    return (await t.data()) as Float32Array;
  }

  dispose(): void {
    for (const model of this.#models.values()) model.dispose();
    this.#models.clear();
  }
}

/** The class heat map before its sigmoid, [1, H, W, classes], and the box sides, [1, H, W, 4] (input pixels). */
export const CLASS_LOGITS = 'tower_0/CenternetHead/centernet_cls_output/BiasAdd';
export const BOX_SIDES = 'tower_0/wh';
/** The model's own decoding keeps this many peaks (its TopK). */
const MAX_PEAKS = 100;

/**
 * CenterNet's peak decoding in plain JS, the same as the model's own `tower_0/detections` tail (sigmoid, 3×3 max
 * pool, equality, top 100, box from the cell and its four sides) but only for cells scoring at least `minScore`:
 * the graph's version compares, casts and sorts all 1.3 million heat-map values on every frame. The sigmoid is
 * monotonic, so peaks are found on the logits and only the peaks' scores are computed.
 * Returns [x1, y1, x2, y2, score, class] per peak in input pixels, best first, like the model's output.
 */
export function decodePeaks(
  logits: Float32Array,
  sides: Float32Array,
  grid: { height: number; width: number; classes: number; stride: number },
  minScore: number,
): Float32Array {
  const { height: H, width: W, classes: C, stride } = grid;
  const p = Math.min(Math.max(minScore, 1e-6), 1 - 1e-6);
  const threshold = Math.log(p / (1 - p));
  const peaks: Array<{ score: number; cell: number; cls: number }> = [];
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const cell = y * W + x;
      const base = cell * C;
      for (let c = 0; c < C; c++) {
        const v = logits[base + c] as number;
        if (!(v >= threshold) || !isPeak(logits, v, x, y, c, W, H, C)) continue;
        peaks.push({ score: 1 / (1 + Math.exp(-v)), cell, cls: c });
      }
    }
  }
  peaks.sort((a, b) => b.score - a.score);
  const n = Math.min(MAX_PEAKS, peaks.length);
  const out = new Float32Array(n * 6);
  for (let i = 0; i < n; i++) {
    const { score, cell, cls } = peaks[i] as (typeof peaks)[0];
    const cx = (cell % W) * stride;
    const cy = Math.floor(cell / W) * stride;
    out[i * 6] = cx - (sides[cell * 4] as number);
    out[i * 6 + 1] = cy - (sides[cell * 4 + 1] as number);
    out[i * 6 + 2] = cx + (sides[cell * 4 + 2] as number);
    out[i * 6 + 3] = cy + (sides[cell * 4 + 3] as number);
    out[i * 6 + 4] = score;
    out[i * 6 + 5] = cls;
  }
  return out;
}

/** Whether no neighbour of the same class in the 3×3 window scores higher (the max pool equals the value). */
function isPeak(
  logits: Float32Array,
  v: number,
  x: number,
  y: number,
  c: number,
  W: number,
  H: number,
  C: number,
): boolean {
  for (let dy = -1; dy <= 1; dy++) {
    const yy = y + dy;
    if (yy < 0 || yy >= H) continue;
    for (let dx = -1; dx <= 1; dx++) {
      const xx = x + dx;
      if (xx < 0 || xx >= W || (dx === 0 && dy === 0)) continue;
      if ((logits[(yy * W + xx) * C + c] as number) > v) return false;
    }
  }
  return true;
}

/** Maps a box in model-input pixels of a region back to normalised coordinates of the whole image. */
export function toImageBox(
  inputBox: Box,
  input: InputShape,
  region: { x: number; y: number; width: number; height: number },
  image: { width: number; height: number },
): Box {
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  const sx = region.width / input.width;
  const sy = region.height / input.height;
  return [
    clamp((region.x + inputBox[0] * sx) / image.width),
    clamp((region.y + inputBox[1] * sy) / image.height),
    clamp((region.x + inputBox[2] * sx) / image.width),
    clamp((region.y + inputBox[3] * sy) / image.height),
  ];
}
