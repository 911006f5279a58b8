import type { Box } from './media.js';

/** Lifecycle of a tracked object as an event. */
export type EventPhase = 'start' | 'update' | 'end';

/** A point of an event's box path. */
export interface EventPathPoint {
  ts: number;
  box: Box;
  score: number;
}

/**
 * An event: one tracked object (a person, a car) on one camera, from first to last sighting. The id is
 * deterministic (camera, track start, label), so a replay or redelivery updates instead of duplicating.
 */
export interface VigilEvent {
  id: string;
  cameraId: string;
  label: string;
  phase: EventPhase;
  /** ms since the epoch */
  startTs: number;
  /** Last time the object was seen. */
  lastTs: number;
  /** Set when the event has ended. */
  endTs?: number;
  topScore: number;
  /** Box of the best sighting. */
  box: Box;
  /** Zones entered so far. */
  zones: string[];
  /** Sampled box path. */
  path: EventPathPoint[];
  /** The object stayed in place (a parked car): no new alerts. */
  stationary?: boolean;
  /** Best snapshot, when one was taken. */
  snapshot?: EventSnapshot;
  /**
   * Appearance of the object averaged over its good views so far (or of its best snapshot before the first), for
   * finding it on other cameras; only on messages where it changed, when it could be described.
   */
  appearance?: Appearance;
}

/**
 * An appearance descriptor: colour and texture statistics of an object's parts, a unit vector compared by cosine
 * similarity. `v` names how it was computed; vectors of different versions are not compared.
 */
export interface Appearance {
  v: 1;
  vector: number[];
}

/** Longest appearance vector any version may have (bounds on the bus and in the stores). */
export const APPEARANCE_MAX_LENGTH = 256;

/** Best snapshot of an event: JPEG crop and full frame, as bytes on the bus or paths once stored. */
export interface EventSnapshot {
  ts: number;
  score: number;
  /**
   * Box of the object on the snapshot's own frame. The event's `box` follows its top score, which can come from
   * another frame than the snapshot; drawing that one on the snapshot puts it beside a moving person.
   */
  box?: Box;
  /** JPEG of the full frame (base64 on the bus, omitted once stored). */
  frameJpeg?: string;
  /** JPEG of the crop around the object. */
  cropJpeg?: string;
}

export type AlertSeverity = 'info' | 'warning' | 'critical';
export type AlertState = 'new' | 'acknowledged' | 'resolved';

/** An alert raised by a rule for an event. */
export interface VigilAlert {
  /** Deterministic: rule id + event id. */
  id: string;
  ruleId: string;
  ruleName: string;
  eventId: string;
  cameraId: string;
  label: string;
  zone?: string;
  severity: AlertSeverity;
  state: AlertState;
  raisedTs: number;
  acknowledgedBy?: string;
  acknowledgedTs?: number;
  resolvedTs?: number;
  /** Times it escalated while unacknowledged. */
  escalations?: number;
}
