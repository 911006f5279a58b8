import { z } from 'zod';
import { Limits } from './config/limits.js';
import type { AlertState, VigilAlert, VigilEvent } from './events.js';
import type { IncidentStore } from './incidents.js';
import type {
  EventDetail,
  EventFacetsResponse,
  EventHistogramResponse,
  EventSearchResponse,
  HistogramInterval,
  LiveStatsResponse,
  SavedSearch,
  SavedSearchBody,
} from './events-api.js';

/*
 * The event store contract. Every implementation (SQLite embedded, Elasticsearch in a cluster) takes the same
 * validated queries and must give the same answers: the parameterised contract suite checks it.
 *
 * Search semantics:
 * - an event matches the time range when its startTs is in [from, to);
 * - cameras, labels and zones each match any of the listed values (an event matches a zone it ever entered);
 *   the filters combine with AND;
 * - minScore compares with topScore (inclusive); hasSnapshot means a crop or frame JPEG is stored;
 * - free text: the words of `q` (letters and digits, case and accents ignored) must each be the start of a word
 *   of the event's label, camera id, camera name, zones, tags or notes; nothing in `q` is query syntax;
 * - order: startTs then id (code-unit order), both descending for "newest"; pages continue after the cursor's
 *   (startTs, id), so events arriving meanwhile never shift or repeat a page;
 * - every page carries the search's total: the first page counts, its cursor carries the count to later pages;
 *   it may be a lower bound ("more than N", totalRelation 'gte') where a store caps counting;
 * - facets count events per label and camera, and per zone (an event counts once in each of its zones);
 * - histogram buckets are UTC minutes, hours or days (see histogramInterval), empty buckets included.
 */

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
export const MINUTE_MS = 60_000;
/** Largest page a search returns. */
export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PAGE_SIZE = 50;
/** Longest free-text query, in characters. */
export const MAX_QUERY_TEXT = 200;
const MAX_LIST_ITEMS = 100;
/** Year 2100: a bound that catches seconds-vs-milliseconds and typing slips. */
const MAX_TS = 4_102_444_800_000;

/** A client error in a query or body: names the field and says what is wrong, in words. */
export class StoreInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'StoreInputError';
  }
}

const tsParam = z
  .union(
    [
      z.number(),
      z
        .string()
        .max(Limits.token)
        .regex(/^\d{1,16}$/, 'a time in milliseconds since the epoch'),
    ],
    'a time in milliseconds since the epoch',
  )
  .transform(Number)
  .pipe(
    z
      .number()
      .int('a whole number of milliseconds since the epoch')
      .min(0, 'a time after 1970')
      .max(MAX_TS, 'a time before 2100 in milliseconds since the epoch'),
  );

const listParam = z
  .union(
    [z.string().max(4000), z.array(z.string().max(120)).max(MAX_LIST_ITEMS)],
    'a comma-separated list of at most 4000 characters',
  )
  .transform((v) =>
    (typeof v === 'string' ? v.split(',') : v).map((s) => s.trim()).filter((s) => s.length > 0),
  )
  .pipe(
    z
      .array(z.string().max(120, 'at most 120 characters'))
      .max(MAX_LIST_ITEMS, `at most ${MAX_LIST_ITEMS} values`),
  );

const boolParam = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0'])], 'true or false')
  .transform((v) => v === true || v === 'true' || v === '1');

/**
 * Search parameters as a client sends them (query-string strings or typed values). Unknown keys are refused, so
 * a misspelt filter is an error instead of silently matching everything.
 */
