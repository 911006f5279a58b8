import http from 'node:http';
import { hostname } from 'node:os';
import client from 'prom-client';
import type { Bus } from '../contract/bus.js';
import type { VigilConfig } from '../contract/config.js';
import type { RuntimeReport } from '../platform/binaries.js';
import type { ServiceHost } from '../platform/lifecycle.js';
import type { SharedRedisOptions } from '../api/shared-redis.js';
import type { RedisCacheOptions } from '../store/cached-store.js';
import { KafkaBus } from '../bus/kafka-bus.js';
import { readSecret, tlsOptions } from '../platform/secrets.js';
import { createBus, ROLE_GROUPS } from './cluster-bus.js';

export { ROLE_GROUPS };

/** The separately deployable parts of the pipeline. Each can run as several instances. */
export const ROLE_NAMES = ['ingest', 'detect', 'events', 'api'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

export interface RoleOptions {
  config: VigilConfig;
  dataDir: string;
  runtime?: RuntimeReport;
  /** Session token (all api instances behind one load balancer share it). */
  token?: string;
  /** A bus to use instead of the configured one (tests, benchmarks). */
  bus?: Bus;
  env?: NodeJS.ProcessEnv;
}

/** A running role instance. */
export interface RunningRole {
  readonly role: RoleName;
  readonly bus: Bus;
  readonly services: ServiceHost;
  /** The HTTP address, for roles that serve one. */
  readonly url?: string;
  /** A fresh single-use login link, for roles that serve the UI. */
  loginUrl?(): Promise<string>;
  dispose(): Promise<void>;
}

/** The Redis shared by the roles (`cluster.redis`), the password from the environment; undefined when not set. */
export function sharedRedis(options: RoleOptions): SharedRedisOptions | undefined {
  const { redis } = options.config.cluster;
  if (!redis.url) return undefined;
  const username = readSecret('cluster.redis.usernameEnv', redis.usernameEnv, options.env);
  const password = readSecret('cluster.redis.passwordEnv', redis.passwordEnv, options.env);
  // ioredis connects with TLS for a rediss:// URL; the files add a private CA or a client certificate.
  const tls = redis.url.startsWith('rediss://')
    ? (tlsOptions('cluster.redis.tls', redis.tls) ?? {})
    : undefined;
  return {
    url: redis.url,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(tls ? { tls } : {}),
    keyPrefix: options.config.store.cache.keyPrefix,
  };
}

/**
 * The event-store cache on the shared Redis: the events role invalidates through it what the api instances have
 * cached, so a cached answer never outlives a write. Undefined without `cluster.redis.url` (then `store.cache`).
 */
export function sharedCache(options: RoleOptions): RedisCacheOptions | undefined {
  const redis = sharedRedis(options);
  return redis && { ...redis, ttlSeconds: options.config.store.cache.ttlSeconds };
}

/** A name unique to this process, for per-instance consumer groups (every api instance sees every message). */
export function instanceName(role: RoleName): string {
  return `${role}-${hostname()}-${process.pid}`;
}

/**
 * Creates the role's bus (unless injected) and registers it as the first service, so it is disposed last. On Kafka
 * its start creates or checks the topics: a role that cannot stops there, naming the topic and the permission.
 */
export function roleBus(services: ServiceHost, role: RoleName, options: RoleOptions): Bus {
  const bus = options.bus ?? createBus(options.config.cluster.bus, role, options.env);
  services.add({
    name: 'bus',
    start: async () => {
      if (bus instanceof KafkaBus) await bus.ensureTopics();
    },
    dispose: () => bus.dispose(),
  });
  return bus;
}

/**
 * Serves /metrics (Prometheus text from the default registry) and /healthz for a role without an API server, on
 * `cluster.metricsPort`. Nothing else is served; it carries no secrets.
 */
export function roleMetricsServer(services: ServiceHost, role: RoleName, port: number): void {
  if (!port) return;
  let server: http.Server | undefined;
  services.add({
    name: 'metrics',
    start: async () => {
      server = http.createServer((req, res) => {
        void (async () => {
          if (req.url === '/metrics') {
            res.writeHead(200, { 'content-type': client.register.contentType });
            res.end(await client.register.metrics());
          } else if (req.url === '/healthz') {
            const health = services.health();
            const down = Object.values(health).some((h) => h.status === 'down');
            res.writeHead(down ? 503 : 200, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ role, status: down ? 'down' : 'ok', services: health }));
          } else {
            res.writeHead(404).end();
          }
        })().catch(() => res.writeHead(500).end());
      });
      await new Promise<void>((resolve, reject) => {
        server?.once('error', reject);
        server?.listen(port, '0.0.0.0', resolve);
      });
    },
    dispose: async () => {
      server?.closeAllConnections();
      await new Promise((r) => (server ? server.close(r) : r(undefined)));
    },
  });
}
