import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { restoreBackup, runBackup } from '../backup/engine.js';
import { eventStoreFullTextRebuild } from '../backup/event-store-fulltext.js';
import { FolderTarget } from '../backup/targets/folder.js';
import { parseEventQuery } from '../contract/store.js';
import { makeEvent } from '../../../test/contracts/event-store.js';
import { migrate } from './migrations.js';
import { SqliteEventStore } from './sqlite-store.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-counters-restore-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

it('after a backup is merged into an installation that has events of the same hours, the hourly counters match the events', async () => {
  const now = Date.now();
  const hour = 3_600_000;
  const dirA = path.join(root, 'a');
  const dirB = path.join(root, 'b');
  const a = new SqliteEventStore({ file: path.join(dirA, 'events.db') });
  const b = new SqliteEventStore({ file: path.join(dirB, 'events.db') });
  const ev = (id: string, h: number, zones: string[]) =>
    makeEvent({ id, startTs: now - h * hour - 1000, lastTs: now - h * hour, zones });
  // Both hold "shared"; each has events of its own in the same hours and cameras.
  await a.upsertEvents([ev('shared', 5, ['gate']), ev('a-1', 5, ['gate']), ev('a-2', 30, ['road'])]);
  await b.upsertEvents([ev('shared', 5, ['gate']), ev('b-1', 5, ['door']), ev('b-2', 30, [])]);
  await a.dispose();
  await b.dispose();

  const target = new FolderTarget(path.join(root, 'target'));
  await runBackup({ dataDir: dirA, target, jobId: 'nightly', targetId: 'folder' });
  const [id] = fs.readdirSync(path.join(root, 'target', 'backups')).map((f) => f.replace(/\.json$/, ''));
  const report = await restoreBackup(target, id as string, dirB, {
    fullTextRebuild: eventStoreFullTextRebuild,
    recordings: false,
  });
  expect(report.ok, report.message).toBe(true);
  expect(report.mergedDatabases).toEqual(['events.db']);

  const merged = new SqliteEventStore({ file: path.join(dirB, 'events.db') });
  const input = { from: now - 3 * 24 * hour, to: now + 60_000 };
  const counted = await merged.facets(parseEventQuery(input, now));
  expect(counted).toEqual(await merged.facets(parseEventQuery({ ...input, minScore: '0' }, now)));
  expect(counted).toEqual({
    labels: { person: 5 },
    cameras: { 'cam-a': 5 },
    zones: { gate: 2, door: 1, road: 1 },
  });
  expect(await merged.histogram(parseEventQuery(input, now))).toEqual(
    await merged.histogram(parseEventQuery({ ...input, minScore: '0' }, now)),
  );
  await merged.dispose();
});

it('a backup from schema 4 (counters kept by triggers) merged into a newer installation brings no trigger back, and counts stay right', async () => {
  const now = Date.now();
  const hour = 3_600_000;
  const dirA = path.join(root, 'v4');
  const dirB = path.join(root, 'current');
  fs.mkdirSync(dirA, { recursive: true });
  const old = new Database(path.join(dirA, 'events.db'));
  migrate(old, path.join(dirA, 'events.db'), 4);
  const insert = old.prepare(
    `INSERT INTO events (rid, id, camera_id, camera_name, label, phase, start_ts, last_ts, top_score, box, zones, path, updated_ts)
     VALUES (?, ?, 'cam-a', 'cam-a', 'car', 'end', ?, ?, 0.8, '[0,0,1,1]', ?, '[]', 0)`,
  );
  insert.run(1, 'old-1', now - 5 * hour, now - 5 * hour, '["road"]');
  insert.run(2, 'old-2', now - 30 * hour, now - 30 * hour, '[]');
  old.prepare(`INSERT INTO event_zones (zone, event_rid) VALUES ('road', 1)`).run();
  old.close();
  const b = new SqliteEventStore({ file: path.join(dirB, 'events.db') });
  await b.upsertEvents([
    makeEvent({
      id: 'new-1',
      label: 'car',
      startTs: now - 5 * hour,
      lastTs: now - 5 * hour,
      zones: ['road'],
    }),
  ]);
  await b.dispose();

  const target = new FolderTarget(path.join(root, 'target-v4'));
  const backup = await runBackup({ dataDir: dirA, target, jobId: 'nightly', targetId: 'folder' });
  const report = await restoreBackup(target, backup.backupId as string, dirB, {
    fullTextRebuild: eventStoreFullTextRebuild,
    recordings: false,
  });
  expect(report.ok, report.message).toBe(true);

  const merged = new SqliteEventStore({ file: path.join(dirB, 'events.db') });
  expect(
    merged.db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'event_%'").all(),
  ).toEqual([]);
  // Written after the restore: counted once, by the store.
  await merged.upsertEvents([
    makeEvent({
      id: 'new-2',
      label: 'car',
      startTs: now - 5 * hour,
      lastTs: now - 5 * hour,
      zones: ['road'],
    }),
  ]);
  const input = { from: now - 3 * 24 * hour, to: now + 60_000 };
  const counted = await merged.facets(parseEventQuery(input, now));
  expect(counted).toEqual(await merged.facets(parseEventQuery({ ...input, minScore: '0' }, now)));
  expect(counted).toEqual({ labels: { car: 4 }, cameras: { 'cam-a': 4 }, zones: { road: 3 } });
  await merged.dispose();
});