export const EventQueryParams = z.strictObject({
  from: tsParam.optional(),
  to: tsParam.optional(),
  cameras: listParam.optional(),
  labels: listParam.optional(),
  zones: listParam.optional(),
  minScore: z
    .union(
      [
        z.number(),
        z
          .string()
          .max(Limits.token)
          .regex(/^(0(\.\d+)?|1(\.0+)?|\.\d+)$/, 'a number from 0 to 1'),
      ],
      'a number from 0 to 1',
    )
    .transform(Number)
    .pipe(z.number().min(0, 'a number from 0 to 1').max(1, 'a number from 0 to 1'))
    .optional(),
  hasSnapshot: boolParam.optional(),
  retained: boolParam.optional(),
  q: z.string('text').max(MAX_QUERY_TEXT, `at most ${MAX_QUERY_TEXT} characters`).optional(),
  sort: z.enum(['newest', 'oldest'], 'newest or oldest').optional(),
  limit: z
    .union(
      [
        z.number(),
        z
          .string()
          .max(Limits.token)
          .regex(/^\d{1,9}$/, `a whole number from 1 to ${MAX_PAGE_SIZE}`),
      ],
      `a whole number from 1 to ${MAX_PAGE_SIZE}`,
    )
    .transform(Number)
    .pipe(
      z
        .number()
        .int(`a whole number from 1 to ${MAX_PAGE_SIZE}`)
        .min(1, `from 1 to ${MAX_PAGE_SIZE}`)
        .max(MAX_PAGE_SIZE, `from 1 to ${MAX_PAGE_SIZE}`),
    )
    .optional(),
  cursor: z.string('a cursor returned by a search').max(1000, 'not a cursor returned by a search').optional(),
});
export type EventQueryInput = z.input<typeof EventQueryParams>;

/** A validated search: every default resolved, the time range fixed. */
export interface EventQuery {
  from: number;
  /** Exclusive. */
  to: number;
  cameras: string[];
  labels: string[];
  zones: string[];
  minScore?: number;
  hasSnapshot?: boolean;
  retained?: boolean;
  /** Free-text words (letters and digits only): each must prefix-match a word of the event's text. */
  terms: string[];
  sort: 'newest' | 'oldest';
  limit: number;
  /** Position after which the page starts (keyset on startTs, id). */
  after?: { startTs: number; id: string };
  /** The total the first page counted, carried by the cursor so every later page reports it without recounting. */
  counted?: SearchTotal;
}

/** How many events a search matches: exact, or (`atLeast`) a lower bound where the store stops counting. */
export interface SearchTotal {
  total: number;
  atLeast: boolean;
}

interface CursorState {
  s: number;
  i: string;
  f: number;
  t: number;
  o: 'newest' | 'oldest';
  /** Total counted by the first page, and whether it is a lower bound. */
  n?: number;
  g?: 1;
}

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): string {
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

const CursorSchema = z.strictObject({
  s: z.number().int(),
  i: z.string().max(300),
  f: z.number().int(),
  t: z.number().int(),
  o: z.enum(['newest', 'oldest']),
  n: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  g: z.literal(1).optional(),
});

/**
 * The opaque cursor for the page after `last`. It pins the time range, so later pages do not shift, and carries
 * the search's total, so every page reports the same count as the first.
 */
export function encodeCursor(
  query: EventQuery,
  last: { startTs: number; id: string },
  counted?: SearchTotal,
): string {
  const state: CursorState = { s: last.startTs, i: last.id, f: query.from, t: query.to, o: query.sort };
  if (counted) {
    state.n = counted.total;
    if (counted.atLeast) state.g = 1;
  }
  return toBase64Url(JSON.stringify(state));
}

/** Sets a page's total (and `totalRelation` when it is a lower bound). */
export function withTotal<T extends { total?: number; totalRelation?: 'gte' }>(
  page: T,
  counted: SearchTotal,
): T {
  page.total = counted.total;
  if (counted.atLeast) page.totalRelation = 'gte';
  else delete page.totalRelation;
  return page;
}

function decodeCursor(cursor: string): CursorState {
  try {
    return CursorSchema.parse(JSON.parse(fromBase64Url(cursor)));
  } catch {
    throw new StoreInputError('cursor', 'cursor is not one returned by a search; start again without it');
  }
}

/** Words of a free-text query: runs of letters and digits, lower-cased. Everything else only separates words. */
export function searchTerms(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, 16);
}

/** Turns the first zod issue into a StoreInputError naming the field. */
export function inputErrorFrom(error: z.ZodError, prefix = ''): StoreInputError {
  const issue = error.issues[0];
  if (!issue) return new StoreInputError(prefix || 'query', 'invalid input');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    return new StoreInputError(key, `unknown parameter "${key.slice(0, 40)}"`);
  }
  const field = [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || 'query';
  return new StoreInputError(field, `${field} must be ${issue.message}`);
}

