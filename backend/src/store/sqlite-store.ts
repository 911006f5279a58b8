import { fillBuckets } from './histogram.js';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteAlertStore } from './sqlite-alerts.js';
import { SqliteIncidentStore } from './sqlite-incidents.js';
import { SqliteSavedSearchStore } from './sqlite-saved-searches.js';
import type { EventPathPoint, VigilEvent } from '../contract/events.js';
import type {
  EventDetail,
  EventFacetsResponse,
  EventHistogramResponse,
  EventNote,
  EventSearchResponse,
  EventSummary,
  LiveStatsResponse,
} from '../contract/events-api.js';
import type { Box } from '../contract/media.js';
import {
  DAY_MS,
  HOUR_MS,
  MAX_HISTOGRAM_DAYS,
  MINUTE_MS,
  StoreInputError,
  encodeCursor,
  withTotal,
  type SearchTotal,
  histogramInterval,
  type AnnotationStore,
  type EventPatch,
  type EventQuery,
  type EventStore,
  type UpsertResult,
} from '../contract/store.js';
import { createLogger } from '../platform/log.js';
import { CounterDeltas, CounterStatements } from './counters.js';
import { mergeEvent, mergePaths, snapshotIsBetter, type MergeableEvent } from './merge.js';
import { migrate } from './migrations.js';

export interface SqliteEventStoreOptions {
  /** Database file (a real file: WAL needs one). */
  file: string;
  /** Folder for snapshot JPEGs; "snapshots" beside the database by default. */
  snapshotDir?: string;
  /** Camera names for results and free-text search. */
  cameraName?: (cameraId: string) => string | undefined;
  synchronous?: 'normal' | 'full';
}

interface EventRow {
  rid: number;
  id: string;
  camera_id: string;
  camera_name: string;
  label: string;
  phase: VigilEvent['phase'];
  start_ts: number;
  last_ts: number;
  end_ts: number | null;
  top_score: number;
  box: string;
  zones: string;
  /** Binary (see encodePath), or JSON text in rows written before schema 5. */
  path: Buffer | string;
  stationary: number;
  snapshot_ts: number | null;
  snapshot_score: number | null;
  snapshot_box: string | null;
  has_crop: number;
  has_frame: number;
  updated_ts: number;
  retained: number;
  tags: string;
  notes: string;
}

type SummaryRow = Omit<
  EventRow,
  'path' | 'notes' | 'snapshot_ts' | 'snapshot_score' | 'snapshot_box' | 'stationary' | 'updated_ts'
>;

const SUMMARY_COLUMNS =
  'e.rid, e.id, e.camera_id, e.camera_name, e.label, e.phase, e.start_ts, e.last_ts, e.end_ts, e.top_score, e.box, e.zones, e.has_crop, e.has_frame, e.retained, e.tags';

function toSummary(r: SummaryRow): EventSummary {
  const s: EventSummary = {
    id: r.id,
    cameraId: r.camera_id,
    cameraName: r.camera_name,
    label: r.label,
    phase: r.phase,
    startTs: r.start_ts,
    lastTs: r.last_ts,
    topScore: r.top_score,
    box: JSON.parse(r.box) as Box,
    zones: JSON.parse(r.zones) as string[],
    hasSnapshot: r.has_crop === 1 || r.has_frame === 1,
    retained: r.retained === 1,
    tags: JSON.parse(r.tags) as string[],
  };
  if (r.end_ts !== null) s.endTs = r.end_ts;
  return s;
}

function toDetail(r: EventRow): EventDetail {
  const d: EventDetail = {
    ...toSummary(r),
    path: decodePath(r.path),
    stationary: r.stationary === 1,
    notes: JSON.parse(r.notes) as EventNote[],
    updatedTs: r.updated_ts,
  };
  if (r.snapshot_ts !== null && r.snapshot_score !== null)
    d.snapshot = {
      ts: r.snapshot_ts,
      score: r.snapshot_score,
      crop: r.has_crop === 1,
      frame: r.has_frame === 1,
      ...(r.snapshot_box ? { box: JSON.parse(r.snapshot_box) as Box } : {}),
    };
  return d;
}

