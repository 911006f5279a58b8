import path from 'node:path';
import type { Bus, Subscription } from '../contract/bus.js';
import { Topics } from '../contract/bus.js';
import type { DetectConfig, LabelFilter } from '../contract/config/detect.js';
import type { CameraDetectStats, DetectStats } from '../contract/detect-api.js';
import type { AnalysisFrame, Detection, FrameDetections } from '../contract/media.js';
import { EventLifecycle } from '../events/lifecycle.js';
import type { Service, ServiceHealth } from '../platform/lifecycle.js';
import { createLogger } from '../platform/log.js';
import { detectorNames, UnknownDetectorError } from './detectors/registry.js';
import type { ObjectDetector, PixelRect, RawDetection } from '../contract/detector.js';
import { boxArea } from './geometry.js';
import { detectMetrics } from './metrics.js';
import { cropAround, MotionDetector } from './motion.js';
import { DetectionScheduler, type ScheduledFrame } from './scheduler.js';
import { DetectSettingsStore, type DetectSettings } from './settings-store.js';
import { Tracker } from './tracker.js';

export interface DetectionServiceOptions {
  config: DetectConfig;
  bus: Bus;
  /** Data folder; zones and alert rules live in <dataDir>/detect/settings.json. */
  dataDir: string;
  /** A detector already loaded (benchmarks, tests); otherwise the configured one is created on start. */
  detector?: ObjectDetector;
  /** Several detectors already loaded, run in parallel (benchmarks); takes precedence over `detector`. */
  detectors?: ObjectDetector[];
  /** Consumer group of the frames subscription ('detect' by default; the detect role names its own). */
  group?: string;
  /** Where zones and alert rules come from (loaded on start, disposed with the service); by default the JSON file
   * under dataDir (a single site). */
  settings?: DetectSettings;
}

interface CameraState {
  motion: MotionDetector;
  tracker: Tracker;
  lastMotionTs: number;
  stats: CameraDetectStats;
}

/**
 * The detection stage: analysis frames in; motion gating; the detection scheduler (one queue shared by all
 * cameras, detector workers, mosaics when behind); tracking; overlays out on the bus; the tracks handed to the
 * event lifecycle, which publishes events (start/update/end, best snapshot), alerts and incidents.
 */
export class DetectionService implements Service {
  readonly name = 'detect';
  readonly settings: DetectSettings;
  readonly #log = createLogger('detect.service');
  readonly #config: DetectConfig;
  readonly #bus: Bus;
  readonly #cameras = new Map<string, CameraState>();
  readonly #scheduler: DetectionScheduler;
  readonly #events: EventLifecycle;
  #subscription: Subscription | undefined;
  #stopping = false;

