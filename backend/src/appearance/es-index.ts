import { errors, type Client } from '@elastic/elasticsearch';
import type { AppearanceEntry, AppearanceIndex, NearestHit, NearestQuery } from '../contract/appearance.js';
import { APPEARANCE_LENGTH } from './descriptor.js';

/** The field of version-1 vectors: another version gets a field of its own (another length, not comparable). */
const VECTOR_FIELD = 'vector_v1';

/** Candidates per shard for each result wanted: HNSW is approximate, more candidates find the true nearest. */
const CANDIDATES_PER_RESULT = 10;
/** Fewest candidates per shard, however few results are wanted. */
const MIN_CANDIDATES = 100;

interface AppearanceDoc {
  eventId: string;
  cameraId: string;
  family: string;
  ts: number;
  [VECTOR_FIELD]: number[];
}

/**
 * Index template of `<prefix>-appearance`: a `dense_vector` field indexed for kNN with cosine similarity, so a search
 * ranks by the same measure as the embedded index (https://www.elastic.co/guide/en/elasticsearch/reference/8.15/
 * dense-vector.html). Strict, like every index Vigil writes.
 */
export function appearanceIndexTemplate(prefix: string) {
  return {
    name: `${prefix}-appearance`,
    index_patterns: [`${prefix}-appearance`],
    priority: 200,
    template: {
      settings: { 'index.refresh_interval': '1s' },
      mappings: {
        dynamic: 'strict' as const,
        properties: {
          eventId: { type: 'keyword' as const },
          cameraId: { type: 'keyword' as const },
          family: { type: 'keyword' as const },
          ts: { type: 'date' as const, format: 'epoch_millis' },
          [VECTOR_FIELD]: {
            type: 'dense_vector' as const,
            dims: APPEARANCE_LENGTH,
            index: true,
            similarity: 'cosine' as const,
          },
        },
      },
    },
  };
}

/**
 * The cluster's appearance index in Elasticsearch: one document per event (id = event id, so a redelivered
 * descriptor replaces the old one), searched with the top-level `knn` option and a filter on family, time and
 * cameras (https://www.elastic.co/guide/en/elasticsearch/reference/8.15/knn-search.html#knn-search-filter-example):
 * the filter applies during the search, so k matching sightings come back rather than k before filtering.
 */
export class EsAppearanceIndex implements AppearanceIndex {
  readonly #es: Client;
  readonly #prefix: string;
  readonly #index: string;

  constructor(options: { client: Client; indexPrefix: string }) {
    this.#es = options.client;
    this.#prefix = options.indexPrefix;
    this.#index = `${options.indexPrefix}-appearance`;
  }

  /** Puts the index template (idempotent); the index is created by the first write. */
  async setup(): Promise<void> {
    await this.#es.indices.putIndexTemplate(appearanceIndexTemplate(this.#prefix));
  }

  async put(entries: readonly AppearanceEntry[]): Promise<void> {
    const usable = entries.filter(
      (e) => e.appearance.v === 1 && e.appearance.vector.length === APPEARANCE_LENGTH,
    );
    if (!usable.length) return;
    const operations = usable.flatMap((e) => [
      { index: { _index: this.#index, _id: e.eventId } },
      {
        eventId: e.eventId,
        cameraId: e.cameraId,
        family: e.family,
        ts: e.ts,
        [VECTOR_FIELD]: e.appearance.vector,
      } satisfies AppearanceDoc,
    ]);
    const res = await this.#es.bulk({ operations, refresh: 'wait_for' });
    if (res.errors) {
      const failed = res.items.map((i) => i.index).find((i) => i?.error);
      throw new Error(
        `storing appearance descriptors failed: ${failed?.error?.type ?? 'error'}: ${failed?.error?.reason ?? ''}`,
      );
    }
  }

  async get(eventId: string): Promise<AppearanceEntry | undefined> {
    try {
      const res = await this.#es.get<AppearanceDoc>({ index: this.#index, id: eventId });
      const d = res._source;
      if (!d) return undefined;
      return {
        eventId: d.eventId,
        cameraId: d.cameraId,
        family: d.family,
        ts: Number(d.ts),
        appearance: { v: 1, vector: d[VECTOR_FIELD] },
      };
    } catch (err) {
      if (err instanceof errors.ResponseError && err.statusCode === 404) return undefined;
      throw err;
    }
  }

  async nearest(q: NearestQuery): Promise<NearestHit[]> {
    if (q.cameras && q.cameras.length === 0) return [];
    if (q.appearance.v !== 1 || q.appearance.vector.length !== APPEARANCE_LENGTH) return [];
    const filter: object[] = [{ term: { family: q.family } }, { range: { ts: { gte: q.from, lte: q.to } } }];
    if (q.cameras) filter.push({ terms: { cameraId: [...q.cameras] } });
    const mustNot: object[] = [];
    if (q.excludeCameras?.length) mustNot.push({ terms: { cameraId: [...q.excludeCameras] } });
    if (q.excludeEventId !== undefined) mustNot.push({ ids: { values: [q.excludeEventId] } });
    const res = await this.#es.search<Pick<AppearanceDoc, 'eventId'>>({
      index: this.#index,
      ignore_unavailable: true,
      size: q.limit,
      _source: ['eventId'],
      knn: {
        field: VECTOR_FIELD,
        query_vector: q.appearance.vector,
        k: q.limit,
        num_candidates: Math.min(10_000, Math.max(MIN_CANDIDATES, q.limit * CANDIDATES_PER_RESULT)),
        filter: { bool: { filter, ...(mustNot.length ? { must_not: mustNot } : {}) } },
      },
    });
    // Cosine's _score is (1 + cosine) / 2; the API answers the cosine itself, as the embedded index does.
    return res.hits.hits.map((h) => ({
      eventId: h._id as string,
      score: Math.min(1, Math.max(0, 2 * (h._score ?? 0.5) - 1)),
    }));
  }

  async deleteBefore(ts: number): Promise<number> {
    const res = await this.#es.deleteByQuery({
      index: this.#index,
      ignore_unavailable: true,
      query: { range: { ts: { lt: ts } } },
      refresh: true,
    });
    return res.deleted ?? 0;
  }

  /** The client belongs to whoever passed it (as with the event store). */
  async dispose(): Promise<void> {}
}
