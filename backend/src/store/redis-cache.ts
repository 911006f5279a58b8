import type { ConnectionOptions } from 'node:tls';
import { Redis } from 'ioredis';
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

export interface RedisCacheOptions {
  url: string;
  username?: string;
  password?: string;
  /** TLS options for a rediss:// URL (CA, client certificate). */
  tls?: ConnectionOptions;
  /** Prefix of every key ("vigil:"). */
  keyPrefix?: string;
  /** Longest life of a cached answer, in seconds. */
  ttlSeconds?: number;
  /** Longest wait for one Redis command before the database answers instead, in ms. */
  commandTimeoutMs?: number;
}

/**
 * The event cache in Redis, shared by every api instance. A generation number per camera and one for all cameras
 * is part of each answer's key, so an invalidation is one INCR per camera. If Redis goes away, `available` turns
 * false, the outage is logged once, and ioredis reconnects by itself; on reconnection, a new cache epoch discards
 * whatever might have gone stale meanwhile and the current minute's live counters are rebuilt.
 */
export class RedisEventCache implements EventCache {
  readonly kind = 'redis';
  readonly stats: CacheStats = { hits: 0, misses: 0, outages: 0 };
  readonly redis: Redis;
  readonly #log = createLogger('store.cache');
  readonly #prefix: string;
  readonly #ttl: number;
  /** False until the cache epoch has been renewed after (re)connecting, or after a failed invalidation. */
  #trusted = false;
  #down = false;
  #liveSource: (() => Promise<LiveStatsResponse>) | undefined;

  constructor(options: RedisCacheOptions) {
    this.#prefix = `${options.keyPrefix ?? 'vigil:'}store:`;
    this.#ttl = options.ttlSeconds ?? 30;
    this.redis = new Redis(options.url, {
      ...(options.username ? { username: options.username } : {}),
      ...(options.password ? { password: options.password } : {}),
      ...(options.tls ? { tls: options.tls } : {}),
      // Without a connection, commands fail at once and the database answers: nothing queues up.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 500,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
      lazyConnect: false,
    });
    this.redis.on('error', (err: Error) => this.#markDown(err));
    this.redis.on('end', () => this.#markDown());
    this.redis.on('ready', () => void this.#onReady());
  }

  useLiveSource(source: () => Promise<LiveStatsResponse>): void {
    this.#liveSource = source;
    if (this.available) void this.#onReady();
  }

  #markDown(err?: Error): void {
    this.#trusted = false;
    if (this.#down) return;
    this.#down = true;
    this.stats.outages++;
    this.#log.warn(
      { err: err?.message },
      'Redis cache unavailable: answering from the event database and reconnecting in the background',
    );
  }

  async #onReady(): Promise<void> {
    try {
      await this.redis.incr(this.#key('epoch'));
      await this.#rebuildLiveCounters();
      if (this.#down) this.#log.info('Redis cache is back: cached answers resume');
      this.#down = false;
      this.#trusted = true;
    } catch (err) {
      this.#markDown(err instanceof Error ? err : undefined);
    }
  }

  get available(): boolean {
    return this.#trusted && this.redis.status === 'ready';
  }

  async ready(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.available) {
      if (Date.now() > deadline) throw new Error('Redis cache did not become available');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  #key(...parts: string[]): string {
    return this.#prefix + parts.join(':');
  }

  async #rebuildLiveCounters(): Promise<void> {
    if (!this.#liveSource) return;
    const live = await this.#liveSource();
    const key = this.#key('live', String(live.minuteTs));
    const fields = liveFields(live).flatMap(([field, n]) => [field, String(n)]);
    const tx = this.redis.multi().del(key);
    if (fields.length) tx.hset(key, ...fields).expire(key, LIVE_TTL_SECONDS);
    await tx.exec();
  }

  async invalidate(cameraIds: Iterable<string>): Promise<void> {
    if (this.redis.status !== 'ready') {
      this.#trusted = false;
      return;
    }
    try {
      const tx = this.redis.multi();
      for (const scope of invalidatedScopes(cameraIds)) tx.incr(this.#key('gen', scope));
      await tx.exec();
    } catch (err) {
      // An invalidation that may not have happened: stop trusting the cache until a new epoch.
      this.#trusted = false;
      this.#log.debug({ err }, 'cache invalidation failed');
      if (this.redis.status === 'ready') void this.#onReady();
    }
  }

  async answer<T>(kind: string, q: EventQuery, compute: () => Promise<T>): Promise<T> {
    if (!this.available) {
      storeMetrics.cache.inc({ result: 'bypass' });
      this.stats.misses++;
      return compute();
    }
    let key: string;
    try {
      const genKeys = generationScopes(q).map((scope) => this.#key('gen', scope));
      const gens = await this.redis.mget(this.#key('epoch'), ...genKeys);
      key = this.#key('q', answerKey(kind, gens, q));
      const hit = await this.redis.get(key);
      if (hit !== null) {
        this.stats.hits++;
        storeMetrics.cache.inc({ result: 'hit' });
        return JSON.parse(hit) as T;
      }
    } catch {
      this.stats.misses++;
      storeMetrics.cache.inc({ result: 'error' });
      return compute();
    }
    this.stats.misses++;
    storeMetrics.cache.inc({ result: 'miss' });
    const value = await compute();
    this.redis.set(key, JSON.stringify(value), 'EX', this.#ttl).catch(() => {});
    return value;
  }

  async countLive(events: readonly LiveCountedEvent[], now = Date.now()): Promise<void> {
    const increments = liveIncrements(events, now);
    if (!increments.length || this.redis.status !== 'ready') return;
    const tx = this.redis.multi();
    const keys = new Set<string>();
    for (const { minuteTs, field } of increments) {
      const key = this.#key('live', String(minuteTs));
      tx.hincrby(key, field, 1);
      keys.add(key);
    }
    for (const k of keys) tx.expire(k, LIVE_TTL_SECONDS);
    await tx.exec().catch(() => {
      this.#trusted = false;
    });
  }

  async liveStats(now: number): Promise<LiveStatsResponse | undefined> {
    if (!this.available) return undefined;
    const minuteTs = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    try {
      const raw = await this.redis.hgetall(this.#key('live', String(minuteTs)));
      return liveStatsFrom(
        minuteTs,
        Object.entries(raw).map(([field, n]): [string, number] => [field, Number(n)]),
      );
    } catch {
      return undefined;
    }
  }

  async dispose(): Promise<void> {
    this.redis.removeAllListeners();
    this.redis.on('error', () => {});
    this.redis.disconnect(false);
  }
}
