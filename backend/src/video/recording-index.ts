import crypto from 'node:crypto';
import Database from 'better-sqlite3';
import type { CameraConfig } from '../contract/config/cameras.js';
import type { GapCause, GapRecord, HoldRecord, RetentionLogEntry, SegmentRecord } from '../contract/video.js';

/**
 * The recording index: segments, gaps, holds, the retention log and runtime camera definitions, in one SQLite file
 * (WAL) of its own under the data folder.
 */
export class RecordingIndex {
  readonly db: Database.Database;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS segments (
        id INTEGER PRIMARY KEY, camera TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
        bytes INTEGER NOT NULL, key TEXT NOT NULL UNIQUE);
      CREATE INDEX IF NOT EXISTS segments_camera_start ON segments(camera, start);
      CREATE INDEX IF NOT EXISTS segments_start ON segments(start);
      CREATE TABLE IF NOT EXISTS gaps (
        id INTEGER PRIMARY KEY, camera TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
        cause TEXT NOT NULL, detail TEXT);
      CREATE INDEX IF NOT EXISTS gaps_camera_start ON gaps(camera, start);
      CREATE TABLE IF NOT EXISTS holds (
        id TEXT PRIMARY KEY, camera TEXT NOT NULL, "from" INTEGER NOT NULL, "to" INTEGER NOT NULL,
        reason TEXT NOT NULL, created INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS retention_log (
        id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, camera TEXT NOT NULL, start INTEGER NOT NULL,
        "end" INTEGER NOT NULL, bytes INTEGER NOT NULL, reason TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS cameras (
        id TEXT PRIMARY KEY, json TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0);
    `);
  }

  addSegment(s: Omit<SegmentRecord, 'id'>): SegmentRecord {
    const r = this.db
      .prepare('INSERT INTO segments (camera, start, "end", bytes, key) VALUES (?, ?, ?, ?, ?)')
      .run(s.cameraId, s.start, s.end, s.bytes, s.key);
    return { ...s, id: Number(r.lastInsertRowid) };
  }

  /** Whether a video store key is indexed as a segment. */
  hasSegmentKey(key: string): boolean {
    return this.db.prepare('SELECT 1 FROM segments WHERE key = ?').get(key) !== undefined;
  }

  /** Segments of a camera overlapping [from, to), oldest first. */
  segments(cameraId: string, from: number, to: number): SegmentRecord[] {
    return this.db
      .prepare(
        'SELECT id, camera AS cameraId, start, "end", bytes, key FROM segments WHERE camera = ? AND "end" > ? AND start < ? ORDER BY start',
      )
      .all(cameraId, from, to) as SegmentRecord[];
  }

  lastSegment(cameraId: string): SegmentRecord | undefined {
    return this.db
      .prepare(
        'SELECT id, camera AS cameraId, start, "end", bytes, key FROM segments WHERE camera = ? ORDER BY "end" DESC LIMIT 1',
      )
      .get(cameraId) as SegmentRecord | undefined;
  }

  /** Start of the oldest segment or gap of a camera, if any. */
  firstRecord(cameraId: string): number | undefined {
    const row = this.db
      .prepare(
        'SELECT MIN(start) AS start FROM (SELECT MIN(start) AS start FROM segments WHERE camera = ? UNION ALL SELECT MIN(start) FROM gaps WHERE camera = ?)',
      )
      .get(cameraId, cameraId) as { start: number | null } | undefined;
    return row?.start ?? undefined;
  }

  /** Oldest segments across every camera (retention candidates). */
  oldestSegments(limit: number, offset = 0): SegmentRecord[] {
    return this.db
      .prepare(
        'SELECT id, camera AS cameraId, start, "end", bytes, key FROM segments ORDER BY start, id LIMIT ? OFFSET ?',
      )
      .all(limit, offset) as SegmentRecord[];
  }

  segmentsOlderThan(cameraId: string, end: number): SegmentRecord[] {
    return this.db
      .prepare(
        'SELECT id, camera AS cameraId, start, "end", bytes, key FROM segments WHERE camera = ? AND "end" <= ? ORDER BY start',
      )
      .all(cameraId, end) as SegmentRecord[];
  }

  removeSegment(id: number): void {
    this.db.prepare('DELETE FROM segments WHERE id = ?').run(id);
  }

  bytesByCamera(): Record<string, number> {
    const rows = this.db
      .prepare('SELECT camera, SUM(bytes) AS bytes FROM segments GROUP BY camera')
      .all() as Array<{
      camera: string;
      bytes: number;
    }>;
    return Object.fromEntries(rows.map((r) => [r.camera, r.bytes]));
  }

  /** Per camera, the bytes and the recorded time (ms) of the segments that started at or after `from`. */
  recordedSince(from: number): Record<string, { bytes: number; ms: number }> {
    const rows = this.db
      .prepare(
        'SELECT camera, SUM(bytes) AS bytes, SUM("end" - start) AS ms FROM segments WHERE start >= ? GROUP BY camera',
      )
      .all(from) as Array<{ camera: string; bytes: number; ms: number }>;
    return Object.fromEntries(rows.map((r) => [r.camera, { bytes: r.bytes, ms: r.ms }]));
  }

  addGap(g: GapRecord): void {
    if (g.end <= g.start) return;
    this.db
      .prepare('INSERT INTO gaps (camera, start, "end", cause, detail) VALUES (?, ?, ?, ?, ?)')
      .run(g.cameraId, g.start, g.end, g.cause, g.detail ?? null);
  }

  gaps(cameraId: string, from: number, to: number): GapRecord[] {
    const rows = this.db
      .prepare(
        'SELECT camera AS cameraId, start, "end", cause, detail FROM gaps WHERE camera = ? AND "end" > ? AND start < ? ORDER BY start',
      )
      .all(cameraId, from, to) as Array<GapRecord & { detail: string | null }>;
    return rows.map((r) => {
      const g: GapRecord = { cameraId: r.cameraId, start: r.start, end: r.end, cause: r.cause as GapCause };
      if (r.detail) g.detail = r.detail;
      return g;
    });
  }

  addHold(h: Omit<HoldRecord, 'id' | 'created'>): HoldRecord {
    const hold: HoldRecord = { ...h, id: crypto.randomUUID(), created: Date.now() };
    this.db
      .prepare('INSERT INTO holds (id, camera, "from", "to", reason, created) VALUES (?, ?, ?, ?, ?, ?)')
      .run(hold.id, hold.cameraId, hold.from, hold.to, hold.reason, hold.created);
    return hold;
  }

  removeHold(id: string): boolean {
    return this.db.prepare('DELETE FROM holds WHERE id = ?').run(id).changes > 0;
  }

  holds(): HoldRecord[] {
    return this.db
      .prepare('SELECT id, camera AS cameraId, "from", "to", reason, created FROM holds ORDER BY created')
      .all() as HoldRecord[];
  }

  isHeld(cameraId: string, start: number, end: number): boolean {
    return (
      this.db
        .prepare('SELECT 1 FROM holds WHERE camera = ? AND "to" > ? AND "from" < ? LIMIT 1')
        .get(cameraId, start, end) !== undefined
    );
  }

  logDeletion(e: RetentionLogEntry): void {
    this.db
      .prepare(
        'INSERT INTO retention_log (ts, camera, start, "end", bytes, reason) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(e.ts, e.cameraId, e.start, e.end, e.bytes, e.reason);
  }

  retentionLog(limit: number): RetentionLogEntry[] {
    return this.db
      .prepare(
        'SELECT ts, camera AS cameraId, start, "end", bytes, reason FROM retention_log ORDER BY id DESC LIMIT ?',
      )
      .all(limit) as RetentionLogEntry[];
  }

  /** Retention's deletions of a camera's footage overlapping [from, to), oldest first (at most `limit`). */
  deletions(cameraId: string, from: number, to: number, limit = 10_000): RetentionLogEntry[] {
    return this.db
      .prepare(
        'SELECT ts, camera AS cameraId, start, "end", bytes, reason FROM retention_log WHERE camera = ? AND "end" > ? AND start < ? ORDER BY start LIMIT ?',
      )
      .all(cameraId, from, to, limit) as RetentionLogEntry[];
  }

  cameras(): CameraConfig[] {
    return this.cameraRows().map((r) => r.json as CameraConfig);
  }

  /** Stored camera definitions as they are, unchecked: rows written by an older version may no longer be valid. */
  cameraRows(includeDeleted = false): Array<{ id: string; json: unknown }> {
    const where = includeDeleted ? '' : 'WHERE deleted = 0';
    const rows = this.db.prepare(`SELECT id, json FROM cameras ${where} ORDER BY rowid`).all() as Array<{
      id: string;
      json: string;
    }>;
    return rows.map((r) => {
      try {
        return { id: r.id, json: JSON.parse(r.json) as unknown };
      } catch {
        return { id: r.id, json: undefined };
      }
    });
  }

  /**
   * Rewrites stored camera definitions so that removed text leaves no trace in the file: freed pages are zeroed
   * (secure_delete) and the write-ahead log is emptied into the database and truncated.
   */
  rewriteCamerasScrubbed(cameras: ReadonlyArray<{ id: string; json: unknown }>): void {
    this.db.pragma('secure_delete = ON');
    const update = this.db.prepare('UPDATE cameras SET json = ? WHERE id = ?');
    this.db.transaction(() => {
      for (const c of cameras) update.run(JSON.stringify(c.json), c.id);
    })();
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  saveCamera(c: CameraConfig): void {
    this.db
      .prepare(
        'INSERT INTO cameras (id, json, deleted) VALUES (?, ?, 0) ON CONFLICT(id) DO UPDATE SET json = excluded.json, deleted = 0',
      )
      .run(c.id, JSON.stringify(c));
  }

  /** Marks a camera deleted (kept as a tombstone so the config file does not bring it back). */
  deleteCamera(id: string): void {
    this.db.prepare('UPDATE cameras SET deleted = 1 WHERE id = ?').run(id);
  }

  close(): void {
    this.db.close();
  }
}
