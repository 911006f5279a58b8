import type { ConnectionOptions } from 'node:tls';
import crypto from 'node:crypto';
import { Redis } from 'ioredis';
import type { IncidentStore } from '../contract/incidents.js';
import type { VigilEvent } from '../contract/events.js';
import type {
  EventDetail,
  EventFacetsResponse,
  EventHistogramResponse,
  EventSearchResponse,
  LiveStatsResponse,
} from '../contract/events-api.js';
import {
  HOUR_MS,
  MINUTE_MS,
  type AlertStore,
  type AnnotationStore,
  type EventQuery,
  type EventStore,
  type SavedSearchStore,
  type UpsertResult,
} from '../contract/store.js';
import type { ServiceHealth } from '../platform/lifecycle.js';
import { createLogger } from '../platform/log.js';
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

/** Counters of cache use, for tests and health. */
export interface CacheStats {
  hits: number;
  misses: number;
  /** Times Redis went away. */
  outages: number;
}

const LIVE_TTL_SECONDS = 2 * 3600;
const SEP = '\u001f';

/**
 * An EventStore with a Redis cache in front: hot query answers (latest events per camera, facets, histograms),
 * and live per-minute counters. Every write invalidates the answers it could change (a generation number per
 * camera and one for all cameras is part of each cache key). If Redis goes away, everything is answered by the
 * underlying store, the outage is logged once, and ioredis reconnects by itself; on reconnection, a new cache
 * epoch discards whatever might have gone stale meanwhile and the current minute's counters are rebuilt.
 */
export class CachedEventStore implements EventStore {
  readonly kind: string;
  readonly stats: CacheStats = { hits: 0, misses: 0, outages: 0 };
  readonly redis: Redis;
  readonly #log = createLogger('store.cache');
  /** Not cached: alerts and incidents change with every acknowledgement and are read by few. */
  readonly alerts: AlertStore;
  readonly incidents: IncidentStore;
  readonly savedSearches: SavedSearchStore;
  /** A note, tag or retain flag changes what searches answer: each change invalidates the event's camera. */
  readonly annotations: AnnotationStore;
  readonly #prefix: string;
  readonly #ttl: number;
  /** False until the cache epoch has been renewed after (re)connecting, or after a failed invalidation. */
  #trusted = false;
  #down = false;

  constructor(
    readonly inner: EventStore,
    options: RedisCacheOptions,
  ) {
    this.kind = `${inner.kind}+redis`;
    this.alerts = inner.alerts;
    this.incidents = inner.incidents;
    this.savedSearches = inner.savedSearches;
    this.annotations = {
      updateEvent: async (id, patch, actor, now) => {
        const out = await inner.annotations.updateEvent(id, patch, actor, now);
        if (out) await this.#invalidate([out.cameraId]);
        return out;
      },
    };
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

  /** Whether answers currently come from the cache. */
  get available(): boolean {
    return this.#trusted && this.redis.status === 'ready';
  }

  /** Resolves once the cache is usable (tests). */
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
    const live = await this.inner.liveStats();
    const key = this.#key('live', String(live.minuteTs));
    const fields: string[] = [];
    for (const [cam, labels] of Object.entries(live.perCamera))
      for (const [label, n] of Object.entries(labels)) fields.push(cam + SEP + label, String(n));
    const tx = this.redis.multi().del(key);
    if (fields.length) tx.hset(key, ...fields).expire(key, LIVE_TTL_SECONDS);
    await tx.exec();
  }

  /** Invalidates cached answers for these cameras (and for all-camera queries). */
  async #invalidate(cameraIds: Iterable<string>): Promise<void> {
    if (this.redis.status !== 'ready') {
      this.#trusted = false;
      return;
    }
    try {
      const tx = this.redis.multi().incr(this.#key('gen', 'all'));
      for (const c of new Set(cameraIds)) tx.incr(this.#key('gen', 'cam', c));
      await tx.exec();
    } catch (err) {
      // An invalidation that may not have happened: stop trusting the cache until a new epoch.
      this.#trusted = false;
      this.#log.debug({ err }, 'cache invalidation failed');
      if (this.redis.status === 'ready') void this.#onReady();
    }
  }

  /** Runs `compute` through the cache: the key covers the query, the cameras' generations and the epoch. */
  async #cached<T>(kind: string, q: EventQuery, compute: () => Promise<T>): Promise<T> {
    if (!this.available) {
      storeMetrics.cache.inc({ result: 'bypass' });
      this.stats.misses++;
      return compute();
    }
    let key: string;
    try {
      const genKeys = q.cameras.length
        ? q.cameras.map((c) => this.#key('gen', 'cam', c))
        : [this.#key('gen', 'all')];
      const gens = await this.redis.mget(this.#key('epoch'), ...genKeys);
      key = this.#key(
        'q',
        kind,
        crypto
          .createHash('sha1')
          .update(JSON.stringify([gens, q]))
          .digest('base64url'),
      );
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

  async upsertEvents(events: readonly VigilEvent[]): Promise<UpsertResult> {
    const result = await this.inner.upsertEvents(events);
    await this.#invalidate(events.map((e) => e.cameraId));
    if (result.created.length && this.redis.status === 'ready') {
      const created = new Set(result.created);
      const tx = this.redis.multi();
      const recent = Date.now() - HOUR_MS;
      const keys = new Set<string>();
      for (const e of events) {
        if (!created.has(e.id) || e.startTs < recent) continue;
        created.delete(e.id);
        const key = this.#key('live', String(Math.floor(e.startTs / MINUTE_MS) * MINUTE_MS));
        tx.hincrby(key, e.cameraId + SEP + e.label, 1);
        keys.add(key);
      }
      for (const k of keys) tx.expire(k, LIVE_TTL_SECONDS);
      await tx.exec().catch(() => {
        this.#trusted = false;
      });
    }
    return result;
  }

  getEvent(id: string): Promise<EventDetail | undefined> {
    return this.inner.getEvent(id);
  }

  search(q: EventQuery): Promise<EventSearchResponse> {
    return this.#cached('search', q, () => this.inner.search(q));
  }

  facets(q: EventQuery): Promise<EventFacetsResponse> {
    return this.#cached('facets', q, () => this.inner.facets(q));
  }

  histogram(q: EventQuery): Promise<EventHistogramResponse> {
    return this.#cached('histogram', q, () => this.inner.histogram(q));
  }

  readSnapshot(id: string, kind: 'crop' | 'frame'): Promise<Uint8Array | undefined> {
    return this.inner.readSnapshot(id, kind);
  }

  /** Live counters from Redis (one HGETALL); from the database while Redis is away. */
  async liveStats(now = Date.now()): Promise<LiveStatsResponse> {
    if (!this.available) return this.inner.liveStats(now);
    const minuteTs = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    try {
      const raw = await this.redis.hgetall(this.#key('live', String(minuteTs)));
      const perCamera: Record<string, Record<string, number>> = {};
      let total = 0;
      for (const [field, value] of Object.entries(raw)) {
        const [cam = '', label = ''] = field.split(SEP);
        const n = Number(value);
        (perCamera[cam] ??= {})[label] = n;
        total += n;
      }
      return { minuteTs, total, perCamera, source: 'cache' };
    } catch {
      return this.inner.liveStats(now);
    }
  }

  health(): ServiceHealth {
    return this.available
      ? { status: 'ok' }
      : { status: 'degraded', detail: 'Redis cache unavailable; answering from the event database' };
  }

  async dispose(): Promise<void> {
    this.redis.removeAllListeners();
    this.redis.on('error', () => {});
    this.redis.disconnect(false);
    await this.inner.dispose();
  }
}
