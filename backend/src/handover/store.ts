import type { Handover } from '../contract/handover.js';

/** A time a camera was down, as recorded (open while `endTs` is absent). */
export interface OutageRecord {
  cameraId: string;
  cameraName?: string;
  startTs: number;
  endTs?: number;
  reason?: string;
}

/** An acknowledgement of a handover by the next guard. */
export interface HandoverAck {
  by: string;
  name?: string;
  ts: number;
  note?: string;
}

/**
 * Where handovers and the history of camera outages live: SQLite in an installation (`<data>/handovers.db`).
 * Outages are kept here because nothing else remembers when a camera was down and for how long (the recording
 * index only knows gaps in footage, and only for cameras that record).
 */
export interface HandoverStore {
  add(handover: Handover): Promise<void>;
  get(id: string): Promise<Handover | undefined>;
  /** Newest first. */
  list(limit: number): Promise<Handover[]>;
  /** The latest handover a person wrote. */
  lastBy(author: string): Promise<Handover | undefined>;
  /** Records the acknowledgement; undefined when there is no such handover or it was acknowledged already. */
  acknowledge(id: string, ack: HandoverAck): Promise<Handover | undefined>;

  /** A camera went down at `ts` (nothing changes when it is down already). */
  cameraDown(cameraId: string, ts: number, details: { name?: string; reason?: string }): Promise<void>;
  /** A camera streams again since `ts` (closes its open outage, if any). */
  cameraUp(cameraId: string, ts: number): Promise<void>;
  /** Outages overlapping [from, to) of the given cameras (every camera when undefined), oldest first. */
  outages(from: number, to: number, cameras?: readonly string[]): Promise<OutageRecord[]>;
  dispose(): Promise<void>;
}
