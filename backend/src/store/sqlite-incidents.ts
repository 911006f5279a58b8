import type Database from 'better-sqlite3';
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

/** Incidents in the event database (table `incidents`, schema step 6); each change is one transaction. */
export class SqliteIncidentStore implements IncidentStore {
  readonly #byId;
  readonly #put;

  constructor(private readonly db: Database.Database) {
    this.#byId = db.prepare<[string], { data: string }>('SELECT data FROM incidents WHERE id = ?');
    this.#put = db.prepare(
      `INSERT INTO incidents (id, camera_id, severity, state, start_ts, last_ts, data)
       VALUES (@id, @camera_id, @severity, @state, @start_ts, @last_ts, @data)
       ON CONFLICT (id) DO UPDATE SET severity = excluded.severity, state = excluded.state,
         start_ts = excluded.start_ts, last_ts = excluded.last_ts, data = excluded.data`,
    );
  }

  #get(id: string): Incident | undefined {
    const row = this.#byId.get(id);
    return row ? (JSON.parse(row.data) as Incident) : undefined;
  }

  #store(i: Incident): void {
    this.#put.run({
      id: i.id,
      camera_id: i.cameraId,
      severity: i.severity,
      state: i.state,
      start_ts: i.startTs,
      last_ts: i.lastTs,
      data: JSON.stringify(i),
    });
  }

  async upsertIncidents(incidents: readonly Incident[]): Promise<void> {
    this.db.transaction(() => {
      for (const incoming of incidents) {
        const stored = this.#get(incoming.id);
        this.#store(stored ? mergeIncidentActivity(stored, incoming) : incoming);
      }
    })();
  }

  async getIncident(id: string): Promise<Incident | undefined> {
    return this.#get(id);
  }

  async listIncidents(query: IncidentQuery = {}): Promise<Incident[]> {
    const where: string[] = [];
    const params: Array<string | number> = [];
    const anyOf = (column: string, values: readonly string[] | undefined) => {
      if (!values?.length) return;
      where.push(`${column} IN (${values.map(() => '?').join(', ')})`);
      params.push(...values);
    };
    anyOf('state', query.states);
    anyOf('camera_id', query.cameras);
    anyOf('severity', query.severities);
    if (query.from !== undefined) {
      where.push('last_ts >= ?');
      params.push(query.from);
    }
    if (query.to !== undefined) {
      where.push('start_ts < ?');
      params.push(query.to);
    }
    const limit = Math.min(Math.max(1, query.limit ?? 200), 500);
    const sql =
      `SELECT data FROM incidents ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ` +
      `ORDER BY start_ts DESC, id DESC LIMIT ${limit}`;
    return this.db
      .prepare<Array<string | number>, { data: string }>(sql)
      .all(...params)
      .map((r) => JSON.parse(r.data) as Incident);
  }

  async actOnIncident(id: string, action: IncidentAction): Promise<Incident | undefined> {
    return this.#change(id, (i) => applyIncidentAction(i, action));
  }

  async recordNotification(id: string, n: IncidentNotification): Promise<Incident | undefined> {
    return this.#change(id, (i) => addIncidentNotification(i, n));
  }

  #change(id: string, fn: (i: Incident) => Incident): Incident | undefined {
    return this.db.transaction(() => {
      const stored = this.#get(id);
      if (!stored) return undefined;
      const next = fn(stored);
      if (next !== stored) this.#store(next);
      return next;
    })();
  }
}
