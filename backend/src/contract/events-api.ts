import type { AlertState, EventPhase, VigilAlert } from './events.js';
import type { Box } from './media.js';

/** HTTP routes of the event store (all under the authenticated /api prefix). */
export const EventsApiRoutes = {
  events: '/api/events',
  facets: '/api/events/facets',
  histogram: '/api/events/histogram',
  event: '/api/events/:id',
  snapshot: '/api/events/:id/snapshot.jpg',
  sightings: '/api/events/:id/sightings',
  alerts: '/api/alerts',
  alertAck: '/api/alerts/:id/ack',
  alertResolve: '/api/alerts/:id/resolve',
  savedSearches: '/api/saved-searches',
  savedSearch: '/api/saved-searches/:id',
  liveStats: '/api/stats/live',
} as const;

/** One row of a search result: what a result list shows, without the box path. */
export interface EventSummary {
  id: string;
  cameraId: string;
  /** Camera name when the store knows it, else the id. */
  cameraName: string;
  label: string;
  phase: EventPhase;
  startTs: number;
  lastTs: number;
  endTs?: number;
  topScore: number;
  box: Box;
  zones: string[];
  hasSnapshot: boolean;
  retained: boolean;
  tags: string[];
}

/** An investigator's note on an event. */
export interface EventNote {
  ts: number;
  by: string;
  text: string;
}

/** GET /api/events/:id: the full event, with its path, notes, tags and retain flag. */
export interface EventDetail extends EventSummary {
  path: Array<{ ts: number; box: Box; score: number }>;
  stationary: boolean;
  /** Time and score of the stored snapshot, when there is one (bytes: GET /api/events/:id/snapshot.jpg). */
  snapshot?: { ts: number; score: number; crop: boolean; frame: boolean; box?: Box };
  notes: EventNote[];
  /** Last time anything about the event changed (a merge, a note, a tag). */
  updatedTs: number;
}

/** GET /api/events */
export interface EventSearchResponse {
  items: EventSummary[];
  /** Pass as `cursor` to get the next page; absent on the last page. */
  nextCursor?: string;
  /**
   * Number of events matching the filters, on every page (later pages repeat the first page's count, carried by
   * the cursor). A lower bound when `totalRelation` is 'gte': the store stopped counting there.
   */
  total: number;
  /** Present when `total` is a lower bound ("more than N"). */
  totalRelation?: 'gte';
}

/** GET /api/events/facets: counts over the same filters as a search. */
export interface EventFacetsResponse {
  labels: Record<string, number>;
  cameras: Record<string, number>;
  zones: Record<string, number>;
}

export type HistogramInterval = 'minute' | 'hour' | 'day';

/** GET /api/events/histogram: event counts per interval (UTC), empty intervals included. */
export interface EventHistogramResponse {
  interval: HistogramInterval;
  buckets: Array<{ ts: number; count: number; byLabel: Record<string, number> }>;
}

/** PATCH /api/events/:id body: a note is appended, tags replace the old ones, retain sets the flag. */
export interface EventPatchBody {
  note?: string;
  tags?: string[];
  retain?: boolean;
}

/** GET /api/alerts query. */
export interface AlertListQuery {
  state?: AlertState;
  limit?: number;
}

/** POST /api/alerts/:id/ack body. */
export interface AlertAckBody {
  by?: string;
}

export type AlertResponse = VigilAlert;

/** A named search an investigator can run again. `query` holds the same parameters as GET /api/events. */
export interface SavedSearch {
  id: string;
  name: string;
  query: Record<string, string>;
  createdBy: string;
  createdTs: number;
}

/** POST /api/saved-searches body. */
export interface SavedSearchBody {
  name: string;
  query: Record<string, string>;
}

/** GET /api/stats/live: events started in the current minute, per camera and label. */
export interface LiveStatsResponse {
  /** Start of the minute (ms since the epoch, UTC). */
  minuteTs: number;
  total: number;
  perCamera: Record<string, Record<string, number>>;
  /** Where the figures came from: the Redis cache, or the event database. */
  source: 'cache' | 'store';
}

/** GET /api/events/:id/sightings query: ms since the epoch; `sameCamera` 1 includes the source's own camera. */
export interface SightingsQuery {
  from?: number;
  to?: number;
  /** 1..50, default 20. */
  limit?: number;
  sameCamera?: 0 | 1;
}

/** An event that looks like the source event, with how similar. */
export interface Sighting {
  event: EventSummary;
  /** Similarity 0..1, higher is closer. */
  score: number;
}

/**
 * GET /api/events/:id/sightings: events of the same kind (people with people, vehicles with vehicles) on the
 * cameras the caller may see, most similar first. Default window: 30 minutes either side of the source event.
 * `hasDescriptor` is false when the source event has no appearance to compare (no snapshot, too small).
 */
export interface SightingsResponse {
  eventId: string;
  hasDescriptor: boolean;
  items: Sighting[];
}
