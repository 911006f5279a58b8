import os from 'node:os';
import type { DetectConfig } from '../contract/config/detect.js';
import type { CameraDetectStats } from '../contract/detect-api.js';
import type { AnalysisFrame } from '../contract/media.js';
import type { Logger } from '../platform/log.js';
import { RecentSamples } from '../platform/recent-samples.js';
import { WorkerDetector } from './detectors/worker-detector.js';
import type { ObjectDetector, PixelRect, RawDetection } from '../contract/detector.js';
import { detectMetrics } from './metrics.js';
import { composeMosaic, MOSAIC_CELLS, mosaicLayout, splitMosaic, type MosaicLayout } from './mosaic.js';

/** A frame waiting for the detector. */
export interface ScheduledFrame {
  frame: AnalysisFrame;
  /** Analyse only this part (a crop around motion). */
  region?: PixelRect;
  /** When the frame arrived (performance.now()). */
  receivedAt: number;
}

export interface DetectionSchedulerOptions {
  config: DetectConfig;
  /** Detectors already loaded (benchmarks, tests), kept by their owner; otherwise the configured ones are loaded. */
  detectors?: ObjectDetector[];
  /** Where the detector's start-up is logged (the composing service's logger). */
  log: Logger;
  /** The per-camera counters frames dropped for being behind, and frames analysed in a mosaic, are added to. */
  statsOf(cameraId: string): CameraDetectStats;
  /**
   * Receives each analysed frame's detections, one frame of a camera at a time and in order; the next frame of
   * that camera waits until it resolves. `scoreScale` scales score thresholds (frames analysed in a mosaic cell).
   */
  onDetections(item: ScheduledFrame, detections: readonly RawDetection[], scoreScale: number): Promise<void>;
}

/** After dropping a frame for being behind, lone frames are analysed at mosaic resolution this long (ms). */
const BEHIND_MS = 2000;

/**
 * Schedules object detection: one queue shared by all cameras (when full, the oldest frame of the same camera is
 * dropped, so video ingest never waits), one detector per worker thread, frames of one camera analysed in order,
 * and, when the detectors fall behind, several cameras' frames analysed as one mosaic instead of being dropped.
 */
export class DetectionScheduler {
  readonly #config: DetectConfig;
  readonly #log: Logger;
  readonly #options: DetectionSchedulerOptions;
  readonly #queue: ScheduledFrame[] = [];
  readonly #inferenceMs = new RecentSamples();
  /** The loaded detectors (one per worker thread); `#idle` holds those not analysing a frame right now. */
  #detectors: ObjectDetector[];
  #idle: ObjectDetector[] = [];
  /** The detectors are loaded and take frames. */
  #ready = false;
  /** Cameras with a frame being analysed: frames of one camera are analysed in order, one at a time. */
  readonly #busyCameras = new Set<string>();
  readonly #inFlight = new Set<Promise<void>>();
  #loading: Promise<void> | undefined;
  readonly #abortLoading = new AbortController();
  #loadError: Error | undefined;
  #stopping = false;
  /** Until when (performance.now()) the detectors count as behind: frames were dropped shortly before. */
  #behindUntil = -Infinity;

  constructor(options: DetectionSchedulerOptions) {
    this.#options = options;
    this.#config = options.config;
    this.#log = options.log;
    this.#detectors = options.detectors ?? [];
  }

  /**
   * Loads the configured detectors in the background (a second or two) and starts taking frames once they are
   * ready; frames that arrive meanwhile wait in the queue.
   */
  load(): void {
    this.#loading ??= this.#load();
  }

