import type Database from 'better-sqlite3';
import { openMigratedDatabase } from '../platform/sqlite.js';
import type { Handover } from '../contract/handover.js';
import type { HandoverAck, HandoverStore, OutageRecord } from './store.js';

/** The handover database of an installation, relative to its data folder (backups carry it). */
export const HANDOVERS_DB = 'handovers.db';

const MIGRATIONS = [
  `CREATE TABLE handovers (
     id TEXT PRIMARY KEY,
     author_key TEXT NOT NULL,
     created_ts INTEGER NOT NULL,
     acknowledged_ts INTEGER,
     json TEXT NOT NULL
   );
   CREATE INDEX handovers_by_author ON handovers (author_key, created_ts);
   CREATE INDEX handovers_by_time ON handovers (created_ts);
   CREATE TABLE camera_outages (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     camera_id TEXT NOT NULL,
     camera_name TEXT,
     start_ts INTEGER NOT NULL,
     end_ts INTEGER,
     reason TEXT
   );
   CREATE INDEX outages_by_camera ON camera_outages (camera_id, start_ts);`,
];

interface OutageRow {
  camera_id: string;
  camera_name: string | null;
  start_ts: number;
  end_ts: number | null;
  reason: string | null;
}

const key = (name: string) => name.toLowerCase();

/** Handovers and camera outages of one installation in `<data>/handovers.db` (WAL). */
export class SqliteHandoverStore implements HandoverStore {
  readonly #db: Database.Database;

  constructor(readonly file: string) {
    this.#db = openMigratedDatabase(file, MIGRATIONS);
  }

  async add(h: Handover): Promise<void> {
    this.#db
      .prepare(
        'INSERT INTO handovers (id, author_key, created_ts, acknowledged_ts, json) VALUES (?, ?, ?, ?, ?)',
      )
      .run(h.id, key(h.author), h.createdTs, h.acknowledgedTs ?? null, JSON.stringify(h));
  }

  async get(id: string): Promise<Handover | undefined> {
    const row = this.#db.prepare('SELECT json FROM handovers WHERE id = ?').get(id) as
      { json: string } | undefined;
    return row ? (JSON.parse(row.json) as Handover) : undefined;
  }

  async list(limit: number): Promise<Handover[]> {
    const rows = this.#db
      .prepare('SELECT json FROM handovers ORDER BY created_ts DESC, id LIMIT ?')
      .all(limit) as Array<{ json: string }>;
    return rows.map((r) => JSON.parse(r.json) as Handover);
  }

  async lastBy(author: string): Promise<Handover | undefined> {
    const row = this.#db
      .prepare('SELECT json FROM handovers WHERE author_key = ? ORDER BY created_ts DESC LIMIT 1')
      .get(key(author)) as { json: string } | undefined;
    return row ? (JSON.parse(row.json) as Handover) : undefined;
  }

  async acknowledge(id: string, ack: HandoverAck): Promise<Handover | undefined> {
    return this.#db.transaction(() => {
      const row = this.#db
        .prepare('SELECT json FROM handovers WHERE id = ? AND acknowledged_ts IS NULL')
        .get(id) as { json: string } | undefined;
      if (!row) return undefined;
      const h: Handover = {
        ...(JSON.parse(row.json) as Handover),
        acknowledgedBy: ack.by,
        ...(ack.name ? { acknowledgedName: ack.name } : {}),
        acknowledgedTs: ack.ts,
        ...(ack.note ? { ackNote: ack.note } : {}),
      };
      this.#db
        .prepare('UPDATE handovers SET acknowledged_ts = ?, json = ? WHERE id = ?')
        .run(ack.ts, JSON.stringify(h), id);
      return h;
    })();
  }

  async cameraDown(cameraId: string, ts: number, details: { name?: string; reason?: string }): Promise<void> {
    this.#db.transaction(() => {
      const open = this.#db
        .prepare('SELECT id FROM camera_outages WHERE camera_id = ? AND end_ts IS NULL')
        .get(cameraId) as { id: number } | undefined;
      if (open) {
        // The reason may change while it stays down ("connection refused" → "no route to host"): keep the latest.
        if (details.reason)
          this.#db.prepare('UPDATE camera_outages SET reason = ? WHERE id = ?').run(details.reason, open.id);
        return;
      }
      this.#db
        .prepare('INSERT INTO camera_outages (camera_id, camera_name, start_ts, reason) VALUES (?, ?, ?, ?)')
        .run(cameraId, details.name ?? null, ts, details.reason ?? null);
    })();
  }

  async cameraUp(cameraId: string, ts: number): Promise<void> {
    this.#db
      .prepare('UPDATE camera_outages SET end_ts = MAX(start_ts, ?) WHERE camera_id = ? AND end_ts IS NULL')
      .run(ts, cameraId);
  }

  async outages(from: number, to: number, cameras?: readonly string[]): Promise<OutageRecord[]> {
    if (cameras?.length === 0) return [];
    const filter = cameras ? ` AND camera_id IN (${cameras.map(() => '?').join(',')})` : '';
    const rows = this.#db
      .prepare(
        `SELECT camera_id, camera_name, start_ts, end_ts, reason FROM camera_outages
         WHERE start_ts < ? AND (end_ts IS NULL OR end_ts > ?)${filter} ORDER BY start_ts LIMIT 5000`,
      )
      .all(to, from, ...(cameras ?? [])) as OutageRow[];
    return rows.map((r) => ({
      cameraId: r.camera_id,
      startTs: r.start_ts,
      ...(r.camera_name ? { cameraName: r.camera_name } : {}),
      ...(r.end_ts !== null ? { endTs: r.end_ts } : {}),
      ...(r.reason ? { reason: r.reason } : {}),
    }));
  }

  async dispose(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}