  constructor(private readonly options: DetectionServiceOptions) {
    this.#config = options.config;
    this.#bus = options.bus;
    this.settings =
      options.settings ?? new DetectSettingsStore(path.join(options.dataDir, 'detect', 'settings.json'));
    const given = options.detectors ?? (options.detector ? [options.detector] : undefined);
    this.#scheduler = new DetectionScheduler({
      config: options.config,
      ...(given ? { detectors: given } : {}),
      log: this.#log,
      statsOf: (cameraId) => this.#camera(cameraId).stats,
      onDetections: (item, detections, scoreScale) => this.#track(item, detections, scoreScale),
    });
    this.#events = new EventLifecycle({ config: options.config, bus: options.bus, settings: this.settings });
  }

  async start(): Promise<void> {
    await this.settings.load();
    this.#events.reloadRules();
    this.settings.onChange(() => {
      this.#events.reloadRules();
      for (const [id, st] of this.#cameras)
        st.motion.setMasks(this.settings.zones(id).masks.map((m) => m.points));
    });
    if (!this.#config.enabled) {
      this.#log.info('object detection is disabled (detect.enabled = false)');
      return;
    }
    if (!this.#scheduler.model && !detectorNames().includes(this.#config.detector))
      throw new UnknownDetectorError(this.#config.detector);
    // The model loads in the background (a second or two) so the rest of the backend starts at once; frames that
    // arrive meanwhile wait in the detection queue.
    this.#scheduler.load();
    this.#subscription = await this.#bus.subscribe<AnalysisFrame>(Topics.frames, (f) => this.onFrame(f), {
      group: this.options.group ?? 'detect',
    });
  }

  /** Resolves once the detector is loaded (or failed to load). */
  async ready(): Promise<void> {
    await this.#scheduler.ready();
  }

  health(): ServiceHealth {
    if (!this.#config.enabled) return { status: 'ok', detail: 'disabled' };
    const loadError = this.#scheduler.loadError;
    if (loadError) return { status: 'down', detail: `detector failed to load: ${loadError.message}` };
    const detector = this.#scheduler.detector;
    if (!detector) return { status: 'degraded', detail: 'detector loading' };
    const workers = this.#scheduler.workers;
    const detail = `${detector.name} on ${detector.backend}${workers > 1 ? ` × ${workers} workers` : ''}`;
    return detector.backend === 'cpu'
      ? { status: 'degraded', detail: `${detail} (slow)` }
      : { status: 'ok', detail };
  }

  stats(): DetectStats {
    const perCamera: Record<string, CameraDetectStats> = {};
    for (const [id, st] of this.#cameras) perCamera[id] = { ...st.stats };
    const model = this.#scheduler.model;
    return {
      backend: model?.backend ?? 'cpu',
      model: model?.name ?? this.#config.detector,
      workers: this.#scheduler.workers,
      inferenceMsP50: Math.round(this.#scheduler.inferenceMsP50() * 10) / 10,
      perCamera,
    };
  }

  /** Time from receiving a frame to publishing the event it started, ms (median and 95th percentile). */
  eventLatency(): { p50: number; p95: number; samples: number } {
    return this.#events.eventLatency();
  }

  /** Handles one analysis frame: motion gating, then the shared detection queue. Never waits for the detector. */
  async onFrame(frame: AnalysisFrame): Promise<void> {
    if (this.#stopping) return;
    if (frame.format !== 'rgb24' || frame.data.length < frame.width * frame.height * 3) {
      this.#log.warn(
        { camera: frame.cameraId, format: frame.format },
        'analysis frame is not rgb24 of its size; dropped',
      );
      return;
    }
    const st = this.#camera(frame.cameraId);
    st.stats.framesIn++;
    detectMetrics.framesIn.inc({ camera: frame.cameraId });
    const receivedAt = performance.now();
    const motionCfg = this.#config.motion;
    let region: PixelRect | undefined;
    if (motionCfg.enabled) {
      const m = st.motion.update(frame);
      if (m.motion) st.lastMotionTs = frame.ts;
      const keepAlive = frame.ts - st.lastMotionTs <= motionCfg.keepAliveSec * 1000;
      if (!m.motion && !keepAlive) {
        st.stats.skippedNoMotion++;
        detectMetrics.framesSkipped.inc({ camera: frame.cameraId, reason: 'no_motion' });
        // A quiet scene ends its events and closes its incidents too.
        await this.#events.quiet(frame.cameraId, st.tracker, frame.ts);
        return;
      }
      if (motionCfg.cropToMotion && m.motion) region = cropAround(m.regions, frame);
    }
    this.#scheduler.enqueue({ frame, receivedAt, ...(region ? { region } : {}) });
  }

  /** Filters one frame's detections, updates its camera's tracks, publishes the overlay and hands the tracks on. */
  async #track(
    { frame, receivedAt }: ScheduledFrame,
    raw: readonly RawDetection[],
    scoreScale: number,
  ): Promise<void> {
    const st = this.#camera(frame.cameraId);
    st.stats.framesAnalysed++;
    detectMetrics.framesAnalysed.inc({ camera: frame.cameraId });

    const detections: Detection[] = raw
      .filter((d) => this.#keep(frame.cameraId, d, scoreScale))
      .map((d) => ({ label: d.label, score: d.score, box: d.box }));
    const zones = this.settings.zones(frame.cameraId).zones;
    const update = st.tracker.update(frame.ts, detections, zones);

    const overlay: FrameDetections = {
      cameraId: frame.cameraId,
      ts: frame.ts,
      width: frame.width,
      height: frame.height,
      detections,
    };
    await this.#bus.publish(Topics.detections, frame.cameraId, overlay);
    await this.#events.tracked(frame, st.tracker, update, receivedAt);
  }

  #keep(cameraId: string, d: RawDetection, scoreScale: number): boolean {
    if (!this.#config.labels.includes(d.label)) return false;
    const filters = this.#config.filters;
    const f: Partial<LabelFilter> =
      filters.find((x) => x.label === d.label && x.cameraId === cameraId) ??
      filters.find((x) => x.label === d.label && !x.cameraId) ??
      {};
    const area = boxArea(d.box);
    return (
      d.score >= (f.minScore ?? 0.35) * scoreScale && area >= (f.minArea ?? 0) && area <= (f.maxArea ?? 1)
    );
  }

  #camera(cameraId: string): CameraState {
    let st = this.#cameras.get(cameraId);
    if (!st) {
      const motion = new MotionDetector(this.#config.motion);
      motion.setMasks(this.settings.zones(cameraId).masks.map((m) => m.points));
      st = {
        motion,
        tracker: new Tracker(cameraId, this.#config.tracking),
        lastMotionTs: -Infinity,
        stats: { framesIn: 0, framesAnalysed: 0, skippedNoMotion: 0, droppedBehind: 0, mosaicFrames: 0 },
      };
      this.#cameras.set(cameraId, st);
    }
    return st;
  }

  /** Waits until every queued frame has been analysed and its events published (tests, benchmarks). */
  async idle(): Promise<void> {
    await this.#scheduler.idle();
    await this.#events.flush();
  }

  async dispose(): Promise<void> {
    await this.#subscription?.dispose();
    this.#subscription = undefined;
    this.#stopping = true;
    // A model still loading is abandoned and a frame being analysed is not waited for: the worker is stopped.
    await this.#scheduler.dispose();
    // Open events end now, so the store never keeps an event open forever.
    for (const [id, st] of this.#cameras) this.#events.ended(id, st.tracker.endAll());
    // Open incidents close too, at their last activity.
    await this.#events.close();
    await this.settings.dispose();
  }
}
