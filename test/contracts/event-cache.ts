import { afterEach, describe, expect, it } from 'vitest';
import type { EventCache } from '../../backend/src/contract/cache.js';
import type { LiveStatsResponse } from '../../backend/src/contract/events-api.js';
import { HOUR_MS, MINUTE_MS, parseEventQuery } from '../../backend/src/contract/store.js';

/** Builds a fresh, empty cache whose answers live `ttlSeconds`; the suite disposes it after each test. */
export type EventCacheFactory = (options: { ttlSeconds: number }) => Promise<EventCache>;

/**
 * The behaviour every EventCache must have (memory, Redis). Call it from a test file with a factory; each cache it
 * builds must be empty (for Redis: its own key prefix).
 */
export function runEventCacheContractSuite(name: string, createCache: EventCacheFactory): void {
  describe(`event cache contract: ${name}`, () => {
    const caches: EventCache[] = [];
    const now = Date.UTC(2026, 5, 1, 12, 30, 20);
    const minuteTs = Date.UTC(2026, 5, 1, 12, 30);

    async function open(
      live: Partial<LiveStatsResponse> = {},
      ttlSeconds = 30,
      at = Date.now(),
    ): Promise<EventCache> {
      const cache = await createCache({ ttlSeconds });
      caches.push(cache);
      const minute = Math.floor(at / MINUTE_MS) * MINUTE_MS;
      cache.useLiveSource(async () => ({
        minuteTs: minute,
        total: 0,
        perCamera: {},
        source: 'store',
        ...live,
      }));
      await cache.ready(10_000);
      return cache;
    }

    /** An answer computed by counting calls, so a test sees whether the cache or `compute` answered. */
    function counter() {
      let calls = 0;
      return {
        get calls() {
          return calls;
        },
        compute: (value: unknown) => async () => {
          calls++;
          return value;
        },
      };
    }

    afterEach(async () => {
      for (const c of caches.splice(0)) await c.dispose();
    });

    it('answers a repeated query from the cache with what was computed the first time', async () => {
      const cache = await open();
      const q = parseEventQuery({ cameras: 'gate', labels: 'person' }, now);
      const c = counter();
      const answer = { items: [{ id: 'e1', tags: ['night'] }], total: 1 };
      expect(await cache.answer('search', q, c.compute(answer))).toEqual(answer);
      const hits = cache.stats.hits;
      expect(await cache.answer('search', q, c.compute({ items: [], total: 0 }))).toEqual(answer);
      expect(c.calls).toBe(1);
      expect(cache.stats.hits).toBe(hits + 1);
      // Another kind of answer, or another query, is its own entry.
      expect(await cache.answer('facets', q, c.compute({ labels: {} }))).toEqual({ labels: {} });
      const other = parseEventQuery({ cameras: 'gate', labels: 'car' }, now);
      expect(await cache.answer('search', other, c.compute({ items: [], total: 0 }))).toEqual({
        items: [],
        total: 0,
      });
      expect(c.calls).toBe(3);
    });

    it('never lets a caller change a cached answer', async () => {
      const cache = await open();
      const q = parseEventQuery({ cameras: 'gate' }, now);
      const first = await cache.answer('search', q, async () => ({ items: [{ id: 'e1' }], total: 1 }));
      first.items.push({ id: 'added by a caller' });
      const again = await cache.answer('search', q, async () => ({ items: [], total: 0 }));
      expect(again).toEqual({ items: [{ id: 'e1' }], total: 1 });
    });

    it("makes stale the answers about an invalidated camera and over all cameras, and keeps other cameras'", async () => {
      const cache = await open();
      const gate = parseEventQuery({ cameras: 'gate' }, now);
      const dock = parseEventQuery({ cameras: 'dock' }, now);
      const all = parseEventQuery({}, now);
      for (const q of [gate, dock, all]) await cache.answer('search', q, async () => 'before');
      await cache.invalidate(['gate']);
      expect(await cache.answer('search', gate, async () => 'after')).toBe('after');
      expect(await cache.answer('search', all, async () => 'after')).toBe('after');
      expect(await cache.answer('search', dock, async () => 'after')).toBe('before');
      // A query naming both cameras is stale when either changes.
      const both = parseEventQuery({ cameras: 'gate,dock' }, now);
      await cache.answer('search', both, async () => 'before');
      await cache.invalidate(['dock']);
      expect(await cache.answer('search', both, async () => 'after')).toBe('after');
    });

    it('forgets an answer once its time to live has passed', async () => {
      const cache = await open({}, 1);
      const q = parseEventQuery({ cameras: 'gate' }, now);
      await cache.answer('histogram', q, async () => 'old');
      expect(await cache.answer('histogram', q, async () => 'new')).toBe('old');
      await new Promise((r) => setTimeout(r, 2100));
      expect(await cache.answer('histogram', q, async () => 'new')).toBe('new');
    });

    it('counts new events per camera and label in the minute they started, not those over an hour old', async () => {
      const cache = await open({}, 30, now);
      await cache.countLive(
        [
          { cameraId: 'gate', label: 'person', startTs: now - 5_000 },
          { cameraId: 'gate', label: 'person', startTs: now - 1_000 },
          { cameraId: 'gate', label: 'car', startTs: now },
          { cameraId: 'dock', label: 'person', startTs: now },
          { cameraId: 'dock', label: 'person', startTs: now - MINUTE_MS },
          { cameraId: 'dock', label: 'person', startTs: now - HOUR_MS - MINUTE_MS },
        ],
        now,
      );
      expect(await cache.liveStats(now)).toEqual({
        minuteTs,
        total: 4,
        perCamera: { gate: { person: 2, car: 1 }, dock: { person: 1 } },
        source: 'cache',
      });
      expect((await cache.liveStats(now - MINUTE_MS))?.perCamera).toEqual({ dock: { person: 1 } });
      expect((await cache.liveStats(now - HOUR_MS - MINUTE_MS))?.total).toBe(0);
    });

    it("rebuilds the current minute's counters from the store's own count, then keeps counting", async () => {
      const at = Date.now();
      const cache = await open({ total: 3, perCamera: { gate: { person: 2, car: 1 } } }, 30, at);
      await cache.countLive([{ cameraId: 'gate', label: 'person', startTs: at }], at);
      const live = await cache.liveStats(at);
      expect(live?.perCamera).toEqual({ gate: { person: 3, car: 1 } });
      expect(live?.total).toBe(4);
    });
  });
}
