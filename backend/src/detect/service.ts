import os from 'node:os';
import path from 'node:path';
import type { Bus, Subscription } from '../contract/bus.js';
import { Topics } from '../contract/bus.js';
import type { DetectConfig, LabelFilter } from '../contract/config/detect.js';
import type { CameraDetectStats, DetectStats } from '../contract/detect-api.js';
import type { EventPhase, EventSnapshot, VigilAlert, VigilEvent } from '../contract/events.js';
import type { AnalysisFrame, Box, Detection, FrameDetections } from '../contract/media.js';
import type { Service, ServiceHealth } from '../platform/lifecycle.js';
import { createLogger } from '../platform/log.js';
import type { Incident } from '../contract/incidents.js';
import { IncidentGrouper, type ShotInfo } from '../incidents/grouper.js';
import { AlertRuleEngine, suppressionFor } from './alert-rules.js';
import { detectorNames, UnknownDetectorError } from './detectors/registry.js';
import { WorkerDetector } from './detectors/worker-detector.js';
import type { ObjectDetector, PixelRect, RawDetection, RgbImage } from './detectors/types.js';
import { boxArea } from './geometry.js';
import { detectMetrics } from './metrics.js';
import { composeMosaic, MOSAIC_CELLS, mosaicLayout, splitMosaic, type MosaicLayout } from './mosaic.js';
import { cropAround, MotionDetector } from './motion.js';
import { DetectSettingsStore, type DetectSettings } from './settings-store.js';
import { SnapshotEncoder } from './snapshot.js';
import { describeAppearance } from '../appearance/descriptor.js';
import { Tracker, type Track } from './tracker.js';

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

interface QueuedFrame {
  frame: AnalysisFrame;
  region?: PixelRect;
  receivedAt: number;
}

interface BestShot {
  image: RgbImage;
  ts: number;
  score: number;
  box: Box;
  /** Changed since the last published event message. */
  dirty: boolean;
}

interface CameraState {
  motion: MotionDetector;
  tracker: Tracker;
  lastMotionTs: number;
  stats: CameraDetectStats;
  best: Map<string, BestShot>;
  lastPublished: Map<string, number>;
  /** Per event: publishing in order (snapshots are encoded off the detection path). */
  chains: Map<string, Promise<void>>;
}

/** After dropping a frame for being behind, lone frames are analysed at mosaic resolution this long (ms). */
const BEHIND_MS = 2000;

/** Recent samples kept for medians. */
const WINDOW = 200;

function percentile(values: readonly number[], p: number): number {
  if (!values.length) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] as number;
}

/**
 * The detection stage: analysis frames in; motion gating; one detection queue shared by all cameras (when full,
 * the oldest frame of the same camera is dropped, so video ingest never waits); object detection; tracking;
 * events (start/update/end, best snapshot) and alerts out on the bus.
 */
export class DetectionService implements Service {
  readonly name = 'detect';
  readonly settings: DetectSettings;
  readonly #log = createLogger('detect.service');
  readonly #config: DetectConfig;
  readonly #bus: Bus;
  readonly #cameras = new Map<string, CameraState>();
  readonly #queue: QueuedFrame[] = [];
  readonly #rules = new AlertRuleEngine();
  readonly #incidents: IncidentGrouper;
  /** When each open incident was last published (activity-only changes are published at the update pace). */
  readonly #incidentPublished = new Map<string, number>();
  readonly #inferenceMs: number[] = [];
  readonly #eventLatencyMs: number[] = [];
  readonly #snapshots: SnapshotEncoder;
  /** The loaded detectors (one per worker thread); `#idle` holds those not analysing a frame right now. */
  #detectors: ObjectDetector[] = [];
  #idle: ObjectDetector[] = [];
  /** The detectors are loaded and take frames. */
  #ready = false;
  /** Cameras with a frame being analysed: frames of one camera are analysed in order, one at a time. */
  readonly #busyCameras = new Set<string>();
  readonly #inFlight = new Set<Promise<void>>();
  #loading: Promise<void> | undefined;
  readonly #abortLoading = new AbortController();
  #loadError: Error | undefined;
  #subscription: Subscription | undefined;
  #stopping = false;
  /** Until when (performance.now()) the detectors count as behind: frames were dropped shortly before. */
  #behindUntil = -Infinity;

