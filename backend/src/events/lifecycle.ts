import type { Bus } from '../contract/bus.js';
import { Topics } from '../contract/bus.js';
import type { DetectConfig } from '../contract/config/detect.js';
import type { EventPhase, EventSnapshot, VigilAlert, VigilEvent } from '../contract/events.js';
import type { Incident } from '../contract/incidents.js';
import type { AnalysisFrame, Box } from '../contract/media.js';
import type { RgbImage } from '../contract/detector.js';
import { detectMetrics } from '../detect/metrics.js';
import type { DetectSettings } from '../detect/settings-store.js';
import type { Track, TrackUpdate } from '../detect/tracker.js';
import { IncidentGrouper, type ShotInfo } from '../incidents/grouper.js';
import { createLogger } from '../platform/log.js';
import { RecentSamples } from '../platform/recent-samples.js';
import { AlertRuleEngine, suppressionFor } from './alert-rules.js';
import { SnapshotEncoder } from './snapshot.js';
import { AppearanceAverage, describeAppearance } from '../appearance/descriptor.js';

/** The best picture of an event so far: the frame it was seen best in, and where. */
interface BestShot {
  image: RgbImage;
  ts: number;
  score: number;
  box: Box;
  /** Changed since the last published event message. */
  dirty: boolean;
}

/** A track's appearance averaged over its good views, and how many samples the last published message had. */
interface TrackAppearance {
  average: AppearanceAverage;
  published: number;
}

interface CameraEvents {
  best: Map<string, BestShot>;
  appearance: Map<string, TrackAppearance>;
  lastPublished: Map<string, number>;
  /** Per event: publishing in order (snapshots are encoded off the detection path). */
  chains: Map<string, Promise<void>>;
}

/** A camera's tracks, as the event lifecycle reads them: the current ones, and those that ended by a time. */
export interface CameraTracks {
  readonly tracks: readonly Track[];
  /** Removes and returns the tracks not seen for long enough at `ts`. */
  expire(ts: number): Track[];
}

export interface EventLifecycleOptions {
  /** Snapshots, the update pace (`tracking.updateEverySec`) and incident grouping are read from it. */
  config: DetectConfig;
  bus: Bus;
  /** Alert rules, snoozes and suppressions; the rules are read again on every change. */
  settings: DetectSettings;
}

/**
 * The event lifecycle: tracks become events (start, updates at the configured pace and on zone or stationary
 * changes, end), each with the best snapshot of its object; alert rules are evaluated on every confirmed track,
 * and rule hits are grouped into incidents per camera (and zone). Events, alerts and incidents go out on the bus.
 */
export class EventLifecycle {
  readonly #log = createLogger('events.lifecycle');
  readonly #config: DetectConfig;
  readonly #bus: Bus;
  readonly #settings: DetectSettings;
  readonly #cameras = new Map<string, CameraEvents>();
  readonly #rules = new AlertRuleEngine();
  readonly #incidents: IncidentGrouper;
  /** When each open incident was last published (activity-only changes are published at the update pace). */
  readonly #incidentPublished = new Map<string, number>();
  readonly #eventLatencyMs = new RecentSamples();
  readonly #snapshots: SnapshotEncoder;

  constructor(options: EventLifecycleOptions) {
    this.#config = options.config;
    this.#bus = options.bus;
    this.#settings = options.settings;
    this.#snapshots = new SnapshotEncoder(options.config.snapshots.quality);
    this.#incidents = new IncidentGrouper(options.config.incidents);
  }

  /** Reads the alert rules from the settings (call after they are loaded, and on every change). */
  reloadRules(): void {
    this.#rules.setRules(this.#settings.alertRules());
  }

  /** Time from receiving a frame to publishing the event it started, ms (median and 95th percentile). */
  eventLatency(): { p50: number; p95: number; samples: number } {
    return {
      p50: this.#eventLatencyMs.percentile(0.5),
      p95: this.#eventLatencyMs.percentile(0.95),
      samples: this.#eventLatencyMs.count,
    };
  }

  /**
   * Turns one analysed frame's track changes into events, alerts and incidents, then ends the tracks that
   * expired and closes quiet incidents. `receivedAt` (performance.now()) is when the frame arrived.
   */
  async tracked(
    frame: AnalysisFrame,
    tracks: CameraTracks,
    update: TrackUpdate,
    receivedAt: number,
  ): Promise<void> {
    const st = this.#camera(frame.cameraId);
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
      tracks: tracks.tracks,
      snoozes: this.#settings.snoozes(),
      suppressions: this.#settings.suppressions(),
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
    await this.quiet(frame.cameraId, tracks, frame.ts);
  }

  /** A frame without analysis (no motion): tracks not seen for long enough end, and quiet incidents close. */
  async quiet(cameraId: string, tracks: CameraTracks, ts: number): Promise<void> {
    const st = this.#camera(cameraId);
    for (const t of tracks.expire(ts)) this.#end(st, t);
    await this.#tickIncidents(cameraId, ts);
  }