function rowToMergeable(r: EventRow): MergeableEvent {
  const m: MergeableEvent = {
    id: r.id,
    cameraId: r.camera_id,
    label: r.label,
    phase: r.phase,
    startTs: r.start_ts,
    lastTs: r.last_ts,
    topScore: r.top_score,
    box: JSON.parse(r.box) as Box,
    zones: JSON.parse(r.zones) as string[],
    path: decodePath(r.path),
    stationary: r.stationary === 1,
  };
  if (r.end_ts !== null) m.endTs = r.end_ts;
  if (r.snapshot_ts !== null && r.snapshot_score !== null)
    m.snapshot = {
      ts: r.snapshot_ts,
      score: r.snapshot_score,
      ...(r.snapshot_box ? { box: JSON.parse(r.snapshot_box) as Box } : {}),
    };
  return m;
}

/** Four decimals: a tenth of a pixel on a 1000-pixel frame; halves the stored size of paths. */
const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

function boxJson(b: Box): string {
  return `[${r4(b[0])},${r4(b[1])},${r4(b[2])},${r4(b[3])}]`;
}

/** Bytes of one stored path point: time (float64), then box and score in ten-thousandths (int32). */
const POINT_BYTES = 28;
/** Largest value a path's box or score may have to be stored in ten-thousandths in an int32. */
const MAX_FIXED = 200_000;

/**
 * A path as stored: 28 bytes a point, a third of its JSON, and written without formatting a number as text.
 * Values are kept to four decimals either way. JSON for the (invalid but accepted) box far outside the frame.
 */
function encodePath(path: MergeableEvent['path']): Buffer | string {
  const out = Buffer.allocUnsafe(path.length * POINT_BYTES);
  for (let i = 0; i < path.length; i++) {
    const p = path[i] as EventPathPoint;
    const o = i * POINT_BYTES;
    out.writeDoubleLE(p.ts, o);
    const values = [p.box[0], p.box[1], p.box[2], p.box[3], p.score];
    for (let k = 0; k < values.length; k++) {
      const v = values[k] as number;
      if (!(Math.abs(v) < MAX_FIXED)) return pathJson(path);
      out.writeInt32LE(Math.round(v * 1e4), o + 8 + 4 * k);
    }
  }
  return out;
}

function pathJson(path: MergeableEvent['path']): string {
  let out = '';
  for (const p of path)
    out += `${out ? ',' : ''}{"ts":${p.ts},"box":${boxJson(p.box)},"score":${r4(p.score)}}`;
  return `[${out}]`;
}

/** A stored path, binary or (rows written before schema 5, or out of range) JSON. */
function decodePath(stored: Buffer | string): EventPathPoint[] {
  if (typeof stored === 'string') return JSON.parse(stored) as EventPathPoint[];
  const out: EventPathPoint[] = [];
  for (let o = 0; o + POINT_BYTES <= stored.length; o += POINT_BYTES) {
    const at = (k: number) => stored.readInt32LE(o + 8 + 4 * k) / 1e4;
    out.push({ ts: stored.readDoubleLE(o), box: [at(0), at(1), at(2), at(3)], score: at(4) });
  }
  return out;
}

/** Text the free-text index holds for an event: label, camera, zones, tags and notes. */
function ftsBody(
  label: string,
  cameraId: string,
  cameraName: string,
  zones: string[],
  tags: string[],
  notes: EventNote[],
): string {
  return [label, cameraId, cameraName, ...zones, ...tags, ...notes.map((n) => n.text)].join(' ');
}

/**
 * Rewrites the free-text rows of the given events from their stored columns, with the same text the store indexes.
 * For rows written into `events` by something other than the store (a restore merging a backup).
 */
export function reindexEventsFullText(db: Database.Database, rids: Iterable<number>): void {
  const select = db.prepare<
    [number],
    Pick<EventRow, 'label' | 'camera_id' | 'camera_name' | 'zones' | 'tags' | 'notes'>
  >('SELECT label, camera_id, camera_name, zones, tags, notes FROM events WHERE rid = ?');
  const remove = db.prepare('DELETE FROM events_fts WHERE rowid = ?');
  const insert = db.prepare('INSERT INTO events_fts (rowid, body) VALUES (?, ?)');
  // All removals, then all additions, in row order: see FullTextChanges.
  const sorted = [...new Set(rids)].sort((a, b) => a - b);
  for (const rid of sorted) remove.run(rid);
  for (const rid of sorted) {
    const r = select.get(rid);
    if (!r) continue;
    const list = (json: string) => JSON.parse(json) as string[];
    const notes = JSON.parse(r.notes) as EventNote[];
    insert.run(rid, ftsBody(r.label, r.camera_id, r.camera_name, list(r.zones), list(r.tags), notes));
  }
}

