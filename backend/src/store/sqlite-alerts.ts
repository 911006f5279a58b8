import type Database from 'better-sqlite3';
import type { VigilAlert } from '../contract/events.js';
import type { AlertListOptions, AlertStore } from '../contract/store.js';
import { acknowledgeAlert, mergeAlert, resolveAlert } from '../contract/transitions.js';

/** Alerts in the event database (table `alerts`); each change is one transaction around a shared transition. */
export class SqliteAlertStore implements AlertStore {
  readonly #byId;
  readonly #put;

  constructor(private readonly db: Database.Database) {
    this.#byId = db.prepare<[string], { data: string }>('SELECT data FROM alerts WHERE id = ?');
    this.#put = db.prepare(
      `INSERT INTO alerts (id, state, raised_ts, event_id, data) VALUES (@id, @state, @raised_ts, @event_id, @data)
       ON CONFLICT (id) DO UPDATE SET state = excluded.state, raised_ts = excluded.raised_ts, data = excluded.data`,
    );
  }

  #get(id: string): VigilAlert | undefined {
    const row = this.#byId.get(id);
    return row ? (JSON.parse(row.data) as VigilAlert) : undefined;
  }

  #store(a: VigilAlert): void {
    this.#put.run({
      id: a.id,
      state: a.state,
      raised_ts: a.raisedTs,
      event_id: a.eventId,
      data: JSON.stringify(a),
    });
  }

  async upsertAlerts(alerts: readonly VigilAlert[]): Promise<void> {
    this.db.transaction(() => {
      for (const incoming of alerts) {
        const stored = this.#get(incoming.id);
        this.#store(stored ? mergeAlert(stored, incoming) : incoming);
      }
    })();
  }

  async getAlert(id: string): Promise<VigilAlert | undefined> {
    return this.#get(id);
  }

  async listAlerts(options: AlertListOptions = {}): Promise<VigilAlert[]> {
    const limit = Math.min(Math.max(1, options.limit ?? 200), 1000);
    const rows = options.state
      ? this.db
          .prepare<[string], { data: string }>(
            `SELECT data FROM alerts WHERE state = ? ORDER BY raised_ts DESC, id DESC LIMIT ${limit}`,
          )
          .all(options.state)
      : this.db
          .prepare<[], { data: string }>(
            `SELECT data FROM alerts ORDER BY raised_ts DESC, id DESC LIMIT ${limit}`,
          )
          .all();
    return rows.map((r) => JSON.parse(r.data) as VigilAlert);
  }

  async acknowledgeAlert(id: string, by: string, now = Date.now()): Promise<VigilAlert | undefined> {
    return this.#change(id, (a) => acknowledgeAlert(a, by, now));
  }

  async resolveAlert(id: string, now = Date.now()): Promise<VigilAlert | undefined> {
    return this.#change(id, (a) => resolveAlert(a, now));
  }

  #change(id: string, fn: (a: VigilAlert) => VigilAlert): VigilAlert | undefined {
    return this.db.transaction(() => {
      const stored = this.#get(id);
      if (!stored) return undefined;
      const next = fn(stored);
      if (next !== stored) this.#store(next);
      return next;
    })();
  }
}
