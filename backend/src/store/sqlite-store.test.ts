import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEventQuery } from '../contract/store.js';
import { makeEvent, runEventStoreContractSuite } from '../../../test/contracts/event-store.js';
import { MIGRATIONS, NewerSchemaError, SCHEMA_VERSION, migrate } from './migrations.js';
import { SqliteEventStore } from './sqlite-store.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-store-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshFile = () => path.join(root, `db-${++n}`, 'events.db');

runEventStoreContractSuite('sqlite (file on disk)', async ({ cameraNames }) => {
  return new SqliteEventStore({ file: freshFile(), cameraName: (id) => cameraNames[id] });
});

describe('SQLite event store', () => {
  it('writes a WAL database file on disk and reopens it with the data intact', async () => {
    const file = freshFile();
    const a = new SqliteEventStore({ file });
    await a.upsertEvents([makeEvent({ id: 'persisted', zones: ['gate'] })]);
    expect(a.db.pragma('journal_mode', { simple: true })).toBe('wal');
    await a.dispose();
    const b = new SqliteEventStore({ file });
    expect(await b.getEvent('persisted')).toMatchObject({ id: 'persisted', zones: ['gate'] });
    await b.dispose();
  });

  it('migrates a database written by the first schema version, free-text index included', async () => {
    const file = freshFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const old = new Database(file);
    migrate(old, file, 1);
    old
      .prepare(
        `INSERT INTO events (id, camera_id, camera_name, label, phase, start_ts, last_ts, top_score, box, zones, path, updated_ts)
         VALUES ('legacy', 'cam-a', 'Back alley', 'bicycle', 'end', ?, ?, 0.8, '[0,0,1,1]', '["bike-rack"]', '[]', 0)`,
      )
      .run(Date.now() - 60_000, Date.now() - 30_000);
    expect(old.pragma('user_version', { simple: true })).toBe(1);
    old.close();

    const store = new SqliteEventStore({ file });
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect((await store.search(parseEventQuery({ q: 'alley bike' }))).items.map((i) => i.id)).toEqual([
      'legacy',
    ]);
    expect(await store.annotations.updateEvent('legacy', { retain: true }, 'alice')).toMatchObject({
      retained: true,
      tags: [],
    });
    await store.dispose();
  });

  it('refuses a database from a newer version with a message that says what to do', () => {
    const file = freshFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const future = new Database(file);
    future.pragma(`user_version = ${MIGRATIONS.length + 3}`);
    future.close();
    expect(() => new SqliteEventStore({ file })).toThrow(NewerSchemaError);
    expect(() => new SqliteEventStore({ file })).toThrow(/newer Vigil: upgrade Vigil/);
  });

  it('serves filtered searches from indices, not full scans', () => {
    const store = new SqliteEventStore({ file: freshFile() });
    const plan = (sql: string) =>
      (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>)
        .map((r) => r.detail)
        .join('; ');
    expect(
      plan(
        'SELECT id FROM events e WHERE e.start_ts >= 1 AND e.start_ts < 2 ORDER BY e.start_ts DESC, e.id DESC LIMIT 5',
      ),
    ).toMatch(/USING COVERING INDEX events_start_cover/);
    expect(
      plan('SELECT label, count(*) FROM events e WHERE e.start_ts >= 1 AND e.start_ts < 2 GROUP BY label'),
    ).toMatch(/USING COVERING INDEX events_start_cover/);
    expect(
      plan("SELECT id FROM events e WHERE e.camera_id IN ('a') AND e.start_ts >= 1 AND e.start_ts < 2"),
    ).toMatch(/USING (COVERING )?INDEX/);
    expect(plan("SELECT id FROM events e WHERE e.label = 'car' AND e.start_ts >= 1")).toMatch(
      /USING (COVERING )?INDEX/,
    );
    expect(plan("SELECT event_rid FROM event_zones WHERE zone IN ('gate')")).toMatch(/PRIMARY KEY|INDEX/);
    expect(plan('SELECT id FROM events e WHERE e.retained = 1 AND e.start_ts >= 1')).toMatch(
      /events_retained_start/,
    );
    void store.dispose();
  });

  it('a free-text search counts every match, not only its page, and zero when nothing matches', async () => {
    const store = new SqliteEventStore({ file: freshFile() });
    const t0 = Date.now() - 60 * 60_000;
    await store.upsertEvents(
      Array.from({ length: 30 }, (_, i) =>
        makeEvent({
          id: `ev-${i}`,
          startTs: t0 + i * 1000,
          lastTs: t0 + i * 1000,
          zones: i % 3 ? ['gate'] : [],
        }),
      ),
    );
    const first = await store.search(parseEventQuery({ q: 'gate', limit: '5' }));
    expect(first.items).toHaveLength(5);
    expect(first.total).toBe(20);
    const next = await store.search(parseEventQuery({ q: 'gate', limit: '5', cursor: first.nextCursor }));
    expect(next.items.map((i) => i.id)).not.toContain(first.items[0]?.id);
    // Later pages repeat the count (carried by the cursor) rather than losing it.
    expect(next.total).toBe(20);
    expect(await store.search(parseEventQuery({ q: 'fence' }))).toEqual({ items: [], total: 0 });
    await store.dispose();
  });

  it('finds merged events by the zones they entered when new events and merges share a batch', async () => {
    const store = new SqliteEventStore({ file: freshFile() });
    const t0 = Date.now() - 30 * 60_000;
    const ev = (id: string, zones: string[], dt = 0) =>
      makeEvent({ id, startTs: t0, lastTs: t0 + dt, zones, phase: dt ? 'update' : 'start' });
    await store.upsertEvents([ev('old', ['gate'])]);
    await store.upsertEvents([
      ev('new-1', ['yard']),
      ev('old', ['lobby'], 1000),
      ev('new-2', []),
      ev('new-1', ['dock'], 2000),
      ev('old', ['stairs'], 3000),
    ]);
    const ids = async (text: string) =>
      (await store.search(parseEventQuery({ q: text }))).items.map((i) => i.id).sort();
    expect(await ids('gate lobby stairs')).toEqual(['old']);
    expect(await ids('yard dock')).toEqual(['new-1']);
    expect(await ids('person')).toEqual(['new-1', 'new-2', 'old']);
    expect((await store.search(parseEventQuery({ q: 'person' }))).total).toBe(3);
    await store.annotations.updateEvent('new-2', { note: 'courier at the side door' }, 'alice');
    expect(await ids('courier')).toEqual(['new-2']);
    expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
    store.db.exec("INSERT INTO events_fts (events_fts) VALUES ('integrity-check')");
    await store.dispose();
  });
});