  constructor(private readonly options: DetectionServiceOptions) {
    this.#config = options.config;
    this.#bus = options.bus;
    this.#detectors = options.detectors ?? (options.detector ? [options.detector] : []);
    this.#snapshots = new SnapshotEncoder(options.config.snapshots.quality);
    this.#incidents = new IncidentGrouper(options.config.incidents);
    this.settings =
      options.settings ?? new DetectSettingsStore(path.join(options.dataDir, 'detect', 'settings.json'));
  }

  async start(): Promise<void> {
    await this.settings.load();
    this.#rules.setRules(this.settings.alertRules());
    this.settings.onChange(() => {
      this.#rules.setRules(this.settings.alertRules());
      for (const [id, st] of this.#cameras)
        st.motion.setMasks(this.settings.zones(id).masks.map((m) => m.points));
    });
    if (!this.#config.enabled) {
      this.#log.info('object detection is disabled (detect.enabled = false)');
      return;
    }
    if (!this.#detectors.length && !detectorNames().includes(this.#config.detector))
      throw new UnknownDetectorError(this.#config.detector);
    // The model loads in the background (a second or two) so the rest of the backend starts at once; frames that
    // arrive meanwhile wait in the detection queue.
    this.#loading = this.#loadDetector();
    this.#subscription = await this.#bus.subscribe<AnalysisFrame>(Topics.frames, (f) => this.onFrame(f), {
      group: this.options.group ?? 'detect',
    });
  }

  async #loadDetector(): Promise<void> {
    if (!this.#detectors.length) {
      const count = detectWorkerCount(this.#config.workers);
      const results = await Promise.allSettled(
        Array.from({ length: count }, () =>
          WorkerDetector.create(
            this.#config.detector,
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

  /** Resolves once the detector is loaded (or failed to load). */
  async ready(): Promise<void> {
    await this.#loading;
  }

  health(): ServiceHealth {
    if (!this.#config.enabled) return { status: 'ok', detail: 'disabled' };
    if (this.#loadError)
      return { status: 'down', detail: `detector failed to load: ${this.#loadError.message}` };
    const detector = this.#detectors[0];
    if (!this.#ready || !detector) return { status: 'degraded', detail: 'detector loading' };
    const workers = this.#detectors.length;
    const detail = `${detector.name} on ${detector.backend}${workers > 1 ? ` × ${workers} workers` : ''}`;
    return detector.backend === 'cpu'
      ? { status: 'degraded', detail: `${detail} (slow)` }
      : { status: 'ok', detail };
  }

  stats(): DetectStats {
    const perCamera: Record<string, CameraDetectStats> = {};
    for (const [id, st] of this.#cameras) perCamera[id] = { ...st.stats };
    return {
      backend: this.#detectors[0]?.backend ?? 'cpu',
      model: this.#detectors[0]?.name ?? this.#config.detector,
      workers: this.#ready ? this.#detectors.length : 0,
      inferenceMsP50: Math.round(percentile(this.#inferenceMs, 0.5) * 10) / 10,
      perCamera,
    };
  }

  /** Time from receiving a frame to publishing the event it started, ms (median and 95th percentile). */
  eventLatency(): { p50: number; p95: number; samples: number } {
    return {
      p50: percentile(this.#eventLatencyMs, 0.5),
      p95: percentile(this.#eventLatencyMs, 0.95),
      samples: this.#eventLatencyMs.length,
    };
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
        await this.#expire(st, frame.ts);
        // A quiet scene closes its incidents too.
        await this.#tickIncidents(frame.cameraId, frame.ts);
        return;
      }
      if (motionCfg.cropToMotion && m.motion) region = cropAround(m.regions, frame);
    }
    this.#enqueue({ frame, receivedAt, ...(region ? { region } : {}) });
  }

  #enqueue(item: QueuedFrame): void {
    if (this.#queue.length >= this.#config.queueCapacity) {
      let idx = this.#queue.findIndex((q) => q.frame.cameraId === item.frame.cameraId);
      if (idx < 0) idx = 0;
      const [dropped] = this.#queue.splice(idx, 1);
      if (dropped) {
        const cam = dropped.frame.cameraId;
        this.#camera(cam).stats.droppedBehind++;
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
  #takeBatch(): { frames: QueuedFrame[]; layout?: MosaicLayout } | undefined {
    const idx = this.#queue.findIndex((q) => !this.#busyCameras.has(q.frame.cameraId));
    if (idx < 0) return undefined;
    const first = this.#queue[idx] as QueuedFrame;
    const picked = [idx];
    // Cameras waiting beyond what the idle detectors take one by one go into mosaics.
    const waiting = new Set(
      this.#queue.filter((q) => !this.#busyCameras.has(q.frame.cameraId)).map((q) => q.frame.cameraId),
    ).size;
    const size = Math.min(MOSAIC_CELLS, Math.ceil(waiting / Math.max(1, this.#idle.length)));
    if (this.#config.mosaic.enabled && !first.region && size > 1) {
      const cameras = new Set([first.frame.cameraId]);
      for (let i = idx + 1; i < this.#queue.length && picked.length < size; i++) {
        const q = this.#queue[i] as QueuedFrame;
        const cam = q.frame.cameraId;
        if (cameras.has(cam) || this.#busyCameras.has(cam) || q.region) continue;
        if (!sameAspect(q.frame, first.frame)) continue; // each frame fills a cell shaped like the first
        cameras.add(cam);
        picked.push(i);
      }
    }
    const frames = picked.map((i) => this.#queue[i] as QueuedFrame);
    for (const i of [...picked].sort((a, b) => b - a)) this.#queue.splice(i, 1);
    // A frame alone gets the full input size, unless the detectors are behind: then it takes a mosaic cell, a
    // quarter of the work, rather than the time of four frames while others are dropped.
    const behind = performance.now() < this.#behindUntil;
    if (frames.length < 2 && (!behind || !this.#config.mosaic.enabled || first.region)) return { frames };
    return { frames, layout: mosaicLayout(frames.length, first.frame, this.#config.mosaic.inputSize) };
  }

  /** One detector call on one frame, or on a mosaic of several cameras' frames; then tracking per camera. */
  async #analyse(
    batch: { frames: QueuedFrame[]; layout?: MosaicLayout },
    detector: ObjectDetector,
  ): Promise<void> {
    const { frames, layout } = batch;
    const single = layout ? undefined : (frames[0] as QueuedFrame);
    const image = layout
      ? composeMosaic(
          frames.map((q) => q.frame),
          layout,
        )
      : (single as QueuedFrame).frame;
    const t0 = performance.now();
    const result = await detector.detect(image, {
      minScore: this.#config.candidateScore,
      nmsIou: this.#config.nmsIou,
      // A mosaic is composed at its input size.
      inputSize: layout ? Math.max(image.width, image.height) : this.#config.inputSize,
      ...(single?.region ? { region: single.region } : {}),
    });
    const ms = performance.now() - t0;
    this.#inferenceMs.push(ms);
    if (this.#inferenceMs.length > WINDOW) this.#inferenceMs.shift();
    detectMetrics.inference.observe({ model: detector.name, backend: detector.backend }, ms / 1000);
    if (!layout) return this.#track(single as QueuedFrame, result.detections, 1);
    const perFrame = splitMosaic(result.detections, layout, frames.length);
    for (const [k, item] of frames.entries()) {
      this.#camera(item.frame.cameraId).stats.mosaicFrames++;
      await this.#track(item, perFrame[k] ?? [], this.#config.mosaic.scoreScale);
    }
  }

  /** Filters one frame's detections, updates its camera's tracks and publishes overlays, events and alerts. */
  async #track(
    { frame, receivedAt }: QueuedFrame,
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

    for (const t of update.seen) this.#considerSnapshot(st, t, frame);
    const started = new Set(update.started);
    for (const t of update.started) {
      this.#publishEvent(st, t, 'start', receivedAt);
      detectMetrics.events.inc({ camera: t.cameraId, label: t.label });
    }
    const updateEvery = this.#config.tracking.updateEverySec * 1000;
    for (const t of update.seen) {
      if (!t.confirmed || started.has(t)) continue;
      const changed = update.zoneEntries.has(t.id) || update.becameStationary.includes(t);
      if (changed || frame.ts - (st.lastPublished.get(t.id) ?? 0) >= updateEvery)
        this.#publishEvent(st, t, 'update');
    }
    const context = {
      tracks: st.tracker.tracks,
      snoozes: this.settings.snoozes(),
      suppressions: this.settings.suppressions(),
    };
    for (const t of update.seen) {
      if (!t.confirmed) continue;
      const shot = this.#shotOf(st, t);
      // A known false positive neither raises nor keeps an incident open; its event is still recorded.
      const quiet = t.stationary || suppressionFor(t, context.suppressions, frame.ts) !== undefined;
      if (!quiet) this.#incidents.seen(t, frame.ts, shot);
      for (const alert of this.#rules.evaluate(t, frame.ts, context)) {
        await this.#publishAlert(alert);
        const rule = this.#rules.rule(alert.ruleId);
        const incident = rule && this.#incidents.hit(alert, rule, t, shot);
        if (incident) await this.#publishIncident(incident);
      }
    }
    await this.#expire(st, frame.ts);
    await this.#tickIncidents(frame.cameraId, frame.ts);
  }

  #shotOf(st: CameraState, t: Track): ShotInfo | undefined {
    const best = st.best.get(t.id);
    return best ? { ts: best.ts, score: best.score, box: best.box } : undefined;
  }

  /** Closes quiet incidents and publishes activity changes of open ones at the event update pace. */
  async #tickIncidents(cameraId: string, ts: number): Promise<void> {
    const { closed, changed } = this.#incidents.tick(cameraId, ts, (id) => this.#rules.rule(id));
    for (const i of closed) await this.#publishIncident(i);
    const every = this.#config.tracking.updateEverySec * 1000;
    for (const i of changed)
      if (ts - (this.#incidentPublished.get(i.id) ?? -Infinity) >= every) await this.#publishIncident(i);
  }

  async #publishIncident(incident: Incident): Promise<void> {
    if (incident.endTs !== undefined) this.#incidentPublished.delete(incident.id);
    else this.#incidentPublished.set(incident.id, incident.lastTs);
    this.#incidents.published(incident.id);
    if (incident.objectCount === 1 && incident.endTs === undefined && incident.lastTs === incident.startTs)
      this.#log.info({ incident: incident.id, camera: incident.cameraId }, 'incident opened');
    await this.#bus.publish(Topics.incidents, incident.cameraId, incident);
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

  #considerSnapshot(st: CameraState, t: Track, frame: AnalysisFrame): void {
    if (!this.#config.snapshots.enabled) return;
    const best = st.best.get(t.id);
    // Prefer a clearly better score. The frame is kept as it is: producers never write to a published frame.
    if (best && t.score <= best.score + 0.02) return;
    st.best.set(t.id, {
      image: { width: frame.width, height: frame.height, data: frame.data },
      ts: frame.ts,
      score: t.score,
      box: t.box,
      dirty: true,
    });
  }

  /**
   * Publishes an event message. The message is built now (the track's state at this frame); the snapshot, when it
   * changed, is encoded in a child process and the message published after it, in order per event, while the
   * detector moves on to the next frame.
   */
  #publishEvent(st: CameraState, t: Track, phase: EventPhase, receivedAt?: number): void {
    const best = st.best.get(t.id);
    const shot = best?.dirty
      ? { image: best.image, box: best.box, ts: best.ts, score: best.score }
      : undefined;
    if (best) best.dirty = false;
    const event: VigilEvent = {
      id: t.id,
      cameraId: t.cameraId,
      label: t.label,
      phase,
      startTs: t.firstTs,
      lastTs: t.lastTs,
      ...(phase === 'end' ? { endTs: t.lastTs } : {}),
      topScore: t.topScore,
      box: best?.box ?? t.box,
      zones: [...t.zonesEntered],
      path: t.path.map((p) => ({ ts: p.ts, box: p.box, score: p.score })),
      ...(t.stationary ? { stationary: true } : {}),
    };
    st.lastPublished.set(t.id, t.lastTs);
    const previous = st.chains.get(t.id) ?? Promise.resolve();
    const next = previous.then(async () => {
      try {
        if (shot) {
          const jpegs = await this.#snapshots.encode(shot.image, shot.box);
          const snapshot: EventSnapshot = { ts: shot.ts, score: shot.score, box: shot.box, ...jpegs };
          event.snapshot = snapshot;
          const appearance = describeAppearance(shot.image, shot.box);
          if (appearance) event.appearance = appearance;
        }
        await this.#bus.publish(Topics.events, t.cameraId, event);
        if (phase === 'start' && receivedAt !== undefined) {
          this.#eventLatencyMs.push(performance.now() - receivedAt);
          if (this.#eventLatencyMs.length > WINDOW) this.#eventLatencyMs.shift();
        }
      } catch (err) {
        this.#log.error({ err, event: t.id, phase }, 'publishing an event failed');
      }
    });
    st.chains.set(t.id, next);
    if (phase === 'end') void next.then(() => st.chains.get(t.id) === next && st.chains.delete(t.id));
  }

  /** Resolves when every event message queued so far has been published. */
  async #flushEvents(): Promise<void> {
    for (const st of this.#cameras.values()) await Promise.all([...st.chains.values()]);
  }

  async #publishAlert(alert: VigilAlert): Promise<void> {
    detectMetrics.alerts.inc({ camera: alert.cameraId, severity: alert.severity });
    this.#log.info({ alert: alert.id, rule: alert.ruleName, camera: alert.cameraId }, 'alert raised');
    await this.#bus.publish(Topics.alerts, alert.cameraId, alert);
  }

  async #expire(st: CameraState, ts: number): Promise<void> {
    for (const t of st.tracker.expire(ts)) await this.#end(st, t);
  }

  async #end(st: CameraState, t: Track): Promise<void> {
    this.#publishEvent(st, t, 'end');
    st.best.delete(t.id);
    st.lastPublished.delete(t.id);
    this.#rules.forget(t.id);
    this.#incidents.forget(t.id);
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
        best: new Map(),
        lastPublished: new Map(),
        chains: new Map(),
      };
      this.#cameras.set(cameraId, st);
    }
    return st;
  }

  /** Waits until every queued frame has been analysed and its events published (tests, benchmarks). */
  async idle(): Promise<void> {
    await this.#loading;
    while (this.#inFlight.size || (this.#queue.length && this.#idle.length)) {
      await Promise.all([...this.#inFlight]);
      await new Promise((r) => setImmediate(r));
    }
    await this.#flushEvents();
  }

  async dispose(): Promise<void> {
    await this.#subscription?.dispose();
    this.#subscription = undefined;
    this.#stopping = true;
    this.#queue.length = 0;
    // A model still loading is abandoned and a frame being analysed is not waited for: the worker is stopped.
    this.#abortLoading.abort();
    await this.#loading;
    if (!this.options.detector && !this.options.detectors) for (const d of this.#detectors) d.dispose();
    await Promise.all([...this.#inFlight]);
    // Open events end now, so the store never keeps an event open forever.
    for (const st of this.#cameras.values()) {
      for (const t of st.tracker.endAll()) await this.#end(st, t);
    }
    // Open incidents close too, at their last activity.
    for (const i of this.#incidents.closeAll((id) => this.#rules.rule(id))) await this.#publishIncident(i);
    await this.#flushEvents();
    this.#detectors = [];
    this.#idle = [];
    this.#ready = false;
    await this.settings.dispose();
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
