import { fillBuckets } from '../store/histogram.js';
import fs from 'node:fs';
import path from 'node:path';
import { errors, type Client } from '@elastic/elasticsearch';
import type { EventSnapshot, VigilEvent } from '../contract/events.js';
import type { Box } from '../contract/media.js';
import type {
  EventDetail,
  EventFacetsResponse,
  EventHistogramResponse,
  EventNote,
  EventSearchResponse,
  EventSummary,
  LiveStatsResponse,
} from '../contract/events-api.js';
import {
  DAY_MS,
  MINUTE_MS,
  encodeCursor,
  withTotal,
  histogramInterval,
  MAX_HISTOGRAM_DAYS,
  searchTerms,
  StoreInputError,
  type AnnotationStore,
  type EventPatch,
  type EventQuery,
  type EventStore,
  type UpsertResult,
} from '../contract/store.js';
import { EsAlertStore } from './es-alerts.js';
import { EsIncidentStore, incidentIndexTemplate } from './es-incidents.js';
import { EsSavedSearchStore } from './es-saved-searches.js';
import { createLogger } from '../platform/log.js';
import { mergeEvent, snapshotIsBetter, type MergeableEvent } from '../store/merge.js';

/** An event as stored in Elasticsearch: the merged event, its annotations, and derived fields for search. */
export interface EsEventDoc extends MergeableEvent {
  '@timestamp': number;
  cameraName: string;
  hasSnapshot: boolean;
  retained: boolean;
  tags: string[];
  notes: EventNote[];
  updatedTs: number;
  /** Lower-cased words of label, camera, zones, tags and notes, for prefix matching of free text. */
  words: string[];
  /** Snapshot JPEGs, base64; stored, not indexed. */
  snapshotBytes?: { crop?: string; frame?: string };
}

export interface EsEventStoreOptions {
  client: Client;
  indexPrefix: string;
  retentionDays: number;
  /** Folder of the on-disk spool used while Elasticsearch is unreachable. */
  spoolDir: string;
  cameraName?: (cameraId: string) => string | undefined;
  /** Attempts for bulk items refused with 429 or 5xx. Default 5. */
  bulkAttempts?: number;
  /** Where a search stops counting hits (TOTAL_COUNT_LIMIT by default). */
  totalCountLimit?: number;
  /** How often the spool is retried. Default 5 s. */
  drainIntervalMs?: number;
  /** How often events older than the retention (and not retained) are deleted. Default 1 h; 0: never. */
  retentionIntervalMs?: number;
}

/** Items Elasticsearch refused for good (a mapping conflict, a bad document): retrying will not help. */
export class EsBulkError extends Error {
  constructor(readonly failures: Array<{ id: string; status: number; reason: string }>) {
    super(
      `Elasticsearch refused ${failures.length} event(s): ${failures
        .slice(0, 3)
        .map((f) => `${f.id}: ${f.status} ${f.reason}`)
        .join('; ')}`,
    );
    this.name = 'EsBulkError';
  }
}

/**
 * Where a search stops counting its hits: past it the total is a lower bound ("more than 100,000 events"), as
 * counting every hit of a huge range costs Elasticsearch a pass over all of them (`track_total_hits`).
 */
export const TOTAL_COUNT_LIMIT = 100_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Errors that mean "Elasticsearch is not reachable or not answering" (spool and retry later). */
export function isUnavailable(err: unknown): boolean {
  if (
    err instanceof errors.ConnectionError ||
    err instanceof errors.TimeoutError ||
    err instanceof errors.NoLivingConnectionsError
  )
    return true;
  if (err instanceof errors.ResponseError) return err.statusCode === 429 || (err.statusCode ?? 0) >= 500;
  return false;
}

