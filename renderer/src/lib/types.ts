// Shapes of the HTTP API as agreed between the backend areas (see docs/openapi.json). Types only.
import type { Box, FrameDetections, RealtimeCameraState, VigilAlert } from '../../../backend/src/contract';

export type { Box, FrameDetections, VigilAlert };
export type CameraState = RealtimeCameraState;

export interface CameraStatus {
  id: string;
  name: string;
  enabled: boolean;
  state: CameraState;
  reason?: string;
  since: number;
  fpsIn: number;
  fpsOut: number;
  bytesIn: number;
  recording: boolean;
  tags?: string[];
  location?: string;
  width?: number;
  height?: number;
  codec?: string;
  [extra: string]: unknown;
}

export interface RecordingGap {
  start: number;
  end: number;
  cause: 'camera down' | 'backend stopped' | 'disk full' | 'recording off';
  detail?: string;
}
export interface RecordingsResponse {
  segments: Array<{ start: number; end: number; bytes: number }>;
  gaps: RecordingGap[];
}

export interface EventSummary {
  id: string;
  cameraId: string;
  label: string;
  startTs: number;
  lastTs?: number;
  endTs?: number;
  topScore: number;
  box?: Box;
  zones?: string[];
  hasSnapshot?: boolean;
  retained?: boolean;
  tags?: string[];
  [extra: string]: unknown;
}
export interface EventsPage {
  items: EventSummary[];
  nextCursor?: string;
  total?: number;
}
export interface EventDetail extends EventSummary {
  notes?: Array<{ ts?: number; text: string; by?: string } | string>;
  note?: string;
  path?: Array<{ ts: number; box: Box; score: number }>;
}
export interface Facets {
  labels: Record<string, number>;
  cameras: Record<string, number>;
  zones: Record<string, number>;
}
export interface Histogram {
  interval: 'minute' | 'hour' | 'day';
  buckets: Array<{
    ts: number;
    count: number;
    byLabel?: Record<string, number>;
    byCamera?: Record<string, number>;
  }>;
}

export interface Zone {
  name: string;
  points: Array<[number, number]>;
  color?: string;
}
export interface ZonesConfig {
  zones: Zone[];
  masks: Array<{ points: Array<[number, number]> }>;
}

export type ProbeResult =
  | { ok: true; codec: string; width: number; height: number; fps: number; snapshotJpegBase64: string }
  | { ok: false; reason: string };

export interface DetectStats {
  backend: string;
  model: string;
  inferenceMsP50: number;
  perCamera: Record<
    string,
    { framesIn: number; framesAnalysed: number; skippedNoMotion: number; droppedBehind: number }
  >;
}

export interface StorageInfo {
  totalBytes: number;
  freeBytes: number;
  usedByRecordings: number;
  perCamera: Record<string, number>;
}
export interface RetentionEntry {
  ts: number;
  cameraId: string;
  start: number;
  end: number;
  bytes: number;
  reason: string;
}
