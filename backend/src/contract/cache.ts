import type { LiveStatsResponse } from './events-api.js';
import type { EventQuery } from './store.js';

/** Counters of cache use, for tests and health. */
export interface CacheStats {
  hits: number;
  misses: number;
  /** Times the cache went away. */
  outages: number;
}

/** An event the live counters count: the minute it started in, its camera and label. */
export interface LiveCountedEvent {
  cameraId: string;
  label: string;
  startTs: number;
}

/**
 * The cache in front of an event store's search (`EventSearchStore`): answers to searches, facets and histograms,
 * and live per-minute counters of new events. In memory (one process) or in Redis (shared by every api instance of
 * a cluster). The same contract suite checks both.
 *
 * - An answer is kept until a camera its query covers is invalidated (a query over all cameras is covered by every
 *   camera), or its time to live passes; a stale answer is never served.
 * - A cache that cannot answer (away, or not trusted after an invalidation that may have failed) says so through
 *   `available`, and `answer` then computes every answer: nothing waits for it.
 * - Live counters count each event once, in the minute it started; events older than an hour are not counted.
 *   They are rebuilt from the store's own count at start and after the cache was away.
 */
export interface EventCache {
  readonly kind: 'memory' | 'redis';
  /** Whether answers currently come from the cache. */
  readonly available: boolean;
  readonly stats: CacheStats;
  /** Resolves once the cache answers (connected, live counters rebuilt); rejects after `timeoutMs`. */
  ready(timeoutMs?: number): Promise<void>;
  /** Where live counters are rebuilt from: the store's count of the current minute. */
  useLiveSource(source: () => Promise<LiveStatsResponse>): void;
  /** The cached answer of `kind` to `query`, or `compute`'s, which is then kept for later askers. */
  answer<T>(kind: string, query: EventQuery, compute: () => Promise<T>): Promise<T>;
  /** Makes stale every answer about these cameras, and every answer over all cameras. */
  invalidate(cameraIds: Iterable<string>): Promise<void>;
  /** Counts events stored for the first time (each once) in the live counters. */
  countLive(events: readonly LiveCountedEvent[], now?: number): Promise<void>;
  /** Live counters of the minute containing `now` (source "cache"), or undefined when the cache cannot answer. */
  liveStats(now: number): Promise<LiveStatsResponse | undefined>;
  dispose(): Promise<void>;
}
