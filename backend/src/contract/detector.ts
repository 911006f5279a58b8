/**
 * The object detector contract: what the detection stage hands a detector plugin (CenterNet and NanoDet in
 * TensorFlow.js today, in a worker thread) and what it gets back. Plugins register by name in
 * `detect/detectors/registry.ts`.
 */
import type { Box } from './media.js';

/** Packed RGB pixels (3 bytes per pixel, row-major). An AnalysisFrame is one. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A rectangle in pixels of the source image. */
export interface PixelRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One object found by a detector; the box is normalised to the whole image (not the analysed region). */
export interface RawDetection {
  label: string;
  classIndex: number;
  score: number;
  box: Box;
}

/** Where the time of one detector call went, ms. */
export interface DetectTimings {
  preprocessMs: number;
  inferenceMs: number;
  postprocessMs: number;
}

export interface DetectOptions {
  /** Analyse only this part of the image (a crop around motion); the whole image when absent. */
  region?: PixelRect;
  /** Raw detections under this score are dropped before non-maximum suppression. */
  minScore: number;
  /** IoU above which the weaker box of the same label is suppressed. */
  nmsIou: number;
  /**
   * Long side of the model input for this call, pixels (the short side follows the image's aspect ratio); the
   * detector's own `inputSize` when absent. Detectors with a fixed input shape ignore it.
   */
  inputSize?: number;
}

export interface DetectResult {
  detections: RawDetection[];
  timings: DetectTimings;
  /** The model input the image was analysed at, pixels. */
  input: { width: number; height: number };
}

/** An object detector plugin. Implementations hold a model; dispose frees it. */
export interface ObjectDetector {
  /** Registry name, e.g. "centernet". */
  readonly name: string;
  /** The TensorFlow.js backend in use. */
  readonly backend: 'tfjs-node' | 'wasm' | 'cpu';
  /** Model input size in pixels: the long side of the input (the side of a square input). */
  readonly inputSize: number;
  detect(image: RgbImage, options: DetectOptions): Promise<DetectResult>;
  dispose(): void;
}