function monthIndex(prefix: string, ts: number): string {
  const d = new Date(ts);
  return `${prefix}-events-${d.getUTCFullYear()}.${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

const date = { type: 'date' as const, format: 'epoch_millis' };
const keyword = { type: 'keyword' as const };
const stored = { type: 'object' as const, enabled: false };

/**
 * Index template and ILM policy bodies (exported so tests can assert them, and operators can read them). Every
 * index Vigil writes has a template with `dynamic: strict`: a field Vigil does not know is refused instead of being
 * guessed (a string would become a `text` field, which cannot be sorted or aggregated on).
 */
export function indexTemplate(prefix: string) {
  return {
    name: `${prefix}-events`,
    index_patterns: [`${prefix}-events-*`],
    priority: 200,
    template: {
      settings: { 'index.lifecycle.name': `${prefix}-events`, 'index.refresh_interval': '1s' },
      mappings: {
        dynamic: 'strict' as const,
        properties: {
          '@timestamp': date,
          id: keyword,
          cameraId: keyword,
          cameraName: keyword,
          label: keyword,
          phase: keyword,
          startTs: date,
          lastTs: date,
          endTs: date,
          topScore: { type: 'float' as const },
          box: { type: 'float' as const, index: false },
          zones: keyword,
          path: stored,
          stationary: { type: 'boolean' as const },
          snapshot: stored,
          snapshotBytes: stored,
          hasSnapshot: { type: 'boolean' as const },
          retained: { type: 'boolean' as const },
          tags: keyword,
          notes: stored,
          updatedTs: date,
          words: keyword,
        },
      },
    },
  };
}

/** Templates of the single-index kinds: alerts, saved searches (the audit log has its own, in es-audit-log.ts). */
export function indexTemplates(prefix: string) {
  const single = (kind: string, properties: Record<string, object>) => ({
    name: `${prefix}-${kind}`,
    index_patterns: [`${prefix}-${kind}`],
    priority: 200,
    template: { mappings: { dynamic: 'strict' as const, properties } },
  });
  return [
    indexTemplate(prefix),
    single('alerts', {
      id: keyword,
      ruleId: keyword,
      ruleName: keyword,
      eventId: keyword,
      cameraId: keyword,
      label: keyword,
      zone: keyword,
      severity: keyword,
      state: keyword,
      raisedTs: date,
      acknowledgedBy: keyword,
      acknowledgedTs: date,
      resolvedTs: date,
      escalations: { type: 'integer' },
    }),
    single('saved-searches', {
      id: keyword,
      name: keyword,
      query: stored,
      createdBy: keyword,
      createdTs: date,
    }),
  ];
}

/**
 * The ILM policy of the event indices. It has no delete phase: ILM would drop a whole monthly index, retained
 * events included. Old events are deleted by the store's retention sweep instead (`enforceRetention`), which spares
 * retained ones. Installing this policy also replaces the deleting policy of older versions.
 */
export function ilmPolicy(prefix: string) {
  return {
    name: `${prefix}-events`,
    policy: {
      _meta: {
        description: 'Vigil events; deletion by the Vigil retention sweep, which keeps retained events',
      },
      phases: { hot: { min_age: '0ms', actions: {} } },
    },
  };
}

/** The query DSL of a search's filters (shared by search, facets and histogram). */
export function buildFilter(q: EventQuery) {
  const filter: object[] = [{ range: { startTs: { gte: q.from, lt: q.to } } }];
  if (q.cameras.length) filter.push({ terms: { cameraId: q.cameras } });
  if (q.labels.length) filter.push({ terms: { label: q.labels } });
  if (q.zones.length) filter.push({ terms: { zones: q.zones } });
  if (q.minScore !== undefined) filter.push({ range: { topScore: { gte: q.minScore } } });
  if (q.hasSnapshot !== undefined) filter.push({ term: { hasSnapshot: q.hasSnapshot } });
  if (q.retained !== undefined) filter.push({ term: { retained: q.retained } });
  // Each word must prefix-match a word of the event (the same rule as the embedded store's full-text index).
  for (const t of q.terms) filter.push({ prefix: { words: t } });
  return { bool: { filter } };
}

function wordsOf(doc: Pick<EsEventDoc, 'label' | 'cameraId' | 'cameraName' | 'zones' | 'tags' | 'notes'>) {
  const text = [
    doc.label,
    doc.cameraId,
    doc.cameraName,
    ...doc.zones,
    ...doc.tags,
    ...doc.notes.map((n) => n.text),
  ];
  return [
    ...new Set(
      text
        .flatMap((t) => searchTerms(t))
        .concat(text.flatMap((t) => t.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])),
    ),
  ];
}

function toSummary(d: EsEventDoc): EventSummary {
  const s: EventSummary = {
    id: d.id,
    cameraId: d.cameraId,
    cameraName: d.cameraName,
    label: d.label,
    phase: d.phase,
    startTs: d.startTs,
    lastTs: d.lastTs,
    topScore: d.topScore,
    box: d.box,
    zones: d.zones,
    hasSnapshot: d.hasSnapshot,
    retained: d.retained,
    tags: d.tags,
  };
  if (d.endTs !== undefined) s.endTs = d.endTs;
  return s;
}

/** What of a snapshot is kept in the document beside its bytes: time, score and the box on its frame. */
function snapshotMeta(s: EventSnapshot): { ts: number; score: number; box?: Box } {
  return { ts: s.ts, score: s.score, ...(s.box ? { box: s.box } : {}) };
}

function toDetail(d: EsEventDoc): EventDetail {
  const out: EventDetail = {
    ...toSummary(d),
    path: d.path,
    stationary: d.stationary ?? false,
    notes: d.notes,
    updatedTs: d.updatedTs,
  };
  if (d.snapshot)
    out.snapshot = {
      ts: d.snapshot.ts,
      score: d.snapshot.score,
      crop: !!d.snapshotBytes?.crop,
      frame: !!d.snapshotBytes?.frame,
      ...(d.snapshot.box ? { box: d.snapshot.box } : {}),
    };
  return out;
}

interface Hit {
  _id: string;
  _index: string;
  _source?: EsEventDoc;
  _seq_no?: number;
  _primary_term?: number;
  sort?: unknown[];
}

/**
 * The event store on Elasticsearch 8: monthly indices `<prefix>-events-YYYY.MM` from an index template, events
 * past the retention deleted by a sweep that keeps retained ones; bulk writes retried on 429/5xx per item, optimistic concurrency between
 * writers (seq_no/primary_term; a conflict re-reads and re-merges); a local spool (JSON lines, fsynced) takes the
 * writes while Elasticsearch is unreachable and is drained in order on recovery. Searches translate the same
 * validated EventQuery as the embedded store into query DSL.
 */
export class EsEventStore implements EventStore {
  readonly kind = 'elasticsearch';
  readonly #log = createLogger('store-es');
  readonly #es: Client;
  readonly #prefix: string;
  readonly #spoolFile: string;
  readonly #bulkAttempts: number;
  readonly #totalCountLimit: number;
  readonly #cameraName: (id: string) => string | undefined;
  #drainTimer: NodeJS.Timeout | undefined;
  #retentionTimer: NodeJS.Timeout | undefined;
  #draining: Promise<void> | undefined;
  readonly incidents: EsIncidentStore;
  readonly alerts: EsAlertStore;
  readonly savedSearches: EsSavedSearchStore;
  readonly annotations: AnnotationStore = {
    updateEvent: (id, patch, actor, now) => this.#annotate(id, patch, actor, now),
  };

  constructor(private readonly options: EsEventStoreOptions) {
    this.#es = options.client;
    this.#prefix = options.indexPrefix;
    fs.mkdirSync(options.spoolDir, { recursive: true });
    this.#spoolFile = path.join(options.spoolDir, 'events.jsonl');
    this.#bulkAttempts = options.bulkAttempts ?? 5;
    this.#totalCountLimit = options.totalCountLimit ?? TOTAL_COUNT_LIMIT;
    this.#cameraName = options.cameraName ?? (() => undefined);
    this.incidents = new EsIncidentStore(this.#es, `${this.#prefix}-incidents`);
    this.alerts = new EsAlertStore(this.#es, this.#index('alerts'), this.#bulkAttempts);
    this.savedSearches = new EsSavedSearchStore(this.#es, this.#index('saved-searches'));
    this.#drainTimer = setInterval(
      () => void this.drainSpool().catch(() => {}),
      options.drainIntervalMs ?? 5_000,
    );
    this.#drainTimer.unref();
    const retentionMs = options.retentionIntervalMs ?? 3_600_000;
    if (retentionMs > 0) {
      this.#retentionTimer = setInterval(
        () =>
          void this.enforceRetention().catch((err: unknown) =>
            this.#log.warn({ err: (err as Error).message }, 'retention sweep failed; next run will retry'),
          ),
        retentionMs,
      );
      this.#retentionTimer.unref();
    }
  }

  get #events() {
    return `${this.#prefix}-events-*`;
  }
  #index(kind: 'alerts' | 'saved-searches') {
    return `${this.#prefix}-${kind}`;
  }

  /**
   * Installs the ILM policy and the index templates (idempotent; run at start). Templates apply to indices created
   * afterwards: an alerts or saved-search index created by an older version without one keeps its guessed
   * mapping, and is reported here with what to do.
   */
  async setup(): Promise<void> {
    await this.#es.ilm.putLifecycle(ilmPolicy(this.#prefix));
    for (const t of indexTemplates(this.#prefix)) await this.#es.indices.putIndexTemplate(t);
    await this.#es.indices.putIndexTemplate(incidentIndexTemplate(this.#prefix));
    const existing = (await this.#es.indices.get({
      index: (['alerts', 'saved-searches'] as const).map((k) => this.#index(k)).join(','),
      ignore_unavailable: true,
      allow_no_indices: true,
    })) as Record<string, { mappings?: { dynamic?: unknown } }>;
    for (const [name, idx] of Object.entries(existing)) {
      if (String(idx.mappings?.dynamic) !== 'strict')
        this.#log.error(
          { index: name },
          `index ${name} was created without Vigil's template: sorting may fail. Reindex it: create ${name}-copy, _reindex ${name} into it, delete ${name}, _reindex the copy back (the template then applies)`,
        );
    }
  }

  /**
   * Deletes events whose start is older than the retention, except retained ones, then the monthly indices left
   * empty. Runs on a timer; every instance may run it (deleting twice is harmless). An event retained while the
   * sweep runs is spared: delete-by-query refuses, as a version conflict, a document changed since its snapshot.
   */
  async enforceRetention(now = Date.now()): Promise<{ deleted: number; indicesDeleted: string[] }> {
    const cutoff = now - this.options.retentionDays * DAY_MS;
    const res = await this.#es.deleteByQuery({
      index: this.#events,
      ignore_unavailable: true,
      allow_no_indices: true,
      conflicts: 'proceed',
      refresh: true,
      query: {
        bool: { filter: [{ range: { startTs: { lt: cutoff } } }], must_not: [{ term: { retained: true } }] },
      },
    });
    const indicesDeleted: string[] = [];
    const indices = await this.#es.indices.get({
      index: this.#events,
      ignore_unavailable: true,
      allow_no_indices: true,
    });
    for (const name of Object.keys(indices)) {
      const m = /-events-(\d{4})\.(\d{2})$/.exec(name);
      if (!m || Date.UTC(Number(m[1]), Number(m[2]), 1) > cutoff) continue; // the month is not over the cutoff
      const count = await this.#es.search({ index: name, size: 0, track_total_hits: true });
      const total = count.hits.total;
      if ((typeof total === 'number' ? total : total?.value) !== 0) continue; // retained events live here
      await this.#es.indices.delete({ index: name, ignore_unavailable: true });
      indicesDeleted.push(name);
    }
    if (res.deleted || indicesDeleted.length)
      this.#log.info({ deleted: res.deleted, indicesDeleted }, 'events past the retention deleted');
    return { deleted: res.deleted ?? 0, indicesDeleted };
  }

  /** Events waiting in the spool. */
  spooled(): number {
    let n = 0;
    for (const f of [this.#spoolFile, `${this.#spoolFile}.draining`]) {
      try {
        n += fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).length;
      } catch {
        // no such spool file
      }
    }
    return n;
  }

  async #spool(events: readonly VigilEvent[]): Promise<void> {
    const fh = await fs.promises.open(this.#spoolFile, 'a');
    try {
      await fh.write(events.map((e) => JSON.stringify(e)).join('\n') + '\n');
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  /** Writes the spooled events to Elasticsearch, oldest first; stops (keeping them) while it is unreachable. */
  drainSpool(): Promise<void> {
    this.#draining ??= (async () => {
      try {
        const draining = `${this.#spoolFile}.draining`;
        // The older file first; writes arriving meanwhile append to the spool and are drained next round.
        while (fs.existsSync(draining) || fs.existsSync(this.#spoolFile)) {
          if (!fs.existsSync(draining)) fs.renameSync(this.#spoolFile, draining);
          const events = fs
            .readFileSync(draining, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as VigilEvent);
          for (let i = 0; i < events.length; i += 500) await this.#drainBatch(events.slice(i, i + 500));
          fs.rmSync(draining);
          this.#log.info({ events: events.length }, 'spooled events written to Elasticsearch');
        }
      } finally {
        this.#draining = undefined;
      }
    })();
    return this.#draining;
  }

  /** The file where events Elasticsearch refused for good are kept for an operator (JSON lines). */
  get deadLetterFile(): string {
    return path.join(this.options.spoolDir, 'dead-letter.jsonl');
  }

  /**
   * Writes one spooled batch. A refusal that retrying cannot cure — items refused for good, or the whole request
   * refused (401/403: these credentials may not write; 413: larger than the cluster's http.max_content_length) —
   * parks the events in the dead-letter file and lets the spool go on; a 413 batch is split first, so only an event
   * too large on its own is parked. Anything else (unreachable, 429, 5xx) throws and the spool waits.
   */
  async #drainBatch(batch: VigilEvent[]): Promise<void> {
    try {
      await this.#write(batch);
    } catch (err) {
      if (err instanceof EsBulkError) {
        const refused = new Set(err.failures.map((f) => f.id));
        await this.#deadLetter(
          batch.filter((e) => refused.has(e.id)),
          err.message,
        );
        return;
      }
      const status = err instanceof errors.ResponseError ? (err.statusCode ?? 0) : 0;
      if (status === 413 && batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        await this.#drainBatch(batch.slice(0, half));
        await this.#drainBatch(batch.slice(half));
        return;
      }
      if (status === 401 || status === 403 || status === 413) {
        await this.#deadLetter(
          batch,
          status === 413
            ? 'larger than the cluster accepts in one request (http.max_content_length)'
            : `Elasticsearch refused the write (${status}): check the credentials and their index privileges`,
          status,
        );
        return;
      }
      throw err;
    }
  }

  async #deadLetter(events: VigilEvent[], reason: string, status?: number): Promise<void> {
    if (!events.length) return;
    const refusedTs = Date.now();
    const lines = events.map((event) => JSON.stringify({ refusedTs, status, reason, event }));
    await fs.promises.appendFile(this.deadLetterFile, lines.join('\n') + '\n');
    this.#log.error(
      { events: events.length, reason, file: this.deadLetterFile },
      'spooled events refused by Elasticsearch for good: kept in the dead-letter file',
    );
  }

  async upsertEvents(events: readonly VigilEvent[]): Promise<UpsertResult> {
    if (events.length === 0) return { created: [], updated: [] };
    // Order matters: while anything is spooled, new writes queue behind it.
    if (this.spooled() > 0 || fs.existsSync(`${this.#spoolFile}.draining`)) {
      await this.#spool(events);
      void this.drainSpool().catch(() => {});
      return { created: [], updated: events.map((e) => e.id) };
    }
    try {
      return await this.#write(events);
    } catch (err) {
      if (!isUnavailable(err)) throw err;
      this.#log.warn(
        { err: (err as Error).message, events: events.length },
        'Elasticsearch unreachable: spooling',
      );
      await this.#spool(events);
      return { created: [], updated: events.map((e) => e.id) };
    }
  }

  async #fetch(ids: string[]): Promise<Map<string, Hit>> {
    const res = await this.#es.search<EsEventDoc>({
      index: this.#events,
      ignore_unavailable: true,
      allow_no_indices: true,
      size: ids.length,
      seq_no_primary_term: true,
      query: { ids: { values: ids } },
    });
    return new Map(res.hits.hits.map((h) => [h._id as string, h as Hit]));
  }

  async #write(events: readonly VigilEvent[]): Promise<UpsertResult> {
    // One entry per message, from the first pass (what the caller's messages did).
    let result: UpsertResult | undefined;
    let pending = [...events];
    const failures: Array<{ id: string; status: number; reason: string }> = [];
    for (let attempt = 1; pending.length > 0; attempt++) {
      const ids = [...new Set(pending.map((e) => e.id))];
      const existing = await this.#fetch(ids);
      const now = Date.now();
      const created: string[] = [];
      const updated: string[] = [];
      const docs = new Map<string, { doc: EsEventDoc; hit?: Hit; incoming: VigilEvent[] }>();
      for (const e of pending) {
        const entry = docs.get(e.id);
        const hit = entry?.hit ?? existing.get(e.id);
        const base: EsEventDoc | undefined = entry?.doc ?? hit?._source;
        const { snapshot, ...rest } = e;
        const incoming: MergeableEvent = { ...rest };
        if (snapshot) incoming.snapshot = snapshotMeta(snapshot);
        let doc: EsEventDoc;
        if (!base) {
          const cameraName = this.#cameraName(e.cameraId) ?? e.cameraId;
          doc = {
            ...mergeEvent(incoming, incoming),
            '@timestamp': e.startTs,
            cameraName,
            hasSnapshot: false,
            retained: false,
            tags: [],
            notes: [],
            updatedTs: now,
            words: [],
          };
          delete doc.snapshot;
          created.push(e.id);
        } else {
          const merged = mergeEvent(base, incoming);
          doc = { ...base, ...merged, updatedTs: now };
          updated.push(e.id);
        }
        if (snapshotIsBetter(base?.snapshot, snapshot)) {
          doc.snapshot = snapshotMeta(snapshot);
          doc.snapshotBytes = { crop: snapshot.cropJpeg, frame: snapshot.frameJpeg };
          doc.hasSnapshot = true;
        } else if (base?.snapshot) {
          doc.snapshot = base.snapshot;
        }
        doc['@timestamp'] = doc.startTs;
        doc.words = wordsOf(doc);
        docs.set(e.id, { doc, hit, incoming: [...(entry?.incoming ?? []), e] });
      }
      const operations: object[] = [];
      const order: string[] = [];
      for (const [id, { doc, hit }] of docs) {
        const meta: Record<string, unknown> = {
          _index: hit?._index ?? monthIndex(this.#prefix, doc.startTs),
          _id: id,
        };
        if (hit?._seq_no !== undefined) {
          meta.if_seq_no = hit._seq_no;
          meta.if_primary_term = hit._primary_term;
        } else {
          meta.op_type = 'create';
        }
        operations.push({ index: meta }, doc);
        order.push(id);
      }
      result ??= { created, updated };
      const res = await this.#es.bulk({ operations, refresh: 'wait_for' });
      if (!res.errors) {
        if (failures.length) throw new EsBulkError(failures);
        return result;
      }
      const retry: VigilEvent[] = [];
      res.items.forEach((item, i) => {
        const r = item.index ?? item.create;
        const id = order[i] as string;
        if (!r || !r.error) return;
        const status = r.status;
        // 409: another writer changed the event (or created it) since it was read: read and merge again.
        if (status === 409 || status === 429 || status >= 500) retry.push(...(docs.get(id)?.incoming ?? []));
        else failures.push({ id, status, reason: `${r.error.type}: ${r.error.reason ?? ''}` });
      });
      // Items refused for good are reported once the retriable ones of the same answer have been written.
      if (retry.length === 0) throw new EsBulkError(failures);
      if (attempt >= this.#bulkAttempts) {
        throw new errors.ResponseError({
          body: {
            error: { type: 'bulk_retries_exhausted', reason: `${retry.length} event(s) still refused` },
          },
          statusCode: 503,
          headers: {},
          warnings: null,
          meta: {} as never,
        });
      }
      this.#log.warn({ retry: retry.length, attempt }, 'bulk items refused for now: retrying');
      await sleep(Math.min(5_000, 100 * 2 ** attempt));
      pending = retry;
    }
    return result ?? { created: [], updated: [] };
  }

  async #getDoc(id: string): Promise<Hit | undefined> {
    return (await this.#fetch([id])).get(id);
  }

  async getEvent(id: string): Promise<EventDetail | undefined> {
    const hit = await this.#getDoc(id);
    return hit?._source ? toDetail(hit._source) : undefined;
  }

  async search(q: EventQuery): Promise<EventSearchResponse> {
    const order = q.sort === 'newest' ? 'desc' : 'asc';
    const res = await this.#es.search<EsEventDoc>({
      index: this.#events,
      ignore_unavailable: true,
      allow_no_indices: true,
      query: buildFilter(q),
      sort: [{ startTs: { order } }, { id: { order } }],
      size: q.limit + 1,
      track_total_hits: q.counted ? false : this.#totalCountLimit,
      _source: { excludes: ['snapshotBytes', 'path', 'words', 'notes'] },
      ...(q.after ? { search_after: [q.after.startTs, q.after.id] } : {}),
    });
    const hits = res.hits.hits.map((h) => h._source as EsEventDoc);
    const items = hits.slice(0, q.limit).map(toSummary);
    let counted = q.counted;
    if (!counted) {
      // Counted with search_after on a later page (an old cursor without a count) the total would still be the
      // whole query's: search_after pages the hits, not the count.
      const total = res.hits.total;
      counted =
        typeof total === 'number'
          ? { total, atLeast: false }
          : { total: total?.value ?? items.length, atLeast: total?.relation === 'gte' };
    }
    const out: EventSearchResponse = withTotal({ items, total: 0 }, counted);
    const last = items.at(-1);
    if (hits.length > q.limit && last) out.nextCursor = encodeCursor(q, last, counted);
    return out;
  }

  async facets(q: EventQuery): Promise<EventFacetsResponse> {
    const res = await this.#es.search({
      index: this.#events,
      ignore_unavailable: true,
      allow_no_indices: true,
      size: 0,
      query: buildFilter(q),
      aggs: {
        labels: { terms: { field: 'label', size: 1000 } },
        cameras: { terms: { field: 'cameraId', size: 1000 } },
        zones: { terms: { field: 'zones', size: 1000 } },
      },
    });
    const buckets = (name: string) => {
      const agg = res.aggregations?.[name] as
        { buckets: Array<{ key: string; doc_count: number }> } | undefined;
      return Object.fromEntries((agg?.buckets ?? []).map((b) => [b.key, b.doc_count]));
    };
    return { labels: buckets('labels'), cameras: buckets('cameras'), zones: buckets('zones') };
  }

  async histogram(q: EventQuery): Promise<EventHistogramResponse> {
    if (q.to - q.from > MAX_HISTOGRAM_DAYS * DAY_MS)
      throw new StoreInputError('from', `a histogram covers at most ${MAX_HISTOGRAM_DAYS} days`);
    const { interval, ms } = histogramInterval(q.from, q.to);
    const res = await this.#es.search({
      index: this.#events,
      ignore_unavailable: true,
      allow_no_indices: true,
      size: 0,
      query: buildFilter(q),
      aggs: {
        over_time: {
          date_histogram: {
            field: 'startTs',
            fixed_interval: interval === 'minute' ? '1m' : interval === 'hour' ? '1h' : '1d',
            min_doc_count: 1,
          },
          aggs: { labels: { terms: { field: 'label', size: 100 } } },
        },
      },
    });
    const agg = res.aggregations?.over_time as
      | { buckets: Array<{ key: number; labels: { buckets: Array<{ key: string; doc_count: number }> } }> }
      | undefined;
    const rows = (agg?.buckets ?? []).flatMap((b) =>
      b.labels.buckets.map((l) => ({ b: b.key, label: l.key, n: l.doc_count })),
    );
    return { interval, buckets: fillBuckets(q.from, q.to, ms, rows) };
  }

  async readSnapshot(id: string, kind: 'crop' | 'frame'): Promise<Uint8Array | undefined> {
    const hit = await this.#getDoc(id);
    const b64 = hit?._source?.snapshotBytes?.[kind];
    return b64 ? Buffer.from(b64, 'base64') : undefined;
  }

  /** Appends a note, replaces tags, sets retain; a write conditional on the event not having changed meanwhile. */
  async #annotate(
    id: string,
    patch: EventPatch,
    actor: string,
    now = Date.now(),
  ): Promise<EventDetail | undefined> {
    for (let attempt = 1; attempt <= 5; attempt++) {
      const hit = await this.#getDoc(id);
      if (!hit?._source) return undefined;
      const doc = { ...hit._source, notes: [...hit._source.notes] };
      if (patch.note !== undefined) doc.notes.push({ ts: now, by: actor, text: patch.note });
      if (patch.tags !== undefined) doc.tags = [...new Set(patch.tags)];
      if (patch.retain !== undefined) doc.retained = patch.retain;
      doc.updatedTs = now;
      doc.words = wordsOf(doc);
      try {
        await this.#es.index({
          index: hit._index,
          id,
          document: doc,
          if_seq_no: hit._seq_no,
          if_primary_term: hit._primary_term,
          refresh: 'wait_for',
        });
        return toDetail(doc);
      } catch (err) {
        if (!(err instanceof errors.ResponseError && err.statusCode === 409)) throw err;
      }
    }
    throw new Error(`event ${id} kept changing while it was being updated`);
  }

  async liveStats(now = Date.now()): Promise<LiveStatsResponse> {
    const minuteTs = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    const res = await this.#es.search({
      index: this.#events,
      ignore_unavailable: true,
      allow_no_indices: true,
      size: 0,
      query: { range: { startTs: { gte: minuteTs, lt: minuteTs + MINUTE_MS } } },
      aggs: {
        cameras: {
          terms: { field: 'cameraId', size: 1000 },
          aggs: { labels: { terms: { field: 'label', size: 100 } } },
        },
      },
    });
    const perCamera: Record<string, Record<string, number>> = {};
    let total = 0;
    const agg = res.aggregations?.cameras as
      | { buckets: Array<{ key: string; labels: { buckets: Array<{ key: string; doc_count: number }> } }> }
      | undefined;
    for (const c of agg?.buckets ?? [])
      for (const l of c.labels.buckets) {
        (perCamera[c.key] ??= {})[l.key] = l.doc_count;
        total += l.doc_count;
      }
    return { minuteTs, total, perCamera, source: 'store' };
  }

  async dispose(): Promise<void> {
    clearInterval(this.#drainTimer);
    clearInterval(this.#retentionTimer);
    await this.#draining?.catch(() => {});
  }
}
