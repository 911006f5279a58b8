import { createHash } from 'node:crypto';
import type { Box, Detection } from '../contract/media.js';
import type { Zone } from '../contract/detect-api.js';
import { anchorPoint, boxArea, boxCentre, pointInPolygon } from './geometry.js';
import { iou } from './nms.js';

export interface TrackerOptions {
  matchIou: number;
  endAfterSec: number;
  minHits: number;
  stationaryAfterSec: number;
  stationaryMovement: number;
}

/** A sighting kept on a track. */
export interface Sighting {
  ts: number;
  box: Box;
  score: number;
}

/** One object followed across frames. */
export interface Track {
  /** Deterministic: camera, label, first sighting time and place. Also the event id. */
  readonly id: string;
  readonly cameraId: string;
  readonly label: string;
  readonly firstTs: number;
  lastTs: number;
  box: Box;
  /** Per-second velocity of the box (x1, y1, x2, y2), for prediction. */
  velocity: Box;
  score: number;
  topScore: number;
  hits: number;
  /** Confirmed after minHits sightings: it is an event. */
  confirmed: boolean;
  /** Stayed in place for stationaryAfterSec. */
  stationary: boolean;
  /** Centre and time where the object last moved noticeably. */
  anchor: { ts: number; centre: [number, number] };
  /** Zones the object is in now, and every zone it entered. */
  zonesNow: string[];
  zonesEntered: string[];
  /** When the object entered each zone it is in now. */
  zoneSince: Map<string, number>;
  path: Sighting[];
}

/** What changed on one update. */
export interface TrackUpdate {
  /** Tracks that became confirmed. */
  started: Track[];
  /** Tracks seen in this frame (confirmed or not). */
  seen: Track[];
  /** Tracks that entered a zone in this frame: track id → zone names. */
  zoneEntries: Map<string, string[]>;
  /** Tracks that became stationary. */
  becameStationary: Track[];
}

/** Most path points kept per track (older ones are thinned). */
const MAX_PATH = 200;
/** A stationary object (a parked car) is kept this many times longer while unseen: it is often not re-analysed. */
const STATIONARY_KEEP_FACTOR = 100;

/**
 * SORT-style IoU tracker for one camera: predicts each track's box with its velocity, matches detections of the
 * same label greedily by IoU, starts new tentative tracks for the rest and confirms them after `minHits`.
 */
export class Tracker {
  readonly #tracks: Track[] = [];

  constructor(
    readonly cameraId: string,
    private readonly options: TrackerOptions,
  ) {}

  get tracks(): readonly Track[] {
    return this.#tracks;
  }

  /** Associates one analysed frame's detections; sets `trackId` and `zones` on each detection. */
  update(ts: number, detections: Detection[], zones: readonly Zone[]): TrackUpdate {
    const result: TrackUpdate = { started: [], seen: [], zoneEntries: new Map(), becameStationary: [] };
    const pairs: Array<{ t: Track; d: Detection; affinity: number }> = [];
    for (const t of this.#tracks) {
      const predicted = this.#predict(t, ts);
      for (const d of detections) {
        if (d.label !== t.label) continue;
        const affinity = matchAffinity(predicted, t.box, d.box, this.options.matchIou);
        if (affinity > 0) pairs.push({ t, d, affinity });
      }
    }
    pairs.sort((a, b) => b.affinity - a.affinity);
    const usedTracks = new Set<Track>();
    const usedDetections = new Set<Detection>();
    for (const { t, d } of pairs) {
      if (usedTracks.has(t) || usedDetections.has(d)) continue;
      usedTracks.add(t);
      usedDetections.add(d);
      this.#observe(t, ts, d);
      d.trackId = t.id;
      result.seen.push(t);
    }
    for (const d of detections) {
      if (usedDetections.has(d)) continue;
      const t = this.#create(ts, d);
      d.trackId = t.id;
      result.seen.push(t);
    }
    for (const t of result.seen) {
      if (!t.confirmed && t.hits >= this.options.minHits) {
        t.confirmed = true;
        result.started.push(t);
      }
      const entered = this.#updateZones(t, ts, zones);
      if (entered.length && t.confirmed) result.zoneEntries.set(t.id, entered);
      if (this.#updateStationary(t, ts)) result.becameStationary.push(t);
    }
    for (const d of detections) {
      const t = this.#tracks.find((x) => x.id === d.trackId);
      d.zones = t ? [...t.zonesNow] : zonesAt(d.box, zones);
    }
    return result;
  }

  /** Removes and returns the tracks unseen for too long at time `ts` (confirmed ones become ended events). */
  expire(ts: number): Track[] {
    const ended: Track[] = [];
    for (let i = this.#tracks.length - 1; i >= 0; i--) {
      const t = this.#tracks[i] as Track;
      const keep = this.options.endAfterSec * 1000 * (t.stationary ? STATIONARY_KEEP_FACTOR : 1);
      // Tentative tracks die fast: a one-frame false positive never becomes an event.
      const limit = t.confirmed ? keep : Math.min(keep, this.options.endAfterSec * 500);
      if (ts - t.lastTs > limit) {
        this.#tracks.splice(i, 1);
        if (t.confirmed) ended.push(t);
      }
    }
    return ended.reverse();
  }

  /** Ends every track (camera stopped, shutdown); returns the confirmed ones. */
  endAll(): Track[] {
    return this.#tracks.splice(0).filter((t) => t.confirmed);
  }

  #predict(t: Track, ts: number): Box {
    const dt = Math.min(2, Math.max(0, (ts - t.lastTs) / 1000));
    return [
      t.box[0] + t.velocity[0] * dt,
      t.box[1] + t.velocity[1] * dt,
      t.box[2] + t.velocity[2] * dt,
      t.box[3] + t.velocity[3] * dt,
    ];
  }

