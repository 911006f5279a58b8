/**
 * Shift handover: at the end of a shift the app prepares a summary of what happened on the guard's cameras
 * (incidents they handled, incidents still open, cameras that were down), the guard adds notes and ends the
 * shift; the next guard on those cameras acknowledges it, and supervisors see their team's handovers.
 */
import { z } from 'zod';
import type { AlertSeverity } from './events.js';
import type { IncidentState } from './incidents.js';

/** Routes of handovers. */
export const HandoverApiRoutes = {
  /** GET: the summary prepared for the caller's shift (nothing is stored). */
  draft: '/api/handovers/draft',
  /** GET: the handovers the caller may see; POST {notes}: ends the caller's shift. */
  handovers: '/api/handovers',
  /** POST {note?}: the next guard acknowledges a handover. */
  ack: '/api/handovers/:id/ack',
} as const;

/** The longest shift a summary covers. */
export const MAX_SHIFT_MS = 24 * 3600_000;

/** An incident as a handover mentions it. */
export interface HandoverIncident {
  id: string;
  cameraId: string;
  severity: AlertSeverity;
  labels: string[];
  startTs: number;
  state: IncidentState;
  /** What the guard did with it during the shift (absent for an open incident they did not touch). */
  action?: 'acknowledged' | 'resolved';
  actedTs?: number;
  /** The note of the acknowledgement or resolution. */
  note?: string;
  /** Who acknowledged an open incident (someone else, or the guard). */
  acknowledgedBy?: string;
}

/** A time a camera was down during the shift. */
export interface CameraOutage {
  cameraId: string;
  cameraName?: string;
  /** When it went down (or the start of the shift, when it was down already). */
  fromTs: number;
  /** When it came back (or the end of the summary); absent while it is still down. */
  toTs?: number;
  /** How long it was down within the shift (ms). */
  downMs: number;
  /** Why, in words, as the camera reported it ("connection refused …"). */
  reason?: string;
}

/** What the app prepares for a shift. */
export interface HandoverSummary {
  /** The shift: since the guard's last handover or sign-in, at most MAX_SHIFT_MS back. */
  fromTs: number;
  toTs: number;
  /** The cameras covered (every camera: `'*'`). */
  cameras: string[] | '*';
  /** Incidents the guard acknowledged or resolved during the shift, newest first. */
  handled: HandoverIncident[];
  /** Incidents still open (new or acknowledged) on the guard's cameras, newest first. */
  open: HandoverIncident[];
  /** Cameras of the guard's that were down, longest first. */
  outages: CameraOutage[];
}

/** GET /api/handovers/draft answer: the summary, and empty notes for the guard to fill. */
export interface HandoverDraft {
  summary: HandoverSummary;
  notes: string;
}

/** A shift ended: the summary, the guard's notes and, once the next guard read it, their acknowledgement. */
export interface Handover {
  id: string;
  author: string;
  authorName?: string;
  /** The author's team when they ended the shift. */
  team?: string;
  createdTs: number;
  summary: HandoverSummary;
  notes: string;
  acknowledgedBy?: string;
  acknowledgedName?: string;
  acknowledgedTs?: number;
  ackNote?: string;
}

/** GET /api/handovers item: a handover, and whether it waits for the caller's acknowledgement. */
export interface HandoverListItem extends Handover {
  awaitingYou: boolean;
}

/** GET /api/handovers answer: unacknowledged first, then newest first. */
export interface HandoverListResponse {
  handovers: HandoverListItem[];
}

/** POST /api/handovers body: the guard's notes (the summary is prepared again by the server as the shift ends). */
export const NewHandoverBody = z.strictObject({
  notes: z.string('text').trim().max(4000, 'at most 4000 characters').default(''),
});
export type NewHandoverBody = z.input<typeof NewHandoverBody>;

/** POST /api/handovers/:id/ack body. */
export const HandoverAckBody = z.strictObject({
  note: z.string('text').trim().max(2000, 'at most 2000 characters').optional(),
});
export type HandoverAckBody = z.infer<typeof HandoverAckBody>;

/** GET /api/handovers query. */
export const HandoverListParams = z.strictObject({
  limit: z
    .union([z.number(), z.string().max(4).regex(/^\d+$/, 'a number')])
    .transform(Number)
    .pipe(z.number().int().min(1).max(500, 'at most 500'))
    .optional(),
});
