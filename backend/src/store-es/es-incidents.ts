import { errors, type Client } from '@elastic/elasticsearch';
import type {
  Incident,
  IncidentAction,
  IncidentNotification,
  IncidentQuery,
  IncidentStore,
} from '../contract/incidents.js';
import {
  addIncidentNotification,
  applyIncidentAction,
  mergeIncidentActivity,
} from '../contract/transitions.js';

/**
 * Index template of the incidents index, strict like every index Vigil writes: a field Vigil does not know is
 * refused instead of being guessed. Filtered fields are keywords and dates; snapshots and notifications are kept
 * unindexed.
 */
export function incidentIndexTemplate(prefix: string) {
  const date = { type: 'date' as const, format: 'epoch_millis' };
  const keyword = { type: 'keyword' as const };
  const stored = { type: 'object' as const, enabled: false };
  const text = { type: 'text' as const, index: false };
  const count = { type: 'integer' as const };
  return {
    name: `${prefix}-incidents`,
    index_patterns: [`${prefix}-incidents`],
    priority: 200,
    template: {
      mappings: {
        dynamic: 'strict' as const,
        properties: {
          id: keyword,
          cameraId: keyword,
          zone: keyword,
          severity: keyword,
          state: keyword,
          startTs: date,
          lastTs: date,
          endTs: date,
          updatedTs: date,
          ruleIds: keyword,
          ruleNames: keyword,
          labels: keyword,
          eventIds: keyword,
          objectCount: count,
          snapshots: stored,
          acknowledgedBy: keyword,
          acknowledgedTs: date,
          ackNote: text,
          resolvedBy: keyword,
          resolvedTs: date,
          resolveNote: text,
          escalationLevel: count,
          notifications: stored,
        },
      },
    },
  };
}

interface Hit {
  source: Incident;
  seqNo: number;
  primaryTerm: number;
}

/**
 * Incidents in Elasticsearch: one document per incident in `<prefix>-incidents`. Every change is a read, the shared
 * merge or state function, and a write conditional on the document not having changed meanwhile
 * (if_seq_no/if_primary_term, or op_type=create for a new one), retried on a conflict: two api instances
 * acknowledging while the events role merges activity never lose each other's change.
 */
export class EsIncidentStore implements IncidentStore {
  constructor(
    private readonly es: Client,
    private readonly index: string,
  ) {}

  async #get(id: string): Promise<Hit | undefined> {
    try {
      const res = await this.es.get<Incident>({ index: this.index, id });
      if (!res.found || !res._source) return undefined;
      return { source: res._source, seqNo: res._seq_no ?? 0, primaryTerm: res._primary_term ?? 1 };
    } catch (err) {
      if (err instanceof errors.ResponseError && err.statusCode === 404) return undefined;
      throw err;
    }
  }

  /** Applies `fn` to the stored incident (undefined: none yet) and writes the result conditionally. */
  async #change(
    id: string,
    fn: (stored: Incident | undefined) => Incident | undefined,
  ): Promise<Incident | undefined> {
    for (let attempt = 0; attempt < 8; attempt++) {
      const hit = await this.#get(id);
      const next = fn(hit?.source);
      if (!next || next === hit?.source) return next;
      try {
        await this.es.index({
          index: this.index,
          id,
          document: next,
          ...(hit
            ? { if_seq_no: hit.seqNo, if_primary_term: hit.primaryTerm }
            : { op_type: 'create' as const }),
          refresh: 'wait_for',
        });
        return next;
      } catch (err) {
        if (!(err instanceof errors.ResponseError && err.statusCode === 409)) throw err;
      }
    }
    throw new Error(`incident ${id} kept changing while it was being updated`);
  }

  async upsertIncidents(incidents: readonly Incident[]): Promise<void> {
    for (const incoming of incidents)
      await this.#change(incoming.id, (stored) =>
        stored ? mergeIncidentActivity(stored, incoming) : incoming,
      );
  }

  async getIncident(id: string): Promise<Incident | undefined> {
    return (await this.#get(id))?.source;
  }

  async listIncidents(query: IncidentQuery = {}): Promise<Incident[]> {
    const filter: object[] = [];
    if (query.states?.length) filter.push({ terms: { state: query.states } });
    if (query.cameras?.length) filter.push({ terms: { cameraId: query.cameras } });
    if (query.severities?.length) filter.push({ terms: { severity: query.severities } });
    if (query.from !== undefined) filter.push({ range: { lastTs: { gte: query.from } } });
    if (query.to !== undefined) filter.push({ range: { startTs: { lt: query.to } } });
    const res = await this.es.search<Incident>({
      index: this.index,
      ignore_unavailable: true,
      size: Math.min(Math.max(1, query.limit ?? 200), 500),
      query: filter.length ? { bool: { filter } } : { match_all: {} },
      sort: [{ startTs: { order: 'desc' } }, { id: { order: 'desc' } }],
    });
    return res.hits.hits.map((h) => h._source as Incident);
  }

  actOnIncident(id: string, action: IncidentAction): Promise<Incident | undefined> {
    return this.#change(id, (i) => (i ? applyIncidentAction(i, action) : undefined));
  }

  recordNotification(id: string, n: IncidentNotification): Promise<Incident | undefined> {
    return this.#change(id, (i) => (i ? addIncidentNotification(i, n) : undefined));
  }
}
