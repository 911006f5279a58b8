import type { VigilConfig } from '../contract/config.js';
import type { SharedRedisOptions } from '../api/shared-redis.js';
import type { RedisCacheOptions } from '../store/cached-store.js';
import { readSecret, tlsOptions } from '../platform/secrets.js';

/**
 * The cache contract of a deployment: undefined for the embedded one (in-memory caches and counters, state kept in
 * the process), else the cluster's shared Redis (`cluster.redis`), which every role of a cluster uses for what
 * several instances must agree on: sessions and people, the hot-query cache, alert fan-out, the site's alert
 * settings, which windows are open, and the lock that lets one events instance escalate an incident level.
 */
export interface SharedCache {
  /** The connection of the shared Redis, credentials read from the environment. */
  readonly redis: SharedRedisOptions;
  /** The event-store cache on it: writes through it invalidate what the api instances cached. */
  readonly eventStore: RedisCacheOptions;
}

/** The cache factory: the cluster's shared Redis from `cluster.redis`, or undefined when `cluster.redis.url` is unset. */
export function createCache(
  config: VigilConfig,
  env: NodeJS.ProcessEnv = process.env,
): SharedCache | undefined {
  const { redis } = config.cluster;
  if (!redis.url) return undefined;
  const username = readSecret('cluster.redis.usernameEnv', redis.usernameEnv, env);
  const password = readSecret('cluster.redis.passwordEnv', redis.passwordEnv, env);
  // ioredis connects with TLS for a rediss:// URL; the files add a private CA or a client certificate.
  const tls = redis.url.startsWith('rediss://')
    ? (tlsOptions('cluster.redis.tls', redis.tls) ?? {})
    : undefined;
  const shared: SharedRedisOptions = {
    url: redis.url,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(tls ? { tls } : {}),
    keyPrefix: config.store.cache.keyPrefix,
  };
  return { redis: shared, eventStore: { ...shared, ttlSeconds: config.store.cache.ttlSeconds } };
}
