import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  REDIS_INSTALL_HINT,
  redisServerInstalled,
  spawnRedis,
  type RedisHandle,
} from '../../../test/fixtures/redis.js';
import { skipWithout } from '../../../test/fixtures/require.js';
import { HOUR_MS, MINUTE_MS, parseEventQuery, type EventQueryInput } from '../contract/store.js';
import { CachedEventStore } from './cached-store.js';
import { MemoryEventCache } from './memory-cache.js';
import { makeEvent, runEventStoreContractSuite } from '../../../test/contracts/event-store.js';
import { SqliteEventStore } from './sqlite-store.js';

let n = 0;
// The cached store is an event store like any other: the whole contract holds through the in-memory cache.
runEventStoreContractSuite('sqlite behind the in-memory cache', async ({ cameraNames }) => {
  const store = new CachedEventStore(
    new SqliteEventStore({
      file: path.join(dir, `contract-${++n}`, 'events.db'),
      cameraName: (id) => cameraNames[id],
    }),
    new MemoryEventCache(),
  );
  await store.ready();
  return store;
});

const skip = skipWithout('redis-server', redisServerInstalled(), REDIS_INSTALL_HINT);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-cache-'));
let redis: RedisHandle;
let sqlite: SqliteEventStore;
let cached: CachedEventStore;

const queries: EventQueryInput[] = [
  {},
  { cameras: 'cam-1' },
  { cameras: 'cam-2,cam-3', labels: 'car' },
  { zones: 'gate', minScore: '0.5' },
  { q: 'dock', sort: 'oldest', limit: '10' },
];

/** Compares every query; `now` fixes the default time range, so repeated calls ask the very same queries. */
async function sameAnswers(now: number): Promise<void> {
  for (const input of queries) {
    const q = parseEventQuery(input, now);
    expect(await cached.search(q)).toEqual(await sqlite.search(q));
    expect(await cached.facets(q)).toEqual(await sqlite.facets(q));
    expect(await cached.histogram(q)).toEqual(await sqlite.histogram(q));
  }
}

beforeAll(async () => {
  if (skip) return;
  redis = await spawnRedis();
  sqlite = new SqliteEventStore({
    file: path.join(dir, 'events.db'),
    cameraName: (id) => (id === 'cam-1' ? 'Loading dock' : undefined),
  });
  const now = Date.now();
  const labels = ['person', 'person', 'car', 'bicycle'];
  await sqlite.upsertEvents(
    Array.from({ length: 300 }, (_, i) =>
      makeEvent({
        id: `c${i}`,
        cameraId: `cam-${i % 4}`,
        label: labels[i % 4] as string,
        startTs: now - 20 * HOUR_MS + i * 4 * MINUTE_MS,
        zones: i % 3 === 0 ? ['gate'] : [],
        topScore: 0.3 + (i % 7) / 10,
      }),
    ),
  );
  cached = new CachedEventStore(sqlite, { url: redis.url, keyPrefix: `vigil-test-${process.pid}:` });
  await cached.ready();
});

afterAll(async () => {
  await cached?.dispose();
  await redis?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(skip)('Redis-cached event store (real redis-server)', () => {
  it('answers from the cache exactly what the database answers, and invalidates on write', async () => {
    const now = Date.now();
    await sameAnswers(now);
    const hitsBefore = cached.stats.hits;
    await sameAnswers(now);
    expect(cached.stats.hits - hitsBefore).toBe(queries.length * 3);

    // A write makes cached answers for that camera (and all-camera answers) stale: they must not be served.
    const q = parseEventQuery({ cameras: 'cam-1' });
    const before = await cached.search(q);
    await cached.upsertEvents([makeEvent({ id: 'fresh', cameraId: 'cam-1', startTs: Date.now() - 1000 })]);
    const after = await cached.search(q);
    expect(after.items[0]?.id).toBe('fresh');
    expect(after.total).toBe((before.total ?? 0) + 1);
    await cached.annotations.updateEvent('c297', { tags: ['urgent'] }, 'alice');
    expect((await cached.search(q)).items.find((i) => i.id === 'c297')?.tags).toEqual(['urgent']);
    await sameAnswers(Date.now());
  });

  it('counts live events per camera and label in Redis; a redelivery is not counted twice', async () => {
    const now = Date.now();
    const e1 = makeEvent({ id: 'live-1', cameraId: 'cam-9', startTs: now });
    const e2 = makeEvent({ id: 'live-2', cameraId: 'cam-9', label: 'car', startTs: now });
    await cached.upsertEvents([e1, e2]);
    await cached.upsertEvents([{ ...e1, phase: 'update', lastTs: now + 10 }]);
    const live = await cached.liveStats(now);
    expect(live.source).toBe('cache');
    expect(live.perCamera['cam-9']).toEqual({ person: 1, car: 1 });
    const { source: _s, ...fromCache } = live;
    const { source: _d, ...fromDb } = await sqlite.liveStats(now);
    expect(fromCache).toEqual(fromDb);
    const t0 = performance.now();
    for (let i = 0; i < 50; i++) await cached.liveStats(now);
    expect((performance.now() - t0) / 50).toBeLessThan(20);
  });

  it('keeps answering from the database while Redis is down, logs it once, and uses Redis again once it is back', async () => {
    await redis.stop();
    const outages = cached.stats.outages;
    const t0 = performance.now();
    await sameAnswers(Date.now());
    await sameAnswers(Date.now());
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(cached.available).toBe(false);
    expect(cached.stats.outages - outages).toBeLessThanOrEqual(1);
    // Writes while Redis is away still land, and are visible.
    await cached.upsertEvents([
      makeEvent({ id: 'during-outage', cameraId: 'cam-1', startTs: Date.now() - 500 }),
    ]);
    expect((await cached.search(parseEventQuery({ cameras: 'cam-1' }))).items[0]?.id).toBe('during-outage');
    expect((await cached.liveStats()).source).toBe('store');

    await redis.restart();
    await cached.ready(15_000);
    // Nothing stale survives the outage: answers equal the database's, then come from the cache again.
    const now = Date.now();
    await sameAnswers(now);
    const hits = cached.stats.hits;
    await sameAnswers(now);
    expect(cached.stats.hits - hits).toBe(queries.length * 3);
    expect((await cached.search(parseEventQuery({ cameras: 'cam-1' }))).items[0]?.id).toBe('during-outage');
    const live = await cached.liveStats();
    expect(live.source).toBe('cache');
    expect(live.total).toBe((await sqlite.liveStats()).total);
  });
});
