import type { GraphModel, Tensor } from '@tensorflow/tfjs';
import { nonMaxSuppression } from '../nms.js';
import { COCO_LABELS } from './coco-labels.js';
import { toImageBox, type TfDetectorOptions } from './centernet.js';
import { cropResizeToFloat, fullRect } from './preprocess.js';
import { loadDetectorModel, warmUp, type Tf, type TfBackend } from './tfjs-runtime.js';
import type {
  DetectOptions,
  DetectResult,
  ObjectDetector,
  RawDetection,
  RgbImage,
} from '../../contract/detector.js';

/** Bins of the distance distribution per box side (General Focal Loss head, reg_max = 10). */
const BINS = 11;
const STRIDES = [8, 16, 32] as const;
/** ImageNet mean/std in 0–255 (the model was trained on these, in BGR channel order). */
const MEAN_BGR = [103.53, 116.28, 123.675] as const;
const STD_BGR = [57.375, 57.12, 58.395] as const;

/**
 * NanoDet-m (COCO, 80 classes), a one-stage anchor-free detector with a GFL head. Input [1, 3, S, S] (NCHW),
 * normalised BGR. Three feature levels (strides 8, 16, 32), each with class scores [N, 80] (sigmoid applied) and
 * box distributions [N, 4 × 11]: the distance of each side from the cell centre is the expectation of a softmax
 * over 11 bins, times the stride. Non-maximum suppression is ours.
 */
export class NanoDetDetector implements ObjectDetector {
  readonly name = 'nanodet';
  #input: Float32Array;

  static readonly nativeInputSize = 416;

  private constructor(
    private readonly tf: Tf,
    private readonly model: GraphModel,
    readonly backend: TfBackend,
    readonly inputSize: number,
  ) {
    this.#input = new Float32Array(inputSize * inputSize * 3);
  }

  static async create(options: TfDetectorOptions): Promise<NanoDetDetector> {
    const { tf, backend, model } = await loadDetectorModel(options, 'nanodet.json');
    return warmUp(new NanoDetDetector(tf, model, backend, NanoDetDetector.nativeInputSize));
  }

  async detect(image: RgbImage, options: DetectOptions): Promise<DetectResult> {
    const { tf, inputSize: size } = this;
    const region = options.region ?? fullRect(image);
    const t0 = performance.now();
    const shape = { width: size, height: size };
    const rgb = cropResizeToFloat(image, region, shape, 'nchw', this.#input);
    const plane = size * size;
    // NCHW RGB 0–255 → BGR normalised, in place: swap the R and B planes while normalising.
    for (let i = 0; i < plane; i++) {
      const r = rgb[i] as number;
      const b = rgb[2 * plane + i] as number;
      rgb[i] = (b - MEAN_BGR[0]) / STD_BGR[0];
      rgb[plane + i] = ((rgb[plane + i] as number) - MEAN_BGR[1]) / STD_BGR[1];
      rgb[2 * plane + i] = (r - MEAN_BGR[2]) / STD_BGR[2];
    }
    const input = tf.tensor4d(rgb, [1, 3, size, size], 'float32');
    const t1 = performance.now();
    let outputs: Tensor[];
    let data: Float32Array[];
    try {
      outputs = this.model.execute(input) as Tensor[];
      try {
        data = (await Promise.all(outputs.map((o) => o.data()))) as Float32Array[];
      } finally {
        for (const o of outputs) o.dispose();
      }
    } finally {
      input.dispose();
    }
    const t2 = performance.now();
    const candidates: RawDetection[] = [];
    for (const stride of STRIDES) {
      const cells = Math.ceil(size / stride) ** 2;
      const clsIdx = outputs.findIndex((o) => o.shape[1] === cells && o.shape[2] === COCO_LABELS.length);
      const regIdx = outputs.findIndex((o) => o.shape[1] === cells && o.shape[2] === 4 * BINS);
      const cls = data[clsIdx];
      const reg = data[regIdx];
      if (!cls || !reg) throw new Error(`NanoDet output for stride ${stride} not found`);
      decodeLevel(cls, reg, stride, size, options.minScore, (classIndex, score, box) => {
        const label = COCO_LABELS[classIndex] as string;
        const imageBox = toImageBox(box, shape, region, image);
        if (imageBox[2] > imageBox[0] && imageBox[3] > imageBox[1])
          candidates.push({ label, classIndex, score, box: imageBox });
      });
    }
    const detections = nonMaxSuppression(candidates, options.nmsIou);
    const t3 = performance.now();
    return {
      detections,
      timings: { preprocessMs: t1 - t0, inferenceMs: t2 - t1, postprocessMs: t3 - t2 },
      input: shape,
    };
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** Decodes one feature level; calls `emit` for each class score ≥ minScore with a box in input pixels. */
export function decodeLevel(
  cls: Float32Array,
  reg: Float32Array,
  stride: number,
  inputSize: number,
  minScore: number,
  emit: (classIndex: number, score: number, box: [number, number, number, number]) => void,
): void {
  const side = Math.ceil(inputSize / stride);
  const classes = COCO_LABELS.length;
  const dist = [0, 0, 0, 0];
  for (let cell = 0; cell < side * side; cell++) {
    let distDone = false;
    for (let c = 0; c < classes; c++) {
      const score = cls[cell * classes + c] as number;
      if (score < minScore) continue;
      if (!distDone) {
        for (let s = 0; s < 4; s++) {
          const base = cell * 4 * BINS + s * BINS;
          let max = -Infinity;
          for (let k = 0; k < BINS; k++) max = Math.max(max, reg[base + k] as number);
          let sum = 0;
          let expect = 0;
          for (let k = 0; k < BINS; k++) {
            const e = Math.exp((reg[base + k] as number) - max);
            sum += e;
            expect += e * k;
          }
          dist[s] = (expect / sum) * stride;
        }
        distDone = true;
      }
      const cx = ((cell % side) + 0.5) * stride;
      const cy = (Math.floor(cell / side) + 0.5) * stride;
      emit(c, score, [
        cx - (dist[0] as number),
        cy - (dist[1] as number),
        cx + (dist[2] as number),
        cy + (dist[3] as number),
      ]);
    }
  }
}