  #observe(t: Track, ts: number, d: Detection): void {
    const dt = (ts - t.lastTs) / 1000;
    if (dt > 0) {
      const k = 0.5; // smoothing: half new measurement, half old velocity
      t.velocity = t.velocity.map(
        (v, i) => v * (1 - k) + (((d.box[i] as number) - (t.box[i] as number)) / dt) * k,
      ) as Box;
    }
    t.box = d.box;
    t.lastTs = ts;
    t.score = d.score;
    t.topScore = Math.max(t.topScore, d.score);
    t.hits++;
    t.path.push({ ts, box: d.box, score: d.score });
    if (t.path.length > MAX_PATH) t.path = t.path.filter((_, i) => i % 2 === 0 || i === t.path.length - 1);
  }

  #create(ts: number, d: Detection): Track {
    const id = trackId(this.cameraId, d.label, ts, d.box);
    const t: Track = {
      id,
      cameraId: this.cameraId,
      label: d.label,
      firstTs: ts,
      lastTs: ts,
      box: d.box,
      velocity: [0, 0, 0, 0],
      score: d.score,
      topScore: d.score,
      hits: 1,
      confirmed: false,
      stationary: false,
      anchor: { ts, centre: boxCentre(d.box) },
      zonesNow: [],
      zonesEntered: [],
      zoneSince: new Map(),
      path: [{ ts, box: d.box, score: d.score }],
    };
    this.#tracks.push(t);
    return t;
  }

  #updateZones(t: Track, ts: number, zones: readonly Zone[]): string[] {
    const now = zonesAt(t.box, zones);
    const entered: string[] = [];
    for (const z of now) {
      if (!t.zoneSince.has(z)) {
        t.zoneSince.set(z, ts);
        entered.push(z);
      }
      if (!t.zonesEntered.includes(z)) t.zonesEntered.push(z);
    }
    for (const z of [...t.zoneSince.keys()]) if (!now.includes(z)) t.zoneSince.delete(z);
    t.zonesNow = now;
    return entered;
  }

  /** Returns true when the track just became stationary. */
  #updateStationary(t: Track, ts: number): boolean {
    const c = boxCentre(t.box);
    const moved = Math.hypot(c[0] - t.anchor.centre[0], c[1] - t.anchor.centre[1]);
    if (moved > this.options.stationaryMovement) {
      t.anchor = { ts, centre: c };
      t.stationary = false;
      return false;
    }
    if (!t.stationary && ts - t.anchor.ts >= this.options.stationaryAfterSec * 1000) {
      t.stationary = true;
      return true;
    }
    return false;
  }
}

/** Furthest a box centre may move between analysed frames, in heights of the box, and still be the same object. */
const MAX_JUMP_HEIGHTS = 0.8;

/**
 * How well a detection continues a track: above 1 for an overlap (IoU) of at least `minIou` with the predicted or
 * the last box; between 0 and 1 for a nearby box of similar size (at a low analysis rate, small people move more
 * than their own width between frames); 0 for no match.
 */
export function matchAffinity(predicted: Box, last: Box, candidate: Box, minIou: number): number {
  const overlap = Math.max(iou(predicted, candidate), iou(last, candidate));
  if (overlap >= minIou) return 1 + overlap;
  const h = Math.max(1e-6, (last[3] - last[1] + candidate[3] - candidate[1]) / 2);
  const [px, py] = boxCentre(predicted);
  const [cx, cy] = boxCentre(candidate);
  const jump = Math.hypot(px - cx, py - cy) / h;
  const sizeRatio = boxArea(candidate) / Math.max(1e-9, boxArea(last));
  if (jump >= MAX_JUMP_HEIGHTS || sizeRatio < 0.5 || sizeRatio > 2) return 0;
  return 1 - jump / MAX_JUMP_HEIGHTS;
}

/** Zones whose polygon holds the box's anchor (bottom centre). */
export function zonesAt(box: Box, zones: readonly Zone[]): string[] {
  const [x, y] = anchorPoint(box);
  return zones.filter((z) => pointInPolygon(x, y, z.points)).map((z) => z.name);
}

/** Deterministic track (and event) id: the same footage replayed gives the same ids. */
export function trackId(cameraId: string, label: string, ts: number, box: Box): string {
  const where = box.map((v) => Math.round(v * 1000)).join(',');
  const h = createHash('sha1').update(`${cameraId}|${label}|${ts}|${where}`).digest('hex').slice(0, 16);
  return `${cameraId}-${ts}-${h}`;
}
