/** Request and response shapes of the video API (/api/cameras, /api/live, /api/recordings, /api/clips …). */
import type { CameraView, StreamSourceInput } from './config/cameras.js';
import type { GapCause, HoldRecord, RetentionLogEntry } from './video.js';

/** Health state of a camera. */
export type CameraState = 'starting' | 'streaming' | 'reconnecting' | 'failed' | 'disabled';

/** GET /api/cameras item; also published on the health topic whenever the state or reason changes. */
export interface CameraStatus {
  id: string;
  name: string;
  enabled: boolean;
  state: CameraState;
  /** What happened, in words ("connection refused at 127.0.0.1:8555", "no video for 10 s"). */
  reason?: string;
  /** When the camera entered this state, ms since the epoch. */
  since: number;
  /** Frames per second received from the camera. */
  fpsIn: number;
  /** Analysis frames per second handed to detection. */
  fpsOut: number;
  /** Video bytes received since the backend started. */
  bytesIn: number;
  /** Whether footage is being written right now. */
  recording: boolean;
  tags: string[];
  location: string;
  width?: number;
  height?: number;
  codec?: string;
  /**
   * Whether the camera is declared in the configuration file. Its settings then come from the file at every start
   * and the API refuses to change or remove it (409 `set_in_config_file`); zones stay editable in the app.
   */
  setInConfigFile?: boolean;
}

/** GET /api/cameras/:id: the status plus the camera's configuration, without secrets (only `passwordSet`). */
export interface CameraDetail extends CameraStatus {
  config: CameraView;
}

/** POST /api/cameras/probe body. */
export interface ProbeRequest {
  /** The source to open; a password typed into the form travels in `source.password`. */
  source: StreamSourceInput;
  /** An existing camera whose stored password is used when none is typed (only for the same server). */
  cameraId?: string;
  stream?: 'main' | 'sub';
}

/** POST /api/cameras/probe answer (the "test" button). */
export type ProbeResponse =
  | { ok: true; codec: string; width: number; height: number; fps: number; snapshotJpegBase64: string }
  | { ok: false; reason: string };

/** GET /api/recordings/:id?from&to */
export interface RecordingsResponse {
  segments: Array<{ start: number; end: number; bytes: number }>;
  gaps: Array<{ start: number; end: number; cause: GapCause; detail?: string }>;
  /**
   * Since when the backend knows this camera: its oldest stored segment or gap, or when it was added. Uptime is
   * measured from here, so a camera added minutes ago is not rated against a whole day.
   */
  trackedSince?: number;
  /** Start of the segment being written right now (not listed in `segments` until it closes); absent when not recording. */
  recordingSince?: number;
}

/** Why a span of a camera's timeline has no footage: a recorder gap's cause, or retention's deletion. */
export type TimelineGapCause = GapCause | 'deleted by retention';

/**
 * GET /api/recordings/:id/timeline?from&to: what a playback timeline draws for one camera: the recorded spans and
 * every span without footage with its cause (recorder gaps: camera down, backend stopped, disk full, recording
 * off; and footage retention deleted), oldest first.
 */
export interface RecordingTimelineResponse {
  cameraId: string;
  from: number;
  to: number;
  segments: Array<{ start: number; end: number }>;
  gaps: Array<{ start: number; end: number; cause: TimelineGapCause; detail?: string }>;
  /** Start of the segment being written now (footage up to now plays once it closes). */
  recordingSince?: number;
}

/** Longest range one timeline request covers. */
export const MAX_TIMELINE_MS = 31 * 86_400_000;

/** GET /api/retention/log?limit */
export type RetentionLogResponse = RetentionLogEntry[];

/** GET /api/storage */
export interface StorageResponse {
  totalBytes: number;
  freeBytes: number;
  usedByRecordings: number;
  perCamera: Record<string, number>;
}

/** How long footage can be kept on the video store at the rate the cameras record now (part of GET /api/retention). */
export interface RetentionForecast {
  /** Over how much recorded time (ms, all cameras) the rates were measured: the recordings of the last 7 days. */
  measuredMs: number;
  /** Bytes recorded per day by all cameras at the measured rates. */
  bytesPerDay: number;
  /**
   * Bytes the recordings may take: what they use now plus the free space, less the share kept free
   * (`minFreePercent`), and at most the byte budget (`maxBytes`) when there is one.
   */
  capacityBytes: number;
  /** Days of footage of every camera that fit in `capacityBytes`; absent while nothing was measured. */
  daysThatFit?: number;
  /** Bytes the retention in force needs at the measured rates (cameras without an age limit not counted). */
  bytesNeeded: number;
  perCamera: Record<
    string,
    {
      bytesPerDay: number;
      /** The age limit in force for this camera (0: none). */
      maxAgeDays: number;
      /** Whether that limit is the camera's own (set for it) or the global one. */
      own: boolean;
      bytesNeeded: number;
    }
  >;
}

/** GET /api/retention: the retention in force (the configuration with the changes made in the UI) and its forecast. */
export interface RetentionResponse {
  /** Footage older than this is deleted (0: no age limit). */
  maxAgeDays: number;
  /** Per-camera age limits overriding `maxAgeDays`. */
  perCameraMaxAgeDays: Record<string, number>;
  maxBytes: number;
  minFreePercent: number;
  forecast: RetentionForecast;
}

/** Longest clip GET /api/clips assembles (longer footage is exported as evidence, in parts). */
export const MAX_CLIP_MS = 30 * 60_000;
/** Bounds of a hold (POST /api/holds): no earlier than 2000, no later than a year ahead, at most a year long. */
export const HOLD_LIMITS = {
  earliest: Date.UTC(2000, 0, 1),
  aheadMs: 366 * 86_400_000,
  maxSpanMs: 366 * 86_400_000,
  maxReason: 1000,
} as const;

/** POST /api/holds body. */
export interface HoldRequest {
  cameraId: string;
  from: number;
  to: number;
  reason: string;
}

/** POST /api/holds answer; GET /api/holds items. */
export type HoldResponse = HoldRecord;

/** First (text) message of the live WebSocket; binary fMP4 messages follow. */
export interface LiveInfoMessage {
  type: 'info';
  mime: string;
}

/**
 * Text message sent just before each fMP4 fragment on the live WebSocket: the fragment ends at `mediaTime` (s, the
 * video element's time line) and came out of the camera's ffmpeg at `wallTs` (ms since the epoch, backend clock).
 * Analysis frames are stamped on the same clock, so a player maps the frame it shows to the detections of that frame.
 */
export interface LiveTimeMessage {
  type: 'time';
  mediaTime: number;
  wallTs: number;
}

/** Video API paths. */
export const VideoRoutes = {
  cameras: '/api/cameras',
  camera: '/api/cameras/:id',
  probe: '/api/cameras/probe',
  snapshot: '/api/cameras/:id/snapshot.jpg',
  live: '/api/live/:id',
  recordings: '/api/recordings/:id',
  timeline: '/api/recordings/:id/timeline',
  clip: '/api/clips/:file',
  retentionLog: '/api/retention/log',
  /** GET the retention in force and its forecast; PUT a RetentionUpdate. */
  retention: '/api/retention',
  /** PUT a CameraRetentionUpdate: one camera's own age limit, or null to follow the global one. */
  cameraRetention: '/api/retention/cameras/:id',
  storage: '/api/storage',
  holds: '/api/holds',
  hold: '/api/holds/:id',
} as const;
