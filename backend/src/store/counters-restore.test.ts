import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { restoreBackup, runBackup } from '../backup/engine.js';
import { eventStoreFullTextRebuild } from '../backup/event-store-fulltext.js';
import { FolderTarget } from '../backup/targets/folder.js';
import { parseEventQuery } from '../contract/store.js';
import { makeEvent } from './contract-suite.js';
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
