import type { CacheStats, EventCache } from '../contract/cache.js';
import type { IncidentStore } from '../contract/incidents.js';
import type { VigilEvent } from '../contract/events.js';
import type {
  EventDetail,
  EventFacetsResponse,
  EventHistogramResponse,
  EventSearchResponse,
  LiveStatsResponse,
} from '../contract/events-api.js';
import type {
  AlertStore,
  AnnotationStore,
  EventQuery,
  EventStore,
  SavedSearchStore,
  UpsertResult,
} from '../contract/store.js';
import type { ServiceHealth } from '../platform/lifecycle.js';
import { RedisEventCache, type RedisCacheOptions } from './redis-cache.js';

export type { RedisCacheOptions } from './redis-cache.js';
export type { CacheStats } from '../contract/cache.js';

/**
 * An EventStore with a cache (`EventCache`: Redis, or memory) in front of its search: hot query answers (latest
 * events per camera, facets, histograms) and live per-minute counters. Every write that changes what a search
 * answers (events, annotations) invalidates the cameras it touched. Alerts, incidents and saved searches are not
 * cached: they are the inner store's own parts. While the cache cannot answer, the inner store answers.
 */
export class CachedEventStore implements EventStore {
  readonly kind: string;
  readonly cache: EventCache;
  /** Not cached: alerts and incidents change with every acknowledgement and are read by few. */
  readonly alerts: AlertStore;
  readonly incidents: IncidentStore;
  readonly savedSearches: SavedSearchStore;
  /** A note, tag or retain flag changes what searches answer: each change invalidates the event's camera. */
  readonly annotations: AnnotationStore;

  /** `cache`: an EventCache, or the options of a Redis one. */
  constructor(
    readonly inner: EventStore,
    cache: EventCache | RedisCacheOptions,
  ) {
    this.cache = 'answer' in cache ? cache : new RedisEventCache(cache);
    this.cache.useLiveSource(() => inner.liveStats());
    this.kind = `${inner.kind}+${this.cache.kind}`;
    this.alerts = inner.alerts;
    this.incidents = inner.incidents;
    this.savedSearches = inner.savedSearches;
    this.annotations = {
      updateEvent: async (id, patch, actor, now) => {
        const out = await inner.annotations.updateEvent(id, patch, actor, now);
        if (out) await this.cache.invalidate([out.cameraId]);
        return out;
      },
    };
  }

  get stats(): CacheStats {
    return this.cache.stats;
  }

  /** Whether answers currently come from the cache. */
  get available(): boolean {
    return this.cache.available;
  }

  /** Resolves once the cache is usable (tests). */
  ready(timeoutMs?: number): Promise<void> {
    return this.cache.ready(timeoutMs);
  }

  async upsertEvents(events: readonly VigilEvent[]): Promise<UpsertResult> {
    const result = await this.inner.upsertEvents(events);
    await this.cache.invalidate(events.map((e) => e.cameraId));
    if (result.created.length) {
      // Each created event once, even when the batch carries several messages of it.
      const created = new Set(result.created);
      await this.cache.countLive(events.filter((e) => created.delete(e.id)));
    }
    return result;
  }

  getEvent(id: string): Promise<EventDetail | undefined> {
    return this.inner.getEvent(id);
  }

  search(q: EventQuery): Promise<EventSearchResponse> {
    return this.cache.answer('search', q, () => this.inner.search(q));
  }

  facets(q: EventQuery): Promise<EventFacetsResponse> {
    return this.cache.answer('facets', q, () => this.inner.facets(q));
  }

  histogram(q: EventQuery): Promise<EventHistogramResponse> {
    return this.cache.answer('histogram', q, () => this.inner.histogram(q));
  }

  readSnapshot(id: string, kind: 'crop' | 'frame'): Promise<Uint8Array | undefined> {
    return this.inner.readSnapshot(id, kind);
  }

  /** Live counters from the cache; from the database while the cache cannot answer. */
  async liveStats(now = Date.now()): Promise<LiveStatsResponse> {
    return (await this.cache.liveStats(now)) ?? this.inner.liveStats(now);
  }

  health(): ServiceHealth {
    if (this.available) return { status: 'ok' };
    const name = this.cache.kind === 'redis' ? 'Redis cache' : 'Cache';
    return { status: 'degraded', detail: `${name} unavailable; answering from the event database` };
  }

  async dispose(): Promise<void> {
    await this.cache.dispose();
    await this.inner.dispose();
  }
}