/**
 * Validates and resolves a search. Throws StoreInputError naming the field. The time range defaults to the 24 h
 * up to the next whole minute after `now`; a cursor pins the range and sort of the search that produced it.
 */
export function parseEventQuery(input: unknown, now = Date.now()): EventQuery {
  const parsed = EventQueryParams.safeParse(input ?? {});
  if (!parsed.success) throw inputErrorFrom(parsed.error);
  const p = parsed.data;
  // The default end is the next whole minute: the same answer as "now" (no event starts in the future), and
  // repeated searches within a minute are the same query, which a cache can answer.
  const end = Math.ceil((now + 1) / MINUTE_MS) * MINUTE_MS;
  let to = p.to ?? (p.from !== undefined ? Math.max(end, p.from + 1) : end);
  let from = p.from ?? to - DAY_MS;
  let after: EventQuery['after'];
  let counted: SearchTotal | undefined;
  let sort = p.sort ?? 'newest';
  if (p.cursor !== undefined && p.cursor !== '') {
    const c = decodeCursor(p.cursor);
    if (p.sort !== undefined && p.sort !== c.o)
      throw new StoreInputError('cursor', 'cursor belongs to a search with another sort order');
    from = c.f;
    to = c.t;
    sort = c.o;
    after = { startTs: c.s, id: c.i };
    if (c.n !== undefined) counted = { total: c.n, atLeast: c.g === 1 };
  }
  if (from >= to) throw new StoreInputError('from', 'from must be earlier than to');
  let terms: string[] = [];
  if (p.q !== undefined && p.q.trim() !== '') {
    terms = searchTerms(p.q);
    if (terms.length === 0) throw new StoreInputError('q', 'q must contain at least one letter or digit');
  }
  return {
    from,
    to,
    cameras: p.cameras ?? [],
    labels: p.labels ?? [],
    zones: p.zones ?? [],
    minScore: p.minScore,
    hasSnapshot: p.hasSnapshot,
    retained: p.retained,
    terms,
    sort,
    limit: p.limit ?? DEFAULT_PAGE_SIZE,
    after,
    ...(counted ? { counted } : {}),
  };
}

/** Histogram interval for a range: minutes up to 3 h, hours up to 7 days, days beyond. */
export function histogramInterval(from: number, to: number): { interval: HistogramInterval; ms: number } {
  const span = to - from;
  if (span <= 3 * HOUR_MS) return { interval: 'minute', ms: MINUTE_MS };
  if (span <= 7 * DAY_MS) return { interval: 'hour', ms: HOUR_MS };
  return { interval: 'day', ms: DAY_MS };
}

/** Longest histogram range, so a bucket list stays small enough to send. */
export const MAX_HISTOGRAM_DAYS = 3660;

/** PATCH body, validated. */
export const EventPatchSchema = z.strictObject({
  note: z.string('text').trim().min(1, 'non-empty text').max(4000, 'at most 4000 characters').optional(),
  tags: z
    .array(
      z.string('text').trim().min(1, 'non-empty text').max(40, 'at most 40 characters'),
      'a list of tags',
    )
    .max(50, 'at most 50 tags')
    .optional(),
  retain: z.boolean('true or false').optional(),
});
export type EventPatch = z.infer<typeof EventPatchSchema>;

export const SavedSearchSchema = z.strictObject({
  name: z.string('text').trim().min(1, 'non-empty text').max(120, 'at most 120 characters'),
  query: z
    .record(
      z.string().max(Limits.name),
      z.string('text').max(4000, 'at most 4000 characters'),
      'an object of search parameters',
    )
    .refine((q) => Object.keys(q).length <= MAX_LIST_ITEMS, `at most ${MAX_LIST_ITEMS} parameters`),
});

export const AlertListSchema = z.strictObject({
  state: z.enum(['new', 'acknowledged', 'resolved'], 'new, acknowledged or resolved').optional(),
  limit: z
    .union(
      [
        z.number(),
        z
          .string()
          .max(Limits.token)
          .regex(/^\d{1,6}$/, 'a whole number from 1 to 1000'),
      ],
      'a whole number from 1 to 1000',
    )
    .transform(Number)
    .pipe(
      z.number().int('a whole number from 1 to 1000').min(1, 'from 1 to 1000').max(1000, 'from 1 to 1000'),
    )
    .optional(),
});
export const AlertAckSchema = z.strictObject({
  by: z.string('text').trim().min(1, 'non-empty text').max(120, 'at most 120 characters').optional(),
});