describe('SQLite event store: hourly and daily counters', () => {
  it('facets and histograms from the hourly and daily counters equal those counted event by event, after merges that move events', async () => {
    const store = new SqliteEventStore({ file: freshFile() });
    let s = 12345;
    const rnd = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const now = Date.now();
    const span = 10 * 24 * 3_600_000;
    const events = Array.from({ length: 600 }, (_, i) => {
      const startTs = now - Math.floor(rnd() * span);
      return makeEvent({
        id: `ev-${i}`,
        startTs,
        lastTs: startTs,
        cameraId: pick(['cam-a', 'cam-b', 'cam-c']),
        label: pick(['person', 'person', 'car', 'dog']),
        zones: rnd() < 0.3 ? [] : [pick(['gate', 'road', 'door'])],
        topScore: 0.3 + rnd() * 0.6,
      });
    });
    await store.upsertEvents(events);
    // Merges: an earlier start (often another hour or day), an added zone, both, or only a later last time.
    const merges = events.slice(0, 200).map((e, i) => ({
      ...e,
      phase: 'update' as const,
      startTs: i % 4 === 3 ? e.startTs : e.startTs - Math.floor(rnd() * 30 * 3_600_000),
      lastTs: e.lastTs + 60_000,
      zones: i % 2 ? [...e.zones, pick(['lobby', 'gate', 'yard'])] : e.zones,
    }));
    const result = await store.upsertEvents(merges);
    expect(result.updated).toHaveLength(200);

    const queries: Array<Record<string, unknown>> = [
      { from: now - 12 * 24 * 3_600_000, to: now + 60_000 },
      { from: now - 7 * 24 * 3_600_000 + 1234, to: now - 3 * 3_600_000 - 5678 },
      { from: now - 5 * 3_600_000 - 17, to: now - 1 },
      { from: now - 9 * 24 * 3_600_000, to: now, cameras: 'cam-b' },
      { from: now - 9 * 24 * 3_600_000, to: now, labels: 'person,dog' },
      { from: now - 30 * 24 * 3_600_000, to: now, cameras: 'cam-a,cam-c', labels: 'car' },
    ];
    for (const input of queries) {
      const counted = parseEventQuery(input, now);
      // Any score filter makes the store count event by event; every score is at least 0.
      const exact = parseEventQuery({ ...input, minScore: '0' }, now);
      expect(await store.facets(counted)).toEqual(await store.facets(exact));
      expect(await store.histogram(counted)).toEqual(await store.histogram(exact));
    }
    const all = await store.facets(parseEventQuery(queries[0], now));
    expect(Object.values(all.labels).reduce((a, b) => a + b, 0)).toBe(600);
    expect(all.zones.lobby ?? 0).toBeGreaterThan(0);
    await store.dispose();
  });

  it('fills the counters when migrating a database written before they existed', async () => {
    const file = freshFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const old = new Database(file);
    migrate(old, file, 3);
    const ts = Date.now() - 2 * 24 * 3_600_000;
    old
      .prepare(
        `INSERT INTO events (rid, id, camera_id, camera_name, label, phase, start_ts, last_ts, top_score, box, zones, path, updated_ts)
         VALUES (1, 'legacy', 'cam-a', 'cam-a', 'bicycle', 'end', ?, ?, 0.8, '[0,0,1,1]', '["bike-rack"]', '[]', 0)`,
      )
      .run(ts, ts);
    old.prepare(`INSERT INTO event_zones (zone, event_rid) VALUES ('bike-rack', 1)`).run();
    old.close();
    const store = new SqliteEventStore({ file });
    const q = parseEventQuery({ from: ts - 3 * 24 * 3_600_000, to: ts + 24 * 3_600_000 });
    expect(await store.facets(q)).toEqual({
      labels: { bicycle: 1 },
      cameras: { 'cam-a': 1 },
      zones: { 'bike-rack': 1 },
    });
    await store.dispose();
  });

  it('migrates a schema 4 database (counters kept by triggers, paths as JSON): counts, paths and merges stay right', async () => {
    const file = freshFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const old = new Database(file);
    migrate(old, file, 4);
    const hour = 3_600_000;
    const ts = Math.floor((Date.now() - 2 * 24 * hour) / hour) * hour + 30 * 60_000;
    const insert = old.prepare(
      `INSERT INTO events (rid, id, camera_id, camera_name, label, phase, start_ts, last_ts, top_score, box, zones, path, updated_ts)
       VALUES (?, ?, 'cam-a', 'Back alley', ?, 'end', ?, ?, 0.8, '[0.1,0.1,0.2,0.4]', ?, ?, 0)`,
    );
    const legacyPath = `[{"ts":${ts},"box":[0.1,0.1,0.2,0.4],"score":0.8},{"ts":${ts + 2000},"box":[0.12,0.1,0.22,0.4],"score":0.7}]`;
    insert.run(1, 'legacy-1', 'bicycle', ts, ts + 2000, '["bike-rack"]', legacyPath);
    insert.run(2, 'legacy-2', 'person', ts + 1000, ts + 1000, '[]', '[]');
    old.prepare(`INSERT INTO event_zones (zone, event_rid) VALUES ('bike-rack', 1)`).run();
    old.close();

    const store = new SqliteEventStore({ file });
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(
      store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'event_%'").all(),
    ).toEqual([]);
    const range = { from: String(ts - 3 * 24 * hour), to: String(ts + 24 * hour) };
    expect(await store.facets(parseEventQuery(range))).toEqual({
      labels: { bicycle: 1, person: 1 },
      cameras: { 'cam-a': 2 },
      zones: { 'bike-rack': 1 },
    });
    expect((await store.getEvent('legacy-1'))?.path).toEqual([
      { ts, box: [0.1, 0.1, 0.2, 0.4], score: 0.8 },
      { ts: ts + 2000, box: [0.12, 0.1, 0.22, 0.4], score: 0.7 },
    ]);

    // A late message moves the legacy event an hour earlier and into another zone; its JSON path merges.
    await store.upsertEvents([
      makeEvent({
        id: 'legacy-1',
        cameraId: 'cam-a',
        label: 'bicycle',
        phase: 'update',
        startTs: ts - hour,
        lastTs: ts + 4000,
        topScore: 0.9,
        zones: ['gate'],
        path: [{ ts: ts + 4000, box: [0.3, 0.1, 0.4, 0.4], score: 0.9 }],
      }),
    ]);
    expect((await store.getEvent('legacy-1'))?.path.map((p) => p.ts)).toEqual([ts, ts + 2000, ts + 4000]);
    const counted = parseEventQuery(range);
    const exact = parseEventQuery({ ...range, minScore: '0' });
    expect(await store.facets(counted)).toEqual(await store.facets(exact));
    expect(await store.facets(counted)).toMatchObject({ zones: { 'bike-rack': 1, gate: 1 } });
    expect(await store.histogram(counted)).toEqual(await store.histogram(exact));
    const hourly = (from: number) =>
      store.histogram(parseEventQuery({ from: String(from), to: String(from + 4 * hour) }));
    expect((await hourly(Math.floor(ts / hour) * hour - hour)).buckets.map((b) => b.count)).toEqual([
      1, 1, 0, 0,
    ]);
    await store.dispose();
  });
});
