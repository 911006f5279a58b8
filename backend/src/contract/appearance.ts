import { z } from 'zod';
import type { Appearance } from './events.js';

/**
 * Which objects are compared with which when finding an object on other cameras: people with people; cars,
 * trucks, buses, motorcycles and bicycles with each other (a detector may call one van a car here and a truck
 * there); any other label with its own kind.
 */
export function labelFamily(label: string): string {
  if (label === 'person') return 'person';
  if (VEHICLE_LABELS.has(label)) return 'vehicle';
  return label;
}

const VEHICLE_LABELS: ReadonlySet<string> = new Set(['car', 'truck', 'bus', 'motorcycle', 'bicycle']);

/** One event's appearance as the index keeps it. */
export interface AppearanceEntry {
  eventId: string;
  cameraId: string;
  /** `labelFamily` of the event's label. */
  family: string;
  /** When the described snapshot was taken (ms since the epoch). */
  ts: number;
  appearance: Appearance;
}

/** What `AppearanceIndex.nearest` looks for. */
export interface NearestQuery {
  appearance: Appearance;
  family: string;
  /** Inclusive time range of the sightings (ms). */
  from: number;
  to: number;
  /** Only these cameras; every camera when absent. */
  cameras?: readonly string[];
  /** Never these cameras (the source event's own, unless asked for). */
  excludeCameras?: readonly string[];
  /** Never this event (the source itself). */
  excludeEventId?: string;
  limit: number;
}

/** A sighting as the index ranks it: the event id and its similarity 0..1 (higher is closer). */
export interface NearestHit {
  eventId: string;
  score: number;
}

/**
 * Appearance descriptors of events, searchable by similarity ("find this person on other cameras"). Kept apart
 * from the event store: written from the events topic by its own reader, so an event store needs no change to
 * serve it. `put` is idempotent by event id (a later descriptor of the same event replaces the earlier one).
 */
export interface AppearanceIndex {
  put(entries: readonly AppearanceEntry[]): Promise<void>;
  get(eventId: string): Promise<AppearanceEntry | undefined>;
  /** The most similar entries, best first, at most `limit`. */
  nearest(query: NearestQuery): Promise<NearestHit[]>;
  /** Forgets entries whose snapshot is older than `ts` (retention); returns how many. */
  deleteBefore(ts: number): Promise<number>;
  dispose(): Promise<void>;
}

const msParam = z
  .union([
    z.number(),
    z
      .string()
      .max(16)
      .regex(/^\d{1,16}$/, 'a time in milliseconds since the epoch'),
  ])
  .transform(Number)
  .pipe(z.number().int().min(0).max(4_102_444_800_000, 'a time before 2100 in milliseconds since the epoch'));

/** Query of GET /api/events/:id/sightings (see `SightingsQuery`). */
export const SightingsQueryParams = z.strictObject({
  from: msParam.optional(),
  to: msParam.optional(),
  limit: z
    .union([z.number(), z.string().max(3).regex(/^\d+$/, 'a number')])
    .transform(Number)
    .pipe(z.number().int().min(1, 'at least 1').max(50, 'at most 50'))
    .optional(),
  sameCamera: z.enum(['0', '1']).optional(),
});

/** Default window of a sightings search: this long before the source event starts and after it ends (ms). */
export const SIGHTINGS_WINDOW_MS = 30 * 60_000;
