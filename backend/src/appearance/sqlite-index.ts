import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { AppearanceEntry, AppearanceIndex, NearestHit, NearestQuery } from '../contract/appearance.js';
import { cosine } from './descriptor.js';

/** The appearance index's file in the data folder. */
export const APPEARANCE_DB = 'appearance.db';

const MIGRATIONS = [
  `CREATE TABLE appearance (
     event_id TEXT PRIMARY KEY,
     camera_id TEXT NOT NULL,
     family TEXT NOT NULL,
     ts INTEGER NOT NULL,
     v INTEGER NOT NULL,
     vector BLOB NOT NULL
   );
   CREATE INDEX appearance_family_ts ON appearance (family, ts);`,
];

interface Row {
  event_id: string;
  camera_id: string;
  family: string;
  ts: number;
  v: number;
  vector: Buffer;
}

function toBlob(vector: readonly number[]): Buffer {
  return Buffer.from(new Float32Array(vector).buffer);
}

function fromBlob(blob: Buffer): Float32Array {
  // A view where the row's bytes are aligned for one, else a copy.
  if (blob.byteOffset % 4 === 0) return new Float32Array(blob.buffer, blob.byteOffset, blob.byteLength / 4);
  const out = new Float32Array(blob.byteLength / 4);
  new Uint8Array(out.buffer).set(blob);
  return out;
}

/**
 * The embedded appearance index: one SQLite table, vectors as float32 blobs, and a brute-force cosine over the
 * candidates of the family and time window (an index on both narrows them). The default window of an hour holds a
 * few hundred candidates on a busy site (about 2 ms); a whole day of 10,000 descriptors about 100 ms on a loaded
 * two-core machine (bench/appearance). A site with far more sightings in one window wants the cluster's
 * Elasticsearch index (approximate kNN).
 */
export class SqliteAppearanceIndex implements AppearanceIndex {
  readonly #db: Database.Database;

  constructor(readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('busy_timeout = 5000');
    const version = this.#db.pragma('user_version', { simple: true }) as number;
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.#db.transaction(() => {
        this.#db.exec(MIGRATIONS[v]!);
        this.#db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  async put(entries: readonly AppearanceEntry[]): Promise<void> {
    const insert = this.#db.prepare(
      `INSERT INTO appearance (event_id, camera_id, family, ts, v, vector) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (event_id) DO UPDATE SET camera_id = excluded.camera_id, family = excluded.family,
         ts = excluded.ts, v = excluded.v, vector = excluded.vector`,
    );
    this.#db.transaction(() => {
      for (const e of entries)
        insert.run(e.eventId, e.cameraId, e.family, e.ts, e.appearance.v, toBlob(e.appearance.vector));
    })();
  }

  async get(eventId: string): Promise<AppearanceEntry | undefined> {
    const row = this.#db.prepare('SELECT * FROM appearance WHERE event_id = ?').get(eventId) as
      Row | undefined;
    if (!row) return undefined;
    return {
      eventId: row.event_id,
      cameraId: row.camera_id,
      family: row.family,
      ts: row.ts,
      appearance: { v: row.v as 1, vector: [...fromBlob(row.vector)] },
    };
  }

  async nearest(q: NearestQuery): Promise<NearestHit[]> {
    if (q.cameras && q.cameras.length === 0) return [];
    const where = ['family = ?', 'ts >= ?', 'ts <= ?', 'v = ?'];
    const params: unknown[] = [q.family, q.from, q.to, q.appearance.v];
    if (q.cameras) {
      where.push(`camera_id IN (${q.cameras.map(() => '?').join(',')})`);
      params.push(...q.cameras);
    }
    if (q.excludeCameras?.length) {
      where.push(`camera_id NOT IN (${q.excludeCameras.map(() => '?').join(',')})`);
      params.push(...q.excludeCameras);
    }
    if (q.excludeEventId !== undefined) {
      where.push('event_id <> ?');
      params.push(q.excludeEventId);
    }
    const rows = this.#db
      .prepare(`SELECT event_id, vector FROM appearance WHERE ${where.join(' AND ')}`)
      .raw()
      .all(...params) as Array<[string, Buffer]>;
    const query = Float32Array.from(q.appearance.vector);
    const hits: NearestHit[] = [];
    for (const [eventId, blob] of rows) {
      const v = fromBlob(blob);
      if (v.length === query.length) hits.push({ eventId, score: cosine(query, v) });
    }
    return hits.sort(byScore).slice(0, q.limit);
  }

  async deleteBefore(ts: number): Promise<number> {
    return this.#db.prepare('DELETE FROM appearance WHERE ts < ?').run(ts).changes;
  }

  async dispose(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}

/** Best first; equal scores by event id, so a page is the same on every call. */
function byScore(a: NearestHit, b: NearestHit): number {
  return b.score - a.score || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);
}
