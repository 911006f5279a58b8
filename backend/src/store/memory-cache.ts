import type { CacheStats, EventCache, LiveCountedEvent } from '../contract/cache.js';
import type { LiveStatsResponse } from '../contract/events-api.js';
import { MINUTE_MS, type EventQuery } from '../contract/store.js';
import { createLogger } from '../platform/log.js';
import {
  answerKey,
  generationScopes,
  invalidatedScopes,
  LIVE_TTL_SECONDS,
  liveFields,
  liveIncrements,
  liveStatsFrom,
} from './cache-keys.js';
import { storeMetrics } from './metrics.js';

export interface MemoryCacheOptions {
  /** Longest life of a cached answer, in seconds. */
  ttlSeconds?: number;
  /** Most answers kept; the oldest goes first. */
  maxAnswers?: number;
}

/**
 * The event cache in this process's memory: the same generations and live counters as the Redis cache, for one
 * process. Answers are kept as JSON text, as Redis keeps them, so no caller can change a cached answer.
 */
export class MemoryEventCache implements EventCache {
  readonly kind = 'memory';
  readonly stats: CacheStats = { hits: 0, misses: 0, outages: 0 };
  readonly #log = createLogger('store.cache');
  readonly #ttlMs: number;
  readonly #maxAnswers: number;
  /** Insertion order is age order: the first entry is the oldest. */
  readonly #answers = new Map<string, { json: string; expiresTs: number }>();
  readonly #generations = new Map<string, number>();
  readonly #live = new Map<number, Map<string, number>>();
  #available = true;

  constructor(options: MemoryCacheOptions = {}) {
    this.#ttlMs = (options.ttlSeconds ?? 30) * 1000;
    this.#maxAnswers = options.maxAnswers ?? 1000;
  }

  get available(): boolean {
    return this.#available;
  }

  async ready(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#available) {
      if (Date.now() > deadline) throw new Error('memory cache did not become available');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  useLiveSource(source: () => Promise<LiveStatsResponse>): void {
    this.#available = false;
    void source()
      .then((live) => this.#live.set(live.minuteTs, new Map(liveFields(live))))
      .catch((err: unknown) =>
        this.#log.warn({ err: (err as Error).message }, 'live counters not rebuilt; they count from now'),
      )
      .finally(() => {
        this.#available = true;
      });
  }

  async answer<T>(kind: string, q: EventQuery, compute: () => Promise<T>): Promise<T> {
    if (!this.#available) {
      storeMetrics.cache.inc({ result: 'bypass' });
      this.stats.misses++;
      return compute();
    }
    const gens = generationScopes(q).map((scope) => this.#generations.get(scope) ?? 0);
    const key = answerKey(kind, gens, q);
    const hit = this.#answers.get(key);
    if (hit && hit.expiresTs > Date.now()) {
      this.stats.hits++;
      storeMetrics.cache.inc({ result: 'hit' });
      return JSON.parse(hit.json) as T;
    }
    if (hit) this.#answers.delete(key);
    this.stats.misses++;
    storeMetrics.cache.inc({ result: 'miss' });
    const value = await compute();
    this.#answers.set(key, { json: JSON.stringify(value), expiresTs: Date.now() + this.#ttlMs });
    for (const oldest of this.#answers.keys()) {
      if (this.#answers.size <= this.#maxAnswers) break;
      this.#answers.delete(oldest);
    }
    return value;
  }

  async invalidate(cameraIds: Iterable<string>): Promise<void> {
    for (const scope of invalidatedScopes(cameraIds))
      this.#generations.set(scope, (this.#generations.get(scope) ?? 0) + 1);
  }

  async countLive(events: readonly LiveCountedEvent[], now = Date.now()): Promise<void> {
    for (const { minuteTs, field } of liveIncrements(events, now)) {
      let minute = this.#live.get(minuteTs);
      if (!minute) this.#live.set(minuteTs, (minute = new Map()));
      minute.set(field, (minute.get(field) ?? 0) + 1);
    }
    const oldest = now - LIVE_TTL_SECONDS * 1000;
    for (const minuteTs of this.#live.keys()) if (minuteTs < oldest) this.#live.delete(minuteTs);
  }

  async liveStats(now: number): Promise<LiveStatsResponse | undefined> {
    if (!this.#available) return undefined;
    const minuteTs = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    return liveStatsFrom(minuteTs, this.#live.get(minuteTs) ?? []);
  }

  async dispose(): Promise<void> {
    this.#answers.clear();
    this.#live.clear();
  }
}