/**
 * Free-text changes of one write transaction, applied at its end: every removal, then every addition, each in row
 * order. FTS5 writes its pending text out as a new segment whenever a removal follows an addition or row numbers
 * go backwards, so applying them as they came (a merge removes and re-adds its event's text) made a tiny segment
 * per merged event, and merging those segments cost more than all the rest of the write.
 */
class FullTextChanges {
  readonly #removed = new Set<number>();
  readonly #added = new Map<number, string>();
  readonly #created = new Set<number>();

  /** Text of a row created in this transaction. */
  add(rid: number, body: string): void {
    this.#created.add(rid);
    this.#added.set(rid, body);
  }

  /** New text of a row (its old text is removed first, unless the row was created in this transaction). */
  replace(rid: number, body: string): void {
    if (!this.#created.has(rid)) this.#removed.add(rid);
    this.#added.set(rid, body);
  }

  write(remove: Database.Statement, insert: Database.Statement): void {
    for (const rid of [...this.#removed].sort((a, b) => a - b)) remove.run(rid);
    for (const rid of [...this.#added.keys()].sort((a, b) => a - b)) insert.run(rid, this.#added.get(rid));
  }
}

/** FTS5 MATCH expression from search terms: each term quoted (so no FTS syntax can get through) as a prefix. */
export function ftsMatch(terms: readonly string[]): string {
  return terms.map((t) => `"${t.replace(/"/g, '""')}"*`).join(' AND ');
}

/**
 * The embedded event store: one SQLite file in WAL mode, versioned schema, FTS5 free text, batched transactional
 * writes, snapshot JPEGs as files beside it.
 */
export class SqliteEventStore implements EventStore {
  readonly kind = 'sqlite';
  readonly file: string;
  readonly snapshotDir: string;
  readonly db: Database.Database;
  readonly #log = createLogger('store.sqlite');
  readonly #cameraName: (id: string) => string | undefined;
  readonly #stmts;
  readonly #counters: CounterStatements;
  #writesSinceOptimize = 0;
  readonly incidents: SqliteIncidentStore;
  readonly alerts: SqliteAlertStore;
  readonly savedSearches: SqliteSavedSearchStore;
  readonly annotations: AnnotationStore = {
    updateEvent: async (id, patch, actor, now) => this.#annotate(id, patch, actor, now),
  };

  constructor(options: SqliteEventStoreOptions) {
    this.file = options.file;
    this.snapshotDir = options.snapshotDir ?? path.join(path.dirname(options.file), 'snapshots');
    this.#cameraName = options.cameraName ?? (() => undefined);
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const db = new Database(this.file);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
      db.pragma('cache_size = -131072');
      // Reads through a memory map skip a system call per page.
      db.pragma('mmap_size = 1073741824');
      db.pragma('temp_store = MEMORY');
      const from = migrate(db, this.file);
      db.pragma('optimize = 0x10002');
      if (from !== 0 && from !== db.pragma('user_version', { simple: true }))
        this.#log.info(
          { file: this.file, from, to: db.pragma('user_version', { simple: true }) },
          'event database migrated',
        );
    } catch (err) {
      db.close();
      throw err;
    }
    this.db = db;
    this.#stmts = {
      byId: db.prepare<[string], EventRow>('SELECT * FROM events WHERE id = ?'),
      insert: db.prepare(
        `INSERT INTO events (id, camera_id, camera_name, label, phase, start_ts, last_ts, end_ts, top_score, box, zones, path,
           stationary, updated_ts)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO NOTHING`,
      ),
      snapshot: db.prepare(
        'UPDATE events SET snapshot_ts = @ts, snapshot_score = @score, snapshot_box = @box, has_crop = @crop, has_frame = @frame WHERE rid = @rid',
      ),

      annotate: db.prepare(
        'UPDATE events SET tags = @tags, notes = @notes, retained = @retained, updated_ts = @updated_ts WHERE rid = @rid',
      ),
      zone: db.prepare('INSERT OR IGNORE INTO event_zones (zone, event_rid) VALUES (?, ?)'),
      zonesOf: db.prepare<[number], string>('SELECT zone FROM event_zones WHERE event_rid = ?').pluck(),
      ftsInsert: db.prepare('INSERT INTO events_fts (rowid, body) VALUES (?, ?)'),
      ftsDelete: db.prepare('DELETE FROM events_fts WHERE rowid = ?'),
    };
    this.#counters = new CounterStatements(db);
    this.incidents = new SqliteIncidentStore(db);
    this.alerts = new SqliteAlertStore(db);
    this.savedSearches = new SqliteSavedSearchStore(db);
  }

  #snapshotPath(id: string, kind: 'crop' | 'frame'): string {
    const h = crypto.createHash('sha256').update(id).digest('hex');
    return path.join(this.snapshotDir, h.slice(0, 2), `${h.slice(2, 34)}-${kind}.jpg`);
  }

  /** Writes snapshot JPEGs (temp file + rename, so a reader never sees half a file). */
  #writeSnapshot(id: string, kind: 'crop' | 'frame', base64: string | undefined): boolean {
    if (base64 === undefined) return false;
    const bytes = Buffer.from(base64, 'base64');
    if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) {
      this.#log.warn({ eventId: id, kind }, 'snapshot is not a JPEG; not stored');
      return false;
    }
    const file = this.#snapshotPath(id, kind);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(tmp, bytes);
    } catch (err) {
      // The folder is made on first use only: a mkdir per image costs more than the write itself.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(tmp, bytes);
    }
    fs.renameSync(tmp, file);
    return true;
  }

  readonly #upsertTx = (events: readonly VigilEvent[], now: number): UpsertResult => {
    const created: string[] = [];
    const updated: string[] = [];
    const s = this.#stmts;
    const counts = new CounterDeltas();
    const text = new FullTextChanges();
    for (const incoming of events) {
      // Most messages of a burst are new events: try the insert first, merge only when the id exists.
      if (this.#tryInsert(incoming, now, counts, text)) {
        created.push(incoming.id);
        continue;
      }
      const row = s.byId.get(incoming.id) as EventRow;
      const { snap, crop, frame } = this.#takeSnapshot(incoming, row);
      const { snapshot: _bytes, ...rest } = incoming;
      const before = rowToMergeable(row);
      const merged = mergeEvent(before, snap ? { ...rest, snapshot: snap } : rest);
      const start = merged.startTs !== row.start_ts;
      const score = merged.topScore !== row.top_score;
      const values: unknown[] = [
        merged.phase,
        merged.lastTs,
        merged.endTs ?? null,
        boxJson(merged.box),
        JSON.stringify(merged.zones),
        encodePath(merged.path),
        merged.stationary ? 1 : 0,
        now,
      ];
      if (start) values.push(merged.startTs);
      if (score) values.push(merged.topScore);
      if (snap)
        values.push(snap.ts, snap.score, snap.box ? boxJson(snap.box) : null, crop ? 1 : 0, frame ? 1 : 0);
      values.push(row.rid);
      this.#updateStatement(start, score, snap !== undefined).run(values);
      // An earlier start in another hour moves the event, and the zones it is counted in, to that hour.
      if (Math.floor(merged.startTs / HOUR_MS) !== Math.floor(row.start_ts / HOUR_MS)) {
        const zones = s.zonesOf.all(row.rid);
        counts.event(row.start_ts, row.camera_id, row.label, zones, -1);
        counts.event(merged.startTs, row.camera_id, row.label, zones, 1);
      }
      if (merged.zones.length !== before.zones.length) {
        for (const z of merged.zones)
          if (s.zone.run(z, row.rid).changes > 0) counts.zone(merged.startTs, row.camera_id, row.label, z);
        this.#reindex(row.rid, row, text, merged.zones);
      }
      updated.push(incoming.id);
    }
    counts.write(this.#counters);
    text.write(s.ftsDelete, s.ftsInsert);
    return { created, updated };
  };

  readonly #updates = new Map<string, Database.Statement>();

  /**
   * The UPDATE for a merge, setting only what may have changed: SQLite leaves an index alone when no column it
   * covers is assigned, and start time, score and snapshot are in indices while most updates only move lastTs.
   */
  #updateStatement(start: boolean, score: boolean, snapshot: boolean): Database.Statement {
    const key = `${+start}${+score}${+snapshot}`;
    let stmt = this.#updates.get(key);
    if (!stmt) {
      const set = ['phase', 'last_ts', 'end_ts', 'box', 'zones', 'path', 'stationary', 'updated_ts'];
      if (start) set.push('start_ts');
      if (score) set.push('top_score');
      if (snapshot) set.push('snapshot_ts', 'snapshot_score', 'snapshot_box', 'has_crop', 'has_frame');
      // Parameters by position (in the order of `set`, then rid): binding by name looks each one up in an object.
      stmt = this.db.prepare(`UPDATE events SET ${set.map((c) => `${c} = ?`).join(', ')} WHERE rid = ?`);
      this.#updates.set(key, stmt);
    }
    return stmt;
  }

  /** Inserts an event seen for the first time; false when the id is already stored. */
  #tryInsert(incoming: VigilEvent, now: number, counts: CounterDeltas, text: FullTextChanges): boolean {
    const s = this.#stmts;
    const cameraName = this.#cameraName(incoming.cameraId) ?? incoming.cameraId;
    const zones = incoming.zones.length > 1 ? [...new Set(incoming.zones)] : incoming.zones;
    // run() reports the new rowid without RETURNING, which makes SQLite buffer the result in a temporary table.
    // Parameters by position: binding by name looks each one up in an object.
    const info = s.insert.run(
      incoming.id,
      incoming.cameraId,
      cameraName,
      incoming.label,
      incoming.phase,
      incoming.startTs,
      incoming.lastTs,
      incoming.endTs ?? null,
      incoming.topScore,
      boxJson(incoming.box),
      JSON.stringify(zones),
      encodePath(mergePaths([], incoming.path)),
      incoming.stationary ? 1 : 0,
      now,
    );
    if (info.changes === 0) return false;
    const rid = Number(info.lastInsertRowid);
    for (const z of zones) s.zone.run(z, rid);
    counts.event(incoming.startTs, incoming.cameraId, incoming.label, zones, 1);
    text.add(rid, ftsBody(incoming.label, incoming.cameraId, cameraName, zones, [], []));
    if (incoming.snapshot) {
      const { snap, crop, frame } = this.#takeSnapshot(incoming, undefined);
      if (snap)
        s.snapshot.run({
          rid,
          ts: snap.ts,
          score: snap.score,
          box: snap.box ? boxJson(snap.box) : null,
          crop: crop ? 1 : 0,
          frame: frame ? 1 : 0,
        });
    }
    return true;
  }

  /** Writes the incoming snapshot's images when it beats the stored one. */
  #takeSnapshot(
    incoming: VigilEvent,
    row: EventRow | undefined,
  ): { snap?: { ts: number; score: number; box?: Box }; crop: boolean; frame: boolean } {
    const storedSnap = row && row.snapshot_score !== null ? { score: row.snapshot_score } : undefined;
    let crop = row?.has_crop === 1;
    let frame = row?.has_frame === 1;
    if (!snapshotIsBetter(storedSnap, incoming.snapshot)) return { crop, frame };
    const c = this.#writeSnapshot(incoming.id, 'crop', incoming.snapshot.cropJpeg);
    const f = this.#writeSnapshot(incoming.id, 'frame', incoming.snapshot.frameJpeg);
    if (!c && !f) return { crop, frame };
    crop = c;
    frame = f;
    // A better snapshot without one of the two images: the old image of that kind no longer matches.
    if (!c) fs.rmSync(this.#snapshotPath(incoming.id, 'crop'), { force: true });
    if (!f) fs.rmSync(this.#snapshotPath(incoming.id, 'frame'), { force: true });
    const { ts, score, box } = incoming.snapshot;
    return { snap: { ts, score, ...(box ? { box } : {}) }, crop, frame };
  }

  /** Rewrites an event's free text, at once or (`text`) with the rest of its transaction's. */
  #reindex(
    rid: number,
    row: Pick<EventRow, 'label' | 'camera_id' | 'camera_name' | 'zones' | 'tags' | 'notes'>,
    text: FullTextChanges | undefined,
    zones?: string[],
    tags?: string[],
    notes?: EventNote[],
  ): void {
    const body = ftsBody(
      row.label,
      row.camera_id,
      row.camera_name,
      zones ?? (JSON.parse(row.zones) as string[]),
      tags ?? (JSON.parse(row.tags) as string[]),
      notes ?? (JSON.parse(row.notes) as EventNote[]),
    );
    if (text) return text.replace(rid, body);
    this.#stmts.ftsDelete.run(rid);
    this.#stmts.ftsInsert.run(rid, body);
  }

  async upsertEvents(events: readonly VigilEvent[]): Promise<UpsertResult> {
    return this.upsertEventsSync(events);
  }

  /** Synchronous form of upsertEvents (benchmarks). */
  upsertEventsSync(events: readonly VigilEvent[], now = Date.now()): UpsertResult {
    if (events.length === 0) return { created: [], updated: [] };
    const result = this.db.transaction(this.#upsertTx)(events, now);
    // Keep the planner's statistics current as the data grows, so filters keep choosing the right index.
    this.#writesSinceOptimize += events.length;
    if (this.#writesSinceOptimize >= 200_000) {
      this.#writesSinceOptimize = 0;
      this.db.pragma('optimize');
    }
    return result;
  }

  async getEvent(id: string): Promise<EventDetail | undefined> {
    const row = this.#stmts.byId.get(id);
    return row ? toDetail(row) : undefined;
  }

  /** WHERE clause and parameters of a search's filters (without the cursor). */
  #where(q: EventQuery): { sql: string; params: Record<string, unknown> } {
    const parts = ['e.start_ts >= @from', 'e.start_ts < @to'];
    const params: Record<string, unknown> = { from: q.from, to: q.to };
    const inList = (column: string, name: string, values: string[]) => {
      const keys = values.map((v, i) => {
        params[`${name}${i}`] = v;
        return `@${name}${i}`;
      });
      parts.push(`${column} IN (${keys.join(', ')})`);
    };
    if (q.cameras.length) inList('e.camera_id', 'cam', q.cameras);
    if (q.labels.length) inList('e.label', 'lab', q.labels);
    if (q.zones.length) {
      const keys = q.zones.map((v, i) => {
        params[`zone${i}`] = v;
        return `@zone${i}`;
      });
      // Probed per candidate event: a page stops early instead of collecting every event of a busy zone.
      parts.push(
        `EXISTS (SELECT 1 FROM event_zones z WHERE z.event_rid = e.rid AND z.zone IN (${keys.join(', ')}))`,
      );
    }
    if (q.minScore !== undefined) {
      parts.push('e.top_score >= @minScore');
      params.minScore = q.minScore;
    }
    if (q.hasSnapshot !== undefined)
      parts.push(
        q.hasSnapshot ? '(e.has_crop = 1 OR e.has_frame = 1)' : '(e.has_crop = 0 AND e.has_frame = 0)',
      );
    if (q.retained !== undefined) parts.push(q.retained ? 'e.retained = 1' : 'e.retained = 0');
    if (q.terms.length) {
      parts.push('e.rid IN (SELECT rowid FROM events_fts WHERE events_fts MATCH @match)');
      params.match = ftsMatch(q.terms);
    }
    return { sql: parts.join(' AND '), params };
  }

  async search(q: EventQuery): Promise<EventSearchResponse> {
    const { sql, params } = this.#where(q);
    const desc = q.sort === 'newest';
    let cursorSql = '';
    if (q.after) {
      cursorSql = desc
        ? ' AND (e.start_ts, e.id) < (@afterTs, @afterId)'
        : ' AND (e.start_ts, e.id) > (@afterTs, @afterId)';
      params.afterTs = q.after.startTs;
      params.afterId = q.after.id;
    }
    const dir = desc ? 'DESC' : 'ASC';
    // A free-text search reads and sorts every match for its page anyway, so it counts them in the same pass
    // instead of running the text query a second time.
    const countHere = !q.counted && q.terms.length > 0;
    const rows = this.db
      .prepare<Record<string, unknown>, SummaryRow & { total?: number }>(
        `SELECT ${SUMMARY_COLUMNS}${countHere ? ', count(*) OVER () AS total' : ''} FROM events e WHERE ${sql}${cursorSql} ORDER BY e.start_ts ${dir}, e.id ${dir} LIMIT ${q.limit + 1}`,
      )
      .all(params);
    const items = rows.slice(0, q.limit).map(toSummary);
    let counted = q.counted;
    if (!counted && countHere) {
      // The window count covers rows after the cursor only: on a later page (an old cursor without a count) it
      // is not the search's total.
      counted = q.after ? this.#count(q) : { total: rows[0]?.total ?? 0, atLeast: false };
    }
    counted ??= this.#count(q);
    const out: EventSearchResponse = withTotal({ items, total: 0 }, counted);
    const last = items[items.length - 1];
    if (rows.length > q.limit && last) out.nextCursor = encodeCursor(q, last, counted);
    return out;
  }

  /** Events matching a search's filters over its whole range (the cursor's position does not count). */
  #count(q: EventQuery): SearchTotal {
    const { sql, params } = this.#where(q);
    const row = this.db
      .prepare<Record<string, unknown>, { n: number }>(`SELECT count(*) AS n FROM events e WHERE ${sql}`)
      .get(params) as { n: number };
    return { total: row.n, atLeast: false };
  }

  /**
   * The parts of a query's range that the counters can answer (whole days from the daily ones when `days`, whole
   * hours from the hourly ones) and the partial hours left at its ends, counted event by event. Undefined when
   * some filter needs each event (text, score, snapshot, retained, zones: an event in two chosen zones counts
   * once) or no whole hour is covered.
   */
  #countedSpans(
    q: EventQuery,
    days: boolean,
  ): { spans: Array<{ unit: 'hour' | 'day'; from: number; to: number }>; edges: EventQuery[] } | undefined {
    if (q.terms.length || q.zones.length) return undefined;
    if (q.minScore !== undefined || q.hasSnapshot !== undefined || q.retained !== undefined) return undefined;
    const h1 = Math.ceil(q.from / HOUR_MS) * HOUR_MS;
    const h2 = Math.floor(q.to / HOUR_MS) * HOUR_MS;
    if (h2 <= h1) return undefined;
    const d1 = Math.ceil(q.from / DAY_MS) * DAY_MS;
    const d2 = Math.floor(q.to / DAY_MS) * DAY_MS;
    const spans: Array<{ unit: 'hour' | 'day'; from: number; to: number }> = [];
    if (days && d2 > d1) {
      if (h1 < d1) spans.push({ unit: 'hour', from: h1, to: d1 });
      spans.push({ unit: 'day', from: d1, to: d2 });
      if (d2 < h2) spans.push({ unit: 'hour', from: d2, to: h2 });
    } else spans.push({ unit: 'hour', from: h1, to: h2 });
    const edges: EventQuery[] = [];
    if (q.from < h1) edges.push({ ...q, to: h1 });
    if (h2 < q.to) edges.push({ ...q, from: h2 });
    return { spans, edges };
  }

  /** WHERE clause over a counter table for [from, to) and the query's camera and label filters. */
  #countsWhere(
    q: EventQuery,
    unit: 'hour' | 'day',
    from: number,
    to: number,
  ): { sql: string; params: Record<string, unknown> } {
    const parts = [`c.${unit} >= @from`, `c.${unit} < @to`];
    const params: Record<string, unknown> = { from, to };
    const inList = (column: string, name: string, values: string[]) => {
      const keys = values.map((v, i) => {
        params[`${name}${i}`] = v;
        return `@${name}${i}`;
      });
      parts.push(`${column} IN (${keys.join(', ')})`);
    };
    if (q.cameras.length) inList('c.camera_id', 'cam', q.cameras);
    if (q.labels.length) inList('c.label', 'lab', q.labels);
    return { sql: parts.join(' AND '), params };
  }

  async facets(q: EventQuery): Promise<EventFacetsResponse> {
    const counted = this.#countedSpans(q, true);
    if (!counted) return this.#facetsExact(q);
    const out: EventFacetsResponse = { labels: {}, cameras: {}, zones: {} };
    for (const span of counted.spans) {
      const { sql, params } = this.#countsWhere(q, span.unit, span.from, span.to);
      const group = (key: string, table: string, into: Record<string, number>) => {
        const rows = this.db
          .prepare<Record<string, unknown>, { k: string; n: number }>(
            `SELECT ${key} AS k, sum(c.n) AS n FROM ${table} c WHERE ${sql} GROUP BY k`,
          )
          .all(params);
        for (const r of rows) if (r.n > 0) into[r.k] = (into[r.k] ?? 0) + r.n;
      };
      group('c.label', `event_${span.unit}_counts`, out.labels);
      group('c.camera_id', `event_${span.unit}_counts`, out.cameras);
      group('c.zone', `event_zone_${span.unit}_counts`, out.zones);
    }
    for (const edge of counted.edges) {
      const part = this.#facetsExact(edge);
      for (const k of ['labels', 'cameras', 'zones'] as const)
        for (const [key, n] of Object.entries(part[k])) out[k][key] = (out[k][key] ?? 0) + n;
    }
    return out;
  }

  /** Facets counted from the events themselves. */
  #facetsExact(q: EventQuery): EventFacetsResponse {
    const { sql, params } = this.#where(q);
    const group = (expr: string, from: string) => {
      const out: Record<string, number> = {};
      const rows = this.db
        .prepare<Record<string, unknown>, { k: string; n: number }>(
          `SELECT ${expr} AS k, count(*) AS n FROM ${from} WHERE ${sql} GROUP BY k`,
        )
        .all(params);
      for (const r of rows) out[r.k] = r.n;
      return out;
    };
    return {
      labels: group('e.label', 'events e'),
      cameras: group('e.camera_id', 'events e'),
      // CROSS JOIN keeps events (filtered by time first) as the outer loop.
      zones: group('z.zone', 'events e CROSS JOIN event_zones z ON z.event_rid = e.rid'),
    };
  }

  async histogram(q: EventQuery): Promise<EventHistogramResponse> {
    if (q.to - q.from > MAX_HISTOGRAM_DAYS * DAY_MS)
      throw new StoreInputError('from', `a histogram covers at most ${MAX_HISTOGRAM_DAYS} days`);
    const { interval, ms } = histogramInterval(q.from, q.to);
    const counted = ms >= HOUR_MS ? this.#countedSpans(q, ms >= DAY_MS) : undefined;
    if (!counted) return { interval, buckets: fillBuckets(q.from, q.to, ms, this.#histogramExact(q, ms)) };
    const rows: Array<{ b: number; label: string; n: number }> = [];
    for (const span of counted.spans) {
      const { sql, params } = this.#countsWhere(q, span.unit, span.from, span.to);
      rows.push(
        ...this.db
          .prepare<Record<string, unknown>, { b: number; label: string; n: number }>(
            `SELECT (c.${span.unit} / ${ms}) * ${ms} AS b, c.label AS label, sum(c.n) AS n FROM event_${span.unit}_counts c WHERE ${sql} GROUP BY b, c.label HAVING sum(c.n) > 0`,
          )
          .all(params),
      );
    }
    for (const edge of counted.edges) rows.push(...this.#histogramExact(edge, ms));
    return { interval, buckets: fillBuckets(q.from, q.to, ms, rows) };
  }

  /** Histogram rows counted from the events themselves. */
  #histogramExact(q: EventQuery, ms: number): Array<{ b: number; label: string; n: number }> {
    const { sql, params } = this.#where(q);
    return this.db
      .prepare<Record<string, unknown>, { b: number; label: string; n: number }>(
        `SELECT (e.start_ts / ${ms}) * ${ms} AS b, e.label AS label, count(*) AS n FROM events e WHERE ${sql} GROUP BY b, e.label`,
      )
      .all(params);
  }

  async readSnapshot(id: string, kind: 'crop' | 'frame'): Promise<Uint8Array | undefined> {
    const row = this.#stmts.byId.get(id);
    if (!row || (kind === 'crop' ? row.has_crop : row.has_frame) !== 1) return undefined;
    try {
      return await fs.promises.readFile(this.#snapshotPath(id, kind));
    } catch {
      return undefined;
    }
  }

  /** Appends a note, replaces tags, sets retain, and re-indexes the event's free text; one transaction. */
  #annotate(id: string, patch: EventPatch, actor: string, now = Date.now()): EventDetail | undefined {
    return this.db.transaction(() => {
      const row = this.#stmts.byId.get(id);
      if (!row) return undefined;
      const notes = JSON.parse(row.notes) as EventNote[];
      if (patch.note !== undefined) notes.push({ ts: now, by: actor, text: patch.note });
      const tags = patch.tags !== undefined ? [...new Set(patch.tags)] : (JSON.parse(row.tags) as string[]);
      const retained = patch.retain !== undefined ? (patch.retain ? 1 : 0) : row.retained;
      this.#stmts.annotate.run({
        rid: row.rid,
        tags: JSON.stringify(tags),
        notes: JSON.stringify(notes),
        retained,
        updated_ts: now,
      });
      if (patch.note !== undefined || patch.tags !== undefined)
        this.#reindex(row.rid, row, undefined, undefined, tags, notes);
      return toDetail(this.#stmts.byId.get(id) as EventRow);
    })();
  }

  async liveStats(now = Date.now()): Promise<LiveStatsResponse> {
    const minuteTs = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    const rows = this.db
      .prepare<[number, number], { camera_id: string; label: string; n: number }>(
        'SELECT camera_id, label, count(*) AS n FROM events WHERE start_ts >= ? AND start_ts < ? GROUP BY camera_id, label',
      )
      .all(minuteTs, minuteTs + MINUTE_MS);
    const perCamera: Record<string, Record<string, number>> = {};
    let total = 0;
    for (const r of rows) {
      (perCamera[r.camera_id] ??= {})[r.label] = r.n;
      total += r.n;
    }
    return { minuteTs, total, perCamera, source: 'store' };
  }

  async dispose(): Promise<void> {
    if (!this.db.open) return;
    this.db.pragma('optimize');
    this.db.close();
  }
}
