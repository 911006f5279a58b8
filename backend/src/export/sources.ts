import type { AuditEntry } from '../contract/audit.js';
import type { ContinuityItem } from '../contract/backup.js';

/** One recorded segment file of a camera. */
export interface SegmentFile {
  /** Absolute path of the media file (MP4, timestamps starting at the segment start). */
  path: string;
  start: number;
  end: number;
}

/** The recording index, as the exporter sees it. */
export interface SegmentSource {
  /** Segments overlapping [from, to), oldest first. */
  segments(cameraId: string, from: number, to: number): Promise<SegmentFile[]>;
  /** Gaps and deletions inside [from, to), with causes, as the recorder and retention logged them. */
  continuity(cameraId: string, from: number, to: number): Promise<ContinuityItem[]>;
}

/** An event as written to events.json: the store's fields, at least these. */
export interface ExportedEvent {
  id: string;
  cameraId: string;
  /** Start of the event. */
  ts: number;
  label: string;
  [field: string]: unknown;
}

/** The event store, as the exporter sees it. */
export interface EventSource {
  events(cameraIds: readonly string[], from: number, to: number): Promise<ExportedEvent[]>;
  /** JPEG snapshot of an event, when it has one. */
  snapshot(eventId: string): Promise<Buffer | undefined>;
}

/** The audit log, as the exporter sees it: where an export is recorded, and the history that travels with it. */
export interface AuditSink {
  /** Records an export of these cameras' footage (one entry per camera, so each camera's history shows it). */
  record(entry: {
    actor: string;
    cameras: readonly string[];
    target: string;
    detail: Record<string, unknown>;
  }): void | Promise<void>;
  /** Every entry concerning these cameras, oldest first: who watched, played and exported their footage. */
  history(cameraIds: readonly string[]): Promise<AuditEntry[]>;
}

/** Protects footage from retention (POST /api/holds in the recorder). */
export interface HoldSink {
  hold(request: { cameraId: string; from: number; to: number; reason: string }): Promise<string>;
}
