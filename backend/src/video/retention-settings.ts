import fs from 'node:fs';
import path from 'node:path';
import type { VideoConfig } from '../contract/config/video.js';
import type { StoreCapacity } from '../contract/video.js';
import type { RetentionForecast } from '../contract/video-api.js';
import { createLogger } from '../platform/log.js';

type Retention = VideoConfig['retention'];

/** The changes to retention made in the UI, on top of the configuration file. */
interface RetentionChanges {
  maxAgeDays?: number;
  /** A camera's own age limit; null: the UI took back the one from the configuration file. */
  perCameraMaxAgeDays?: Record<string, number | null>;
}

const DAY = 86_400_000;
/** Rates are measured over the recordings of the last week: long enough to smooth day and night. */
export const FORECAST_WINDOW_MS = 7 * DAY;

/**
 * Retention changed in the UI, kept in one small JSON file under the data folder (like zones, rules and layouts)
 * and laid over the configuration file's `video.retention`. Writes go to a temporary file renamed into place.
 */
export class RetentionSettings {
  readonly #log = createLogger('video.retention-settings');
  readonly file: string;
  #changes: RetentionChanges = {};

  constructor(
    dataDir: string,
    private readonly configured: Retention,
  ) {
    this.file = path.join(dataDir, 'retention.json');
    try {
      const raw = JSON.parse(fs.readFileSync(this.file, 'utf8')) as RetentionChanges;
      if (raw && typeof raw === 'object') this.#changes = raw;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.#log.warn(
          { err, file: this.file },
          'retention changes unreadable; using the configuration file',
        );
    }
  }

  /** The retention in force: the configuration file with the UI's changes. */
  get effective(): Retention {
    const perCamera = { ...this.configured.perCameraMaxAgeDays };
    for (const [id, days] of Object.entries(this.#changes.perCameraMaxAgeDays ?? {})) {
      if (days === null) delete perCamera[id];
      else if (typeof days === 'number') perCamera[id] = days;
    }
    return {
      ...this.configured,
      ...(typeof this.#changes.maxAgeDays === 'number' ? { maxAgeDays: this.#changes.maxAgeDays } : {}),
      perCameraMaxAgeDays: perCamera,
    };
  }

  setMaxAgeDays(days: number): void {
    this.#changes.maxAgeDays = days;
    this.#write();
  }

  /** Sets a camera's own age limit, or (null) makes it follow the global one. */
  setCameraMaxAgeDays(cameraId: string, days: number | null): void {
    this.#changes.perCameraMaxAgeDays = { ...this.#changes.perCameraMaxAgeDays, [cameraId]: days };
    this.#write();
  }

  #write(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.#changes, null, 2));
    fs.renameSync(tmp, this.file);
  }
}

/**
 * How long footage fits on the video store at the rate each camera records now: bytes per recorded day measured
 * from the recordings of the last week, the store's free space, the share kept free and the byte budget.
 */
export function forecastRetention(input: {
  retention: Retention;
  /** Per camera, bytes and recorded ms of the segments of the measuring window (RecordingIndex.recordedSince). */
  recorded: Record<string, { bytes: number; ms: number }>;
  /** Cameras that record now: only they add footage from here on. */
  recordingCameras: readonly string[];
  usedByRecordings: number;
  capacity: StoreCapacity | undefined;
}): RetentionForecast {
  const { retention } = input;
  const perCamera: RetentionForecast['perCamera'] = {};
  let bytesPerDay = 0;
  let bytesNeeded = 0;
  let measuredMs = 0;
  for (const id of new Set([...input.recordingCameras, ...Object.keys(retention.perCameraMaxAgeDays)])) {
    const r = input.recorded[id];
    const rate = r && r.ms > 0 && input.recordingCameras.includes(id) ? (r.bytes / r.ms) * DAY : 0;
    const own = retention.perCameraMaxAgeDays[id];
    const maxAgeDays = own ?? retention.maxAgeDays;
    const needed = maxAgeDays > 0 ? rate * maxAgeDays : 0;
    perCamera[id] = {
      bytesPerDay: Math.round(rate),
      maxAgeDays,
      own: own !== undefined,
      bytesNeeded: Math.round(needed),
    };
    bytesPerDay += rate;
    bytesNeeded += needed;
    if (r && rate > 0) measuredMs += r.ms;
  }
  const cap = input.capacity;
  let capacityBytes = cap
    ? Math.max(0, input.usedByRecordings + cap.freeBytes - (retention.minFreePercent / 100) * cap.totalBytes)
    : input.usedByRecordings;
  if (retention.maxBytes > 0) capacityBytes = Math.min(capacityBytes, retention.maxBytes);
  return {
    measuredMs,
    bytesPerDay: Math.round(bytesPerDay),
    capacityBytes: Math.round(capacityBytes),
    ...(bytesPerDay > 0 ? { daysThatFit: Math.round((capacityBytes / bytesPerDay) * 10) / 10 } : {}),
    bytesNeeded: Math.round(bytesNeeded),
    perCamera,
  };
}
