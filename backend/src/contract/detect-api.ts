/** HTTP DTOs of detection: zones and masks per camera, alert rules, detector statistics. */
import type { AlertSeverity } from './events.js';
import type { Snooze, Suppression } from './incidents.js';

/** A point in normalised frame coordinates (0..1 of width and height). */
export type NormPoint = [number, number];

/** A named polygon zone. An object is in a zone when the bottom centre of its box (its feet) is inside. */
export interface Zone {
  name: string;
  points: NormPoint[];
  /** CSS colour for drawing, e.g. "#ff8800". */
  color?: string;
}

/** A motion mask: motion inside it is ignored (trees, a clock, a road outside the site). */
export interface MotionMask {
  points: NormPoint[];
}

/** GET/PUT /api/cameras/:id/zones */
export interface CameraZones {
  zones: Zone[];
  masks: MotionMask[];
}

/** When a rule is active: local time of day, from–to (may wrap midnight), and optionally days (0 = Sunday). */
export interface AlertSchedule {
  /** "HH:MM" */
  from: string;
  /** "HH:MM"; earlier than `from` means the window wraps midnight. */
  to: string;
  days?: number[];
}

/**
 * An alert rule: an object of one of `labels` (on one of `cameraIds`, in a zone, in a time window) seen for at least
 * minDurationSec (and in the zone for dwellSec), with at least minCount such objects at once. Hits group into
 * incidents; after an incident of the rule closes, the rule opens no new one on that camera for cooldownSec.
 */
export interface AlertRule {
  id: string;
  name: string;
  labels: string[];
  /** Empty: every camera. */
  cameraIds: string[];
  zone?: string;
  schedule?: AlertSchedule;
  minDurationSec: number;
  /** Loitering: seconds the object must stay in the zone (needs a zone). */
  dwellSec: number;
  /** Objects matching the rule needed on the camera (in the zone) at the same time. */
  minCount: number;
  cooldownSec: number;
  severity: AlertSeverity;
  enabled: boolean;
}

/** A rule as older settings files and clients write it: one `label` and `cameraId`, no dwell, count or cooldown. */
export type AlertRuleLike = Omit<
  AlertRule,
  'labels' | 'cameraIds' | 'dwellSec' | 'minCount' | 'cooldownSec'
> & {
  labels?: string[];
  cameraIds?: string[];
  label?: string;
  cameraId?: string;
  dwellSec?: number;
  minCount?: number;
  cooldownSec?: number;
};

/** The current form of a rule written in either form. */
export function normaliseAlertRule(r: AlertRuleLike): AlertRule {
  const { label, cameraId, ...rest } = r;
  return {
    ...rest,
    labels: r.labels?.length ? r.labels : label ? [label] : [],
    cameraIds: r.cameraIds ?? (cameraId ? [cameraId] : []),
    dwellSec: r.dwellSec ?? 0,
    minCount: r.minCount ?? 1,
    cooldownSec: r.cooldownSec ?? 0,
  };
}

/** POST /api/alert-rules and PUT /api/alert-rules/:id body (the id is assigned by the server on POST). */
export type AlertRuleInput = Omit<AlertRuleLike, 'id'> & { id?: string };

/** Counters of one camera in the detection stage. */
export interface CameraDetectStats {
  /** Analysis frames received. */
  framesIn: number;
  /** Frames the object detector ran on. */
  framesAnalysed: number;
  /** Frames skipped because nothing moved. */
  skippedNoMotion: number;
  /** Frames dropped because the detector was behind (oldest frame of the camera dropped). */
  droppedBehind: number;
  /** Frames analysed in a 2×2 mosaic with other cameras' frames (the detector was behind). */
  mosaicFrames: number;
}

/** GET /api/detect/stats */
export interface DetectStats {
  backend: 'tfjs-node' | 'wasm' | 'cpu';
  model: string;
  /** Median inference time over the recent window, ms (0 before the first inference). */
  inferenceMsP50: number;
  /** Detector worker threads running (0 while the model loads or when it failed to load). */
  workers: number;
  perCamera: Record<string, CameraDetectStats>;
}

/** Routes of the detection API. */
export const DetectApiRoutes = {
  zones: '/api/cameras/:id/zones',
  alertRules: '/api/alert-rules',
  alertRule: '/api/alert-rules/:id',
  stats: '/api/detect/stats',
} as const;

/**
 * A change of detection settings on the settings topic (cluster mode): the whole zone set of one camera, an alert
 * rule added or replaced, or an alert rule deleted. Keyed by `settingsKey`, so the compacted topic keeps the
 * latest of each.
 */
export type DetectSettingsChange =
  | { kind: 'zones'; cameraId: string; zones: CameraZones; ts: number }
  | { kind: 'alert-rule'; rule: AlertRule; ts: number }
  | { kind: 'alert-rule-deleted'; id: string; ts: number }
  | { kind: 'snooze'; snooze: Snooze; ts: number }
  | { kind: 'snooze-deleted'; snoozeKind: Snooze['kind']; target: string; ts: number }
  | { kind: 'suppression'; suppression: Suppression; ts: number }
  | { kind: 'suppression-deleted'; id: string; ts: number };

/** The message key of a settings change. */
export function settingsKey(change: DetectSettingsChange): string {
  switch (change.kind) {
    case 'zones':
      return `zones/${change.cameraId}`;
    case 'alert-rule':
      return `alert-rule/${change.rule.id}`;
    case 'alert-rule-deleted':
      return `alert-rule/${change.id}`;
    case 'snooze':
      return `snooze/${change.snooze.kind}/${change.snooze.target}`;
    case 'snooze-deleted':
      return `snooze/${change.snoozeKind}/${change.target}`;
    case 'suppression':
      return `suppression/${change.suppression.id}`;
    case 'suppression-deleted':
      return `suppression/${change.id}`;
  }
}
