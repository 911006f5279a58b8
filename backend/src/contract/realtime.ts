import type { VigilAlert, VigilEvent } from './events.js';
import type { Incident } from './incidents.js';
import type { FrameDetections } from './media.js';

/** Camera states as reported on the health topic and by GET /api/cameras. */
export type RealtimeCameraState = 'starting' | 'streaming' | 'reconnecting' | 'failed' | 'disabled';

/** The part of a camera status the realtime hub relays (the health topic carries the full CameraStatus). */
export interface RealtimeCameraHealth {
  id: string;
  name?: string;
  state: RealtimeCameraState;
  reason?: string;
  /** ms since the epoch: when the camera entered this state. */
  since: number;
  [extra: string]: unknown;
}

/** An event as relayed to clients: never the snapshot bytes (clients load /api/events/:id/snapshot.jpg). */
export type RealtimeEvent = Omit<VigilEvent, 'snapshot'> & { snapshot?: { ts: number; score: number } };

/** Messages on WS /api/ws, server → client. Any other kind is dropped by the server (fail closed). */
export type RealtimeMessage =
  | { kind: 'detections'; data: FrameDetections }
  | { kind: 'event'; data: RealtimeEvent }
  | { kind: 'alert'; data: VigilAlert }
  | { kind: 'incident'; data: Incident }
  | { kind: 'health'; data: RealtimeCameraHealth };

export type RealtimeKind = RealtimeMessage['kind'];

export const REALTIME_KINDS: readonly RealtimeKind[] = ['detections', 'event', 'alert', 'incident', 'health'];