  /** Ends the events of tracks that ended outside the normal expiry (the detection stage stopping). */
  ended(cameraId: string, tracks: readonly Track[]): void {
    const st = this.#camera(cameraId);
    for (const t of tracks) this.#end(st, t);
  }

  /** Closes every open incident at its last activity and publishes what is still queued (at shutdown). */
  async close(): Promise<void> {
    for (const i of this.#incidents.closeAll((id) => this.#rules.rule(id))) await this.#publishIncident(i);
    await this.flush();
  }

  /** Resolves when every event message queued so far has been published. */
  async flush(): Promise<void> {
    for (const st of this.#cameras.values()) await Promise.all([...st.chains.values()]);
  }

  #shotOf(st: CameraEvents, t: Track): ShotInfo | undefined {
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

  /**
   * Keeps the frame a track was seen best in as its event's snapshot. This is where an event's best snapshot is
   * chosen: the frame's pixels (`frame.data`, rgb24 of `frame.width` × `frame.height`) and the object's box
   * (`t.box`, normalised) are both at hand, so whatever is computed from the best picture of an object belongs
   * here.
   */
  #considerSnapshot(st: CameraEvents, t: Track, frame: AnalysisFrame): void {
    if (!this.#config.snapshots.enabled) return;
    this.#sampleAppearance(st, t, frame);
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
   * Adds this frame's view of the track to its averaged appearance, when it is a good one (a clear detection, not
   * cut by the frame's edge, spaced from the last sample; at most 20 per track, about 0.7 ms each): one frame's
   * look may be of the wrong person or half hidden, the mean over the track is steadier.
   */
  #sampleAppearance(st: CameraEvents, t: Track, frame: AnalysisFrame): void {
    let state = st.appearance.get(t.id);
    if (!state) {
      state = { average: new AppearanceAverage(), published: 0 };
      st.appearance.set(t.id, state);
    }
    // The track's box at this frame is the detection it was matched with (its latest path point).
    const seen = t.path[t.path.length - 1];
    if (!seen || seen.ts !== frame.ts) return;
    state.average.add(
      { width: frame.width, height: frame.height, data: frame.data },
      seen.box,
      seen.score,
      frame.ts,
    );
  }

  /**
   * Publishes an event message. The message is built now (the track's state at this frame); the snapshot, when it
   * changed, is encoded (`platform/jpeg.ts`) and the message published after it, in order per event, while the
   * detector moves on to the next frame.
   */
  #publishEvent(st: CameraEvents, t: Track, phase: EventPhase, receivedAt?: number): void {
    const best = st.best.get(t.id);
    const shot = best?.dirty
      ? { image: best.image, box: best.box, ts: best.ts, score: best.score }
      : undefined;
    if (best) best.dirty = false;
    // The averaged appearance goes out whenever it gained samples since the last message.
    const look = st.appearance.get(t.id);
    const averaged = look && look.average.samples > look.published ? look.average.value() : undefined;
    if (look) look.published = look.average.samples;
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
          // Without a good view yet, the best snapshot's own appearance stands in.
          const appearance =
            averaged ?? (look?.average.samples ? undefined : describeAppearance(shot.image, shot.box));
          if (appearance) event.appearance = appearance;
        } else if (averaged) event.appearance = averaged;
        await this.#bus.publish(Topics.events, t.cameraId, event);
        if (phase === 'start' && receivedAt !== undefined) {
          this.#eventLatencyMs.add(performance.now() - receivedAt);
        }
      } catch (err) {
        this.#log.error({ err, event: t.id, phase }, 'publishing an event failed');
      }
    });
    st.chains.set(t.id, next);
    if (phase === 'end') void next.then(() => st.chains.get(t.id) === next && st.chains.delete(t.id));
  }

  async #publishAlert(alert: VigilAlert): Promise<void> {
    detectMetrics.alerts.inc({ camera: alert.cameraId, severity: alert.severity });
    this.#log.info({ alert: alert.id, rule: alert.ruleName, camera: alert.cameraId }, 'alert raised');
    await this.#bus.publish(Topics.alerts, alert.cameraId, alert);
  }

  #end(st: CameraEvents, t: Track): void {
    this.#publishEvent(st, t, 'end');
    st.best.delete(t.id);
    st.appearance.delete(t.id);
    st.lastPublished.delete(t.id);
    this.#rules.forget(t.id);
    this.#incidents.forget(t.id);
  }

  #camera(cameraId: string): CameraEvents {
    let st = this.#cameras.get(cameraId);
    if (!st) {
      st = { best: new Map(), appearance: new Map(), lastPublished: new Map(), chains: new Map() };
      this.#cameras.set(cameraId, st);
    }
    return st;
  }
}