  async #load(): Promise<void> {
    if (!this.#detectors.length) {
      const count = detectWorkerCount(this.#config.workers);
      const results = await Promise.allSettled(
        Array.from({ length: count }, () =>
          WorkerDetector.create(
            this.#config.detector,
            // The configured size is the one the model is compiled and warmed up at.
            { backend: this.#config.backend, inputSize: this.#config.inputSize },
            this.#abortLoading.signal,
          ),
        ),
      );
      const loaded = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      if (this.#stopping) {
        for (const d of loaded) d.dispose();
        return; // stopped while loading
      }
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (!loaded.length) {
        this.#loadError = failed?.reason as Error;
        this.#log.error({ err: failed?.reason }, 'object detector failed to load: no object detection');
        return;
      }
      if (failed)
        this.#log.warn(
          { err: failed.reason, loaded: loaded.length, wanted: count },
          'some detector workers failed to load; running with fewer',
        );
      this.#detectors = loaded;
    }
    const first = this.#detectors[0] as ObjectDetector;
    this.#log.info(
      {
        detector: first.name,
        backend: first.backend,
        inputSize: first.inputSize,
        workers: this.#detectors.length,
      },
      'object detector ready',
    );
    this.#idle = [...this.#detectors];
    this.#ready = true;
    this.#pump();
  }

  /** Resolves once the detectors are loaded (or failed to load). */
  async ready(): Promise<void> {
    await this.#loading;
  }

  /** Why no detector loaded, if none did. */
  get loadError(): Error | undefined {
    return this.#loadError;
  }

  /** The first loaded detector (they are all alike), once loaded. */
  get detector(): ObjectDetector | undefined {
    return this.#ready ? this.#detectors[0] : undefined;
  }

  /** The detector model and backend in use (or about to be: a detector passed in), if known. */
  get model(): Pick<ObjectDetector, 'name' | 'backend'> | undefined {
    return this.#detectors[0];
  }

  /** Detectors taking frames (0 while loading). */
  get workers(): number {
    return this.#ready ? this.#detectors.length : 0;
  }

  /** Median time of a detector call over the recent ones, ms. */
  inferenceMsP50(): number {
    return this.#inferenceMs.percentile(0.5);
  }

  /** Queues a frame for detection; never waits. */
  enqueue(item: ScheduledFrame): void {
    if (this.#queue.length >= this.#config.queueCapacity) {
      let idx = this.#queue.findIndex((q) => q.frame.cameraId === item.frame.cameraId);
      if (idx < 0) idx = 0;
      const [dropped] = this.#queue.splice(idx, 1);
      if (dropped) {
        const cam = dropped.frame.cameraId;
        this.#options.statsOf(cam).droppedBehind++;
        detectMetrics.framesSkipped.inc({ camera: cam, reason: 'behind' });
        this.#behindUntil = performance.now() + BEHIND_MS;
      }
    }
    this.#queue.push(item);
    this.#pump();
  }

  /**
   * Hands queued frames to idle detectors, oldest first, skipping cameras that already have a frame in analysis
   * (their tracks must see frames in order). With one worker this is a plain FIFO.
   */
  #pump(): void {
    while (this.#idle.length && this.#queue.length && !this.#stopping) {
      const batch = this.#takeBatch();
      if (!batch) return;
      const detector = this.#idle.pop() as ObjectDetector;
      const cameras = batch.frames.map((q) => q.frame.cameraId);
      for (const c of cameras) this.#busyCameras.add(c);
      const run: Promise<void> = this.#analyse(batch, detector)
        .catch((err: unknown) => {
          if (!this.#stopping) this.#log.error({ err, cameras }, 'analysing a frame failed');
        })
        .finally(() => {
          for (const c of cameras) this.#busyCameras.delete(c);
          this.#inFlight.delete(run);
          this.#idle.push(detector);
          this.#pump();
        });
      this.#inFlight.add(run);
    }
  }

  /**
   * The next frames for one detector call: the oldest frame of a camera not in analysis and, when the mosaic is on
   * and more cameras wait than there are idle detectors (the detectors are behind), up to three more cameras'
   * frames, laid out as one mosaic (`mosaicLayout`).
   */
  #takeBatch(): { frames: ScheduledFrame[]; layout?: MosaicLayout } | undefined {
    const idx = this.#queue.findIndex((q) => !this.#busyCameras.has(q.frame.cameraId));
    if (idx < 0) return undefined;
    const first = this.#queue[idx] as ScheduledFrame;
    const picked = [idx];
    // Cameras waiting beyond what the idle detectors take one by one go into mosaics.
    const waiting = new Set(
      this.#queue.filter((q) => !this.#busyCameras.has(q.frame.cameraId)).map((q) => q.frame.cameraId),
    ).size;
    const size = Math.min(MOSAIC_CELLS, Math.ceil(waiting / Math.max(1, this.#idle.length)));
    if (this.#config.mosaic.enabled && !first.region && size > 1) {
      const cameras = new Set([first.frame.cameraId]);
      for (let i = idx + 1; i < this.#queue.length && picked.length < size; i++) {
        const q = this.#queue[i] as ScheduledFrame;
        const cam = q.frame.cameraId;
        if (cameras.has(cam) || this.#busyCameras.has(cam) || q.region) continue;
        if (!sameAspect(q.frame, first.frame)) continue; // each frame fills a cell shaped like the first
        cameras.add(cam);
        picked.push(i);
      }
    }
    const frames = picked.map((i) => this.#queue[i] as ScheduledFrame);
    for (const i of [...picked].sort((a, b) => b - a)) this.#queue.splice(i, 1);
    // A frame alone gets the full input size, unless the detectors are behind: then it takes a mosaic cell, a
    // quarter of the work, rather than the time of four frames while others are dropped.
    const behind = performance.now() < this.#behindUntil;
    if (frames.length < 2 && (!behind || !this.#config.mosaic.enabled || first.region)) return { frames };
    return { frames, layout: mosaicLayout(frames.length, first.frame, this.#config.mosaic.inputSize) };
  }

  /** One detector call on one frame, or on a mosaic of several cameras' frames; then each frame's detections out. */
  async #analyse(
    batch: { frames: ScheduledFrame[]; layout?: MosaicLayout },
    detector: ObjectDetector,
  ): Promise<void> {
    const { frames, layout } = batch;
    const single = layout ? undefined : (frames[0] as ScheduledFrame);
    const image = layout
      ? composeMosaic(
          frames.map((q) => q.frame),
          layout,
        )
      : (single as ScheduledFrame).frame;
    const t0 = performance.now();
    const result = await detector.detect(image, {
      minScore: this.#config.candidateScore,
      nmsIou: this.#config.nmsIou,
      // A mosaic is composed at its input size.
      inputSize: layout ? Math.max(image.width, image.height) : this.#config.inputSize,
      ...(single?.region ? { region: single.region } : {}),
    });
    const ms = performance.now() - t0;
    this.#inferenceMs.add(ms);
    detectMetrics.inference.observe({ model: detector.name, backend: detector.backend }, ms / 1000);
    if (!layout) return this.#options.onDetections(single as ScheduledFrame, result.detections, 1);
    const perFrame = splitMosaic(result.detections, layout, frames.length);
    for (const [k, item] of frames.entries()) {
      this.#options.statsOf(item.frame.cameraId).mosaicFrames++;
      await this.#options.onDetections(item, perFrame[k] ?? [], this.#config.mosaic.scoreScale);
    }
  }

  /** Waits until every queued frame has been analysed and handed on (tests, benchmarks). */
  async idle(): Promise<void> {
    await this.#loading;
    while (this.#inFlight.size || (this.#queue.length && this.#idle.length)) {
      await Promise.all([...this.#inFlight]);
      await new Promise((r) => setImmediate(r));
    }
  }

  /**
   * Stops taking frames: queued frames are dropped, a model still loading is abandoned, the detectors this
   * scheduler loaded are stopped (a frame being analysed is not waited for), and what was being handed on finishes.
   */
  async dispose(): Promise<void> {
    this.#stopping = true;
    this.#queue.length = 0;
    this.#abortLoading.abort();
    await this.#loading;
    if (!this.#options.detectors) for (const d of this.#detectors) d.dispose();
    await Promise.all([...this.#inFlight]);
    this.#detectors = [];
    this.#idle = [];
    this.#ready = false;
  }
}

/** Whether two frames share mosaic cells without visibly stretching either (aspect ratios within 5 %). */
function sameAspect(a: { width: number; height: number }, b: { width: number; height: number }): boolean {
  return Math.abs((a.width * b.height) / (a.height * b.width) - 1) <= 0.05;
}

/**
 * Detector worker threads for a `detect.workers` setting: 'auto' is one per core, at most four. The threads run at a
 * lower priority than the rest of the backend, so they use the CPU time video ingest and the API leave over.
 */
export function detectWorkerCount(setting: DetectConfig['workers']): number {
  if (setting !== 'auto') return setting;
  return Math.max(1, Math.min(4, os.availableParallelism()));
}
