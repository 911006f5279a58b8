import type { TfDetectorOptions } from './centernet.js';
import type { ObjectDetector } from '../../contract/detector.js';

/** Creates a detector plugin from its options. */
export type DetectorFactory = (options: TfDetectorOptions) => Promise<ObjectDetector>;

// Detector modules load on first use: TensorFlow.js adds tens of megabytes to a heap, which the main thread (it
// only needs the names; the models run in worker threads) would otherwise carry and garbage-collect for nothing.
const factories = new Map<string, DetectorFactory>([
  ['centernet', async (o) => (await import('./centernet.js')).CenterNetDetector.create(o)],
  ['nanodet', async (o) => (await import('./nanodet.js')).NanoDetDetector.create(o)],
]);

/** Names of the registered detector plugins. */
export function detectorNames(): string[] {
  return [...factories.keys()];
}

/** Registers a detector plugin (e.g. a Coral or ONNX detector) under a name. */
export function registerDetector(name: string, factory: DetectorFactory): void {
  if (factories.has(name)) throw new Error(`a detector named "${name}" is already registered`);
  factories.set(name, factory);
}

/** Thrown for a detector name nobody registered: a configuration error the user must fix. */
export class UnknownDetectorError extends Error {
  readonly field = 'detect.detector';
  constructor(name: string) {
    super(`detect.detector: unknown detector "${name}"; available: ${detectorNames().join(', ')}`);
    this.name = 'UnknownDetectorError';
  }
}

/** Creates the detector registered under `name`; an unknown name is a configuration error. */
export async function createDetector(name: string, options: TfDetectorOptions): Promise<ObjectDetector> {
  const factory = factories.get(name);
  if (!factory) throw new UnknownDetectorError(name);
  return factory(options);
}
