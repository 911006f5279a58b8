import path from 'node:path';
import type { GraphModel, Tensor } from '@tensorflow/tfjs';
import type { Box } from '../../contract/media.js';
import { nonMaxSuppression } from '../nms.js';
import { COCO_LABELS } from './coco-labels.js';
import { cropResizeToFloat, fullRect } from './preprocess.js';
import { bundledModelDir, loadLocalGraphModel, tensorflow, type Tf, type TfBackend } from './tfjs-runtime.js';
import type { DetectOptions, DetectResult, ObjectDetector, RawDetection, RgbImage } from './types.js';

export interface TfDetectorOptions {
  backend: 'auto' | TfBackend;
  /** model.json to load; the bundled one when absent. */
  modelPath?: string;
}

/**
 * MobileNetV3 CenterNet (COCO, 80 classes). Input [1, S, S, 3] RGB 0–255; output `tower_0/detections`
 * [1, 100, 6] = x1, y1, x2, y2 (input pixels), score, class — the model already picks the top 100 peaks.
 */
export class CenterNetDetector implements ObjectDetector {
  readonly name = 'centernet';
  #input: Float32Array;

  private constructor(
    private readonly tf: Tf,
    private readonly model: GraphModel,
    readonly backend: TfBackend,
    readonly inputSize: number,
  ) {
    this.#input = new Float32Array(inputSize * inputSize * 3);
  }

  static readonly nativeInputSize = 512;

  static async create(options: TfDetectorOptions): Promise<CenterNetDetector> {
    const { tf, backend } = await tensorflow(options.backend);
    const model = await loadLocalGraphModel(
      tf,
      options.modelPath ?? path.join(bundledModelDir(), 'centernet.json'),
    );
    const detector = new CenterNetDetector(tf, model, backend, CenterNetDetector.nativeInputSize);
    // The first run compiles kernels and allocates; do it now rather than on the first camera frame.
    await detector.detect(
      { width: 8, height: 8, data: new Uint8Array(8 * 8 * 3) },
      { minScore: 1, nmsIou: 0.5 },
    );
    return detector;
  }

  async detect(image: RgbImage, options: DetectOptions): Promise<DetectResult> {
    const { tf, inputSize: size } = this;
    const region = options.region ?? fullRect(image);
    const t0 = performance.now();
    cropResizeToFloat(image, region, size, 'nhwc', this.#input);
    const input = tf.tensor4d(this.#input, [1, size, size, 3], 'float32');
    const t1 = performance.now();
    let raw: Float32Array;
    try {
      const out = this.model.execute(input, ['tower_0/detections']) as Tensor;
      try {
        raw = (await out.data()) as Float32Array;
      } finally {
        out.dispose();
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
        size,
        region,
        image,
      );
      if (box[2] <= box[0] || box[3] <= box[1]) continue;
      candidates.push({ label, classIndex, score, box });
    }
    const detections = nonMaxSuppression(candidates, options.nmsIou);
    const t3 = performance.now();
    return { detections, timings: { preprocessMs: t1 - t0, inferenceMs: t2 - t1, postprocessMs: t3 - t2 } };
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** Maps a box in model-input pixels of a region back to normalised coordinates of the whole image. */
export function toImageBox(
  inputBox: Box,
  inputSize: number,
  region: { x: number; y: number; width: number; height: number },
  image: { width: number; height: number },
): Box {
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  const sx = region.width / inputSize;
  const sy = region.height / inputSize;
  return [
    clamp((region.x + inputBox[0] * sx) / image.width),
    clamp((region.y + inputBox[1] * sy) / image.height),
    clamp((region.x + inputBox[2] * sx) / image.width),
    clamp((region.y + inputBox[3] * sy) / image.height),
  ];
}