export type AlertListOptions = { state?: AlertState; limit?: number };

/** Result of a batch upsert. */
export interface UpsertResult {
  /** Ids seen for the first time (counted by live counters). */
  created: string[];
  /** Ids merged into an existing event. */
  updated: string[];
}

/**
 * Told when an event's retain flag changes, so the video store can hold (or release) the event's footage against
 * retention. Optional: without one, the flag only protects the event record.
 */
export interface RetainPort {
  onRetainChanged(event: EventDetail, retained: boolean): Promise<void> | void;
}

/**
 * Events and search: the records the pipeline writes (one per tracked object, with its snapshot) and investigators
 * search. The one part of the store a cache sits in front of.
 */
export interface EventSearchStore {
  /** Which implementation ("sqlite", "elasticsearch"), for logs and health. */
  readonly kind: string;
  /**
   * Idempotent upsert of event lifecycle messages (same id = same event). Merging keeps the earliest start, the
   * latest last/end time, the best score and its box, the union of zones, the union of path points, and replaces
   * the snapshot only with a better-scored one. Atomic: all or nothing. Resolves once durable.
   */
  upsertEvents(events: readonly VigilEvent[]): Promise<UpsertResult>;
  getEvent(id: string): Promise<EventDetail | undefined>;
  search(query: EventQuery): Promise<EventSearchResponse>;
  facets(query: EventQuery): Promise<EventFacetsResponse>;
  histogram(query: EventQuery): Promise<EventHistogramResponse>;
  /** JPEG bytes of the stored snapshot, or undefined. */
  readSnapshot(id: string, kind: 'crop' | 'frame'): Promise<Uint8Array | undefined>;
  /** Events started in the minute that contains `now`, per camera and label. */
  liveStats(now?: number): Promise<LiveStatsResponse>;
}

/**
 * Alerts: one per rule hit on an event, with the state a guard changes (new → acknowledged → resolved). Every
 * change goes through the shared transitions (`contract/transitions.ts`).
 */
export interface AlertStore {
  /** Idempotent upsert of alerts (mergeAlert); a redelivered alert never moves its state backwards. */
  upsertAlerts(alerts: readonly VigilAlert[]): Promise<void>;
  getAlert(id: string): Promise<VigilAlert | undefined>;
  /** Newest first. */
  listAlerts(options?: AlertListOptions): Promise<VigilAlert[]>;
  acknowledgeAlert(id: string, by: string, now?: number): Promise<VigilAlert | undefined>;
  resolveAlert(id: string, now?: number): Promise<VigilAlert | undefined>;
}

/** Investigators' annotations of events: notes, tags and the retain flag (searchable with the event). */
export interface AnnotationStore {
  /** Appends a note, replaces tags, sets retain. Undefined when the event does not exist. */
  updateEvent(id: string, patch: EventPatch, actor: string, now?: number): Promise<EventDetail | undefined>;
}

/** Searches investigators keep by name, shared by everyone on the site. */
export interface SavedSearchStore {
  createSavedSearch(body: SavedSearchBody, actor: string, now?: number): Promise<SavedSearch>;
  listSavedSearches(): Promise<SavedSearch[]>;
  deleteSavedSearch(id: string): Promise<boolean>;
}

/**
 * The event store, split by responsibility: events and search (its own methods), alerts and incidents (the state
 * guards change), annotations and saved searches (what investigators add). One implementation per deployment
 * (SQLite, Elasticsearch) provides every part; a cache wraps only the part it caches. The audit log is a contract
 * of its own (`AuditLog`).
 */
export interface EventStore extends EventSearchStore {
  readonly alerts: AlertStore;
  /** Incidents: grouped rule hits and their state. */
  readonly incidents: IncidentStore;
  readonly annotations: AnnotationStore;
  readonly savedSearches: SavedSearchStore;
  dispose(): Promise<void>;
}
