import { errors, type Client } from '@elastic/elasticsearch';
import type { VigilAlert } from '../contract/events.js';
import type { AlertListOptions, AlertStore } from '../contract/store.js';
import { acknowledgeAlert, mergeAlert, resolveAlert } from '../contract/transitions.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Alerts in Elasticsearch: one document per alert in `<prefix>-alerts` (template in es-store.ts). Every change is a
 * read, the shared transition, and a write conditional on the document not having changed meanwhile.
 */
export class EsAlertStore implements AlertStore {
  constructor(
    private readonly es: Client,
    private readonly index: string,
    /** Bulk rounds before giving up on alerts that keep changing (at least 10). */
    private readonly bulkAttempts = 5,
  ) {}

  async upsertAlerts(alerts: readonly VigilAlert[]): Promise<void> {
    if (!alerts.length) return;
    const index = this.index;
    let pending = [...alerts];
    // Optimistic concurrency, as for events: each write names the version it was merged from, and an alert another
    // writer changed meanwhile (an operator's acknowledgement) is read and merged again, so its state never goes back.
    for (let attempt = 1; pending.length; attempt++) {
      const existing = await this.es
        .mget<VigilAlert>({ index, ids: [...new Set(pending.map((a) => a.id))] })
        .catch((err) => {
          if (err instanceof errors.ResponseError && err.statusCode === 404) return { docs: [] };
          throw err;
        });
      const stored = new Map<string, { alert: VigilAlert; seqNo?: number; primaryTerm?: number }>();
      for (const d of existing.docs)
        if ('found' in d && d.found && d._source)
          stored.set(d._id, { alert: d._source, seqNo: d._seq_no, primaryTerm: d._primary_term });
      const next = new Map<
        string,
        { alert: VigilAlert; seqNo?: number; primaryTerm?: number; from: VigilAlert[] }
      >();
      for (const a of pending) {
        const prev = next.get(a.id) ?? { ...stored.get(a.id), from: [] };
        const alert = prev.alert ? mergeAlert(prev.alert, a) : a;
        next.set(a.id, { ...prev, alert, from: [...prev.from, a] });
      }
      const operations: object[] = [];
      const order: string[] = [];
      for (const [id, n] of next) {
        operations.push(
          n.seqNo !== undefined
            ? { index: { _index: index, _id: id, if_seq_no: n.seqNo, if_primary_term: n.primaryTerm } }
            : { create: { _index: index, _id: id } },
          n.alert,
        );
        order.push(id);
      }
      const res = await this.es.bulk({ operations, refresh: 'wait_for' });
      if (!res.errors) return;
      const retry: VigilAlert[] = [];
      const failures: string[] = [];
      res.items.forEach((item, i) => {
        const r = item.index ?? item.create;
        const id = order[i] as string;
        if (!r?.error) return;
        if (r.status === 409 || r.status === 429 || r.status >= 500)
          retry.push(...(next.get(id)?.from ?? []));
        else failures.push(`${id}: ${r.status} ${r.error.type}: ${r.error.reason ?? ''}`);
      });
      if (failures.length)
        throw new Error(`Elasticsearch refused alert(s): ${failures.slice(0, 3).join('; ')}`);
      if (attempt >= Math.max(10, this.bulkAttempts))
        throw new Error(`${retry.length} alert(s) kept changing or were refused for now; try again`);
      // Jittered, so writers that collided do not collide again in step.
      await sleep(Math.min(2_000, (5 + Math.random() * 20) * 2 ** attempt));
      pending = retry;
    }
  }

  async getAlert(id: string): Promise<VigilAlert | undefined> {
    try {
      const res = await this.es.get<VigilAlert>({ index: this.index, id });
      return res.found ? res._source : undefined;
    } catch (err) {
      if (err instanceof errors.ResponseError && err.statusCode === 404) return undefined;
      throw err;
    }
  }

  async listAlerts(options: AlertListOptions = {}): Promise<VigilAlert[]> {
    const res = await this.es.search<VigilAlert>({
      index: this.index,
      ignore_unavailable: true,
      size: Math.min(Math.max(1, options.limit ?? 200), 1000),
      query: options.state ? { term: { state: options.state } } : { match_all: {} },
      sort: [{ raisedTs: { order: 'desc' } }, { id: { order: 'desc' } }],
    });
    return res.hits.hits.map((h) => h._source as VigilAlert);
  }

  /**
   * Applies a state change to the stored alert with optimistic concurrency: the write names the version it was
   * computed from, and when another writer got there first the alert is read again and the change re-applied.
   */
  async #setAlert(id: string, change: (a: VigilAlert) => VigilAlert): Promise<VigilAlert | undefined> {
    const index = this.index;
    for (let attempt = 1; ; attempt++) {
      let hit;
      try {
        hit = await this.es.get<VigilAlert>({ index, id });
      } catch (err) {
        if (err instanceof errors.ResponseError && err.statusCode === 404) return undefined;
        throw err;
      }
      if (!hit.found || !hit._source) return undefined;
      const next = change(hit._source);
      if (next === hit._source) return next;
      try {
        await this.es.index({
          index,
          id,
          document: next,
          if_seq_no: hit._seq_no,
          if_primary_term: hit._primary_term,
          refresh: 'wait_for',
        });
        return next;
      } catch (err) {
        if (!(err instanceof errors.ResponseError && err.statusCode === 409) || attempt >= 10) throw err;
        await sleep(Math.min(1_000, (5 + Math.random() * 10) * 2 ** attempt));
      }
    }
  }

  acknowledgeAlert(id: string, by: string, now = Date.now()): Promise<VigilAlert | undefined> {
    return this.#setAlert(id, (a) => acknowledgeAlert(a, by, now));
  }

  resolveAlert(id: string, now = Date.now()): Promise<VigilAlert | undefined> {
    return this.#setAlert(id, (a) => resolveAlert(a, now));
  }
}
