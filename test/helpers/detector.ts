import type {
  DetectOptions,
  DetectResult,
  ObjectDetector,
  RgbImage,
} from '../../backend/src/contract/detector.js';

/**
 * A real detector seen through a wrapper: it answers for the wrapped one and passes every call on. Tests extend it
 * to count, record or serialise calls; disposing it leaves the wrapped detector to its owner.
 */
export class DelegatingDetector implements ObjectDetector {
  constructor(protected readonly inner: ObjectDetector) {}
  get name() {
    return this.inner.name;
  }
  get backend() {
    return this.inner.backend;
  }
  get inputSize() {
    return this.inner.inputSize;
  }
  detect(image: RgbImage, options: DetectOptions): Promise<DetectResult> {
    return this.inner.detect(image, options);
  }
  dispose() {}
}
