import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEventQuery } from '../contract/store.js';
import { makeEvent } from '../../../test/contracts/event-store.js';
import { SqliteEventStore } from '../store/sqlite-store.js';
import { restoreBackup, runBackup } from './engine.js';
import { eventStoreFullTextRebuild } from './event-store-fulltext.js';
import { FolderTarget } from './targets/folder.js';

const temps: string[] = [];
const tmp = (prefix: string): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(d);
  return d;
};
afterAll(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

describe('free text of events merged by a restore', () => {
  it('finds restored events by their tags and notes in an installation that already had events', async () => {
    const siteA = tmp('vigil-fts-a-');
    const a = new SqliteEventStore({ file: path.join(siteA, 'events.db') });
    await a.upsertEvents([makeEvent({ id: 'ev-a', zones: ['loading-dock'] })]);
    await a.annotations.updateEvent('ev-a', { tags: ['evidence'], note: 'red jacket near the gate' }, 'ops');
    await a.dispose();
    const target = new FolderTarget(tmp('vigil-fts-target-'));
    const r = await runBackup({ dataDir: siteA, target, jobId: 'j', targetId: 't' });
    expect(r.state, r.errors.join('; ')).toBe('succeeded');

    // The other installation already holds an event, so the restore merges row by row.
    const siteB = tmp('vigil-fts-b-');
    const b0 = new SqliteEventStore({ file: path.join(siteB, 'events.db') });
    await b0.upsertEvents([makeEvent({ id: 'ev-b' })]);
    await b0.dispose();
    const restored = await restoreBackup(target, r.backupId as string, siteB, {
      fullTextRebuild: eventStoreFullTextRebuild,
    });
    expect(restored.mergedDatabases).toEqual(['events.db']);

    const b = new SqliteEventStore({ file: path.join(siteB, 'events.db') });
    const find = async (q: string) =>
      (await b.search(parseEventQuery({ from: '0', to: String(Date.now() + 60_000), q }))).items.map(
        (i) => i.id,
      );
    expect(await find('jacket')).toEqual(['ev-a']);
    expect(await find('evidence')).toEqual(['ev-a']);
    expect(await find('loading')).toEqual(['ev-a']);
    expect((await find('person')).sort()).toEqual(['ev-a', 'ev-b']);
    await b.dispose();
  });
});
