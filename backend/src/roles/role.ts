import http from 'node:http';
import { hostname } from 'node:os';
import path from 'node:path';
import client from 'prom-client';
import { SessionAuth, sessionPolicyOf, type ApiAuth } from '../api/auth.js';
import { ApiServer } from '../api/server.js';
import { SharedSessionAuth } from '../api/shared-redis.js';
import type { AuditLog } from '../contract/audit.js';
import type { Bus } from '../contract/bus.js';
import type { VigilConfig } from '../contract/config.js';
import { AuditRecorder, BusAuditWriter } from '../audit/recorder.js';
import { auditDbFile } from '../audit/service.js';
import { SqliteAuditLog } from '../audit/sqlite-audit-log.js';
import { createBus } from '../bus/create.js';
import { createCache } from '../cache/create.js';
import { SharedDetectSettings } from '../detect/shared-settings.js';
import type { ObjectDetector } from '../contract/detector.js';
import { loadOrCreateSigningKey, type SigningKey } from '../export/signing.js';
import { createHandovers } from '../handover/create.js';
import { RedisEscalationLock, RedisPresence, type WindowPresence } from '../incidents/presence.js';
import { createAlertSettings } from '../incidents/site-settings.js';
import { createPeople, osUserName } from '../people/create.js';
import type { People } from '../people/service.js';
import type { RuntimeReport } from '../platform/binaries.js';
import { ServiceHost } from '../platform/lifecycle.js';
import { createLogger } from '../platform/log.js';
import { appDataDir } from '../platform/paths.js';
import { createEsAuditLog } from '../store-es/create.js';
import { createEventStore } from '../store/create.js';
import { createVideoStore } from '../store-video/create.js';
import { apiStage } from './api.js';
import type { StageContracts } from './contracts.js';
import { detectStage } from './detect.js';
import { eventsStage, type EventSink } from './events.js';
import { ingestStage } from './ingest.js';

export { ROLE_GROUPS } from '../bus/create.js';

/** The separately deployable parts of the pipeline. Each can run as several instances. */
export const ROLE_NAMES = ['ingest', 'detect', 'events', 'api'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

export interface RoleOptions {
  config: VigilConfig;
  dataDir: string;
  runtime?: RuntimeReport;
  /** Session token (all api and ingest instances behind one load balancer share it). */
  token?: string;
  /** A bus to use instead of the configured one (tests, benchmarks). */
  bus?: Bus;
  env?: NodeJS.ProcessEnv;
  /** api: the built renderer to serve; dist/renderer by default. */
  rendererDir?: string;
  /** detect: a detector already loaded, instead of loading the configured one (tests, benchmarks). */
  detector?: ObjectDetector;
  /** events: write events here instead of the event store, and escalate nothing (tests). */
  sink?: EventSink;
  /** events: messages written at the same time (partitions handled in parallel). Default 4. */
  concurrency?: number;
  /** events: the key that signs audit checkpoints; the installation's key (in the app data folder) by default. */
  signingKey?: SigningKey;
}

/** A running backend: one role of a cluster, or the local app with every stage. */
export interface RunningRole {
  readonly role: RoleName | 'local';
  readonly bus: Bus;
  readonly services: ServiceHost;
  /** The HTTP address, for roles that serve one (api, ingest, local). */
  readonly url?: string;
  /** Who may call the HTTP API, for roles that serve one. */
  readonly auth?: ApiAuth;
  /** A fresh single-use login link, for roles that serve the UI (valid on every api instance sharing Redis). */
  loginUrl?(): Promise<string>;
  dispose(): Promise<void>;
}

/** A name unique to this process, for per-instance consumer groups (every api instance sees every message). */
export function instanceName(role: RoleName): string {
  return `${role}-${hostname()}-${process.pid}`;
}

/**
 * The composition root of a cluster role: the contracts from their factories (Kafka, the cluster's event and
 * video stores, the shared Redis), then the one stage of the role over them, started in order and disposed in
 * reverse. The local app (`local.ts`) composes all four stages over the in-process bus instead.
 */
export async function startRole(role: RoleName, options: RoleOptions): Promise<RunningRole> {
  const log = createLogger(`roles.${role}`);
  const { config } = options;
  const env = options.env ?? process.env;
  const services = new ServiceHost();
  const bus = createBus(services, config.cluster.bus, role, env, options.bus);
  const cache = createCache(config, env);
  const c: StageContracts = {
    config,
    dataDir: options.dataDir,
    services,
    bus,
    env,
    ...(cache ? { cache } : {}),
  };
  if (role !== 'api' && role !== 'ingest') roleMetricsServer(services, role, config.cluster.metricsPort);

  switch (role) {
    case 'detect': {
      detectStage(c, { shared: true, ...(options.detector ? { detector: options.detector } : {}) });
      await services.start();
      log.info({ detector: config.detect.enabled ? config.detect.detector : 'off' }, 'detect role ready');
      return { role, bus, services, dispose: () => services.dispose() };
    }

    case 'events': {
      // Escalation notifies each incident level once however many events instances run (a Redis claim), reads the
      // site's alert settings and the open windows from Redis, and publishes what it notified for the api instances.
      const instance = instanceName('events');
      const lock = cache ? services.add(new RedisEscalationLock(cache.redis, instance)) : undefined;
      const presence: WindowPresence = cache
        ? services.add(new RedisPresence(cache.redis, { reads: true }))
        : { windows: () => 0, connectedWith: () => 0 };
      if (!cache)
        log.warn(
          'cluster.redis.url is not set: open windows are not known, and several events instances escalate alike',
        );
      eventsStage(c, {
        store: config.cluster.eventStore.kind,
        alertSettings: createAlertSettings(services, c.dataDir, cache),
        presence,
        // Escalations past the first level go to the audit log through the bus, chained by this role.
        audit: services.add(new AuditRecorder(new BusAuditWriter(bus))),
        ...(lock ? { claim: (id: string, level: number) => lock.claim(id, level) } : {}),
        chainAudit: options.signingKey ?? loadOrCreateSigningKey(path.join(appDataDir(), 'keys')),
        ...(options.sink ? { sink: options.sink } : {}),
        ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      });
      await services.start();
      log.info({ store: options.sink ? 'sink' : config.cluster.eventStore.kind }, 'events role ready');
      return { role, bus, services, dispose: () => services.dispose() };
    }

    case 'ingest': {
      // Live views, playback and camera changes served here go to the audit log through the bus, like the api's.
      const audit = services.add(new AuditRecorder(new BusAuditWriter(bus)));
      const ingest = ingestStage(c, {
        ffmpeg: options.runtime?.ffmpeg?.path ?? 'ffmpeg',
        videoStore: createVideoStore(config.cluster.videoStore, env),
        audit,
      });
      // The video routes on this instance's own port: the load balancer routes /api/cameras, /api/live, /api/clips,
      // /api/recordings, /api/holds, /api/storage and /api/retention to the ingest instance owning the camera.
      // Browser sessions opened on an api instance are accepted here too when they live in the shared Redis.
      const { auth, people } = clusterAccess(c, options);
      const api: ApiServer = services.add(
        new ApiServer({
          host: config.server.host,
          port: config.server.port,
          publicNames: config.server.publicNames,
          auth,
          people,
          osUser: osUserName(),
          mode: 'cluster',
          routes: [ingest.routes],
          health: () => services.health(api),
        }),
      );
      await services.start();
      log.info({ cameras: config.cameras.length, url: api.url }, 'ingest role ready');
      return {
        role,
        bus,
        services,
        auth,
        get url() {
          return api.url;
        },
        dispose: () => services.dispose(),
      };
    }

    case 'api': {
      const instance = instanceName('api');
      const { auth, people, issueLoginCode } = clusterAccess(c, options);
      // Zones, masks and alert rules: the shared settings topic, which every detect instance follows.
      const settings = new SharedDetectSettings(bus, 'api');
      services.add({
        name: 'detect-settings',
        start: () => settings.load(),
        dispose: () => settings.dispose(),
      });
      const store = createEventStore(services, {
        config,
        dataDir: c.dataDir,
        bus,
        kind: config.cluster.eventStore.kind,
        writer: false,
        env,
        ...(cache ? { cache } : {}),
      });
      // Audit records go on the bus to the events role, which chains them; reads come from where it stores them.
      const audit = services.add(new AuditRecorder(new BusAuditWriter(bus)));
      const { api } = apiStage(c, {
        mode: 'cluster',
        instance,
        auth,
        people,
        managePeople: false,
        handovers: createHandovers(services, {
          dataDir: c.dataDir,
          bus,
          group: `${instance}.handover-outages`,
        }),
        audit,
        auditLog: clusterAuditLog(c),
        store,
        detect: { settings },
        alertSettings: createAlertSettings(services, c.dataDir, cache),
        ...(options.rendererDir ? { rendererDir: options.rendererDir } : {}),
      });
      await services.start();
      log.info(
        { liveGroup: instance, store: config.cluster.eventStore.kind, shared: cache ? 'redis' : 'none' },
        'api role ready',
      );
      return {
        role,
        bus,
        services,
        auth,
        get url() {
          return api.url;
        },
        loginUrl: async () => `${api.url}/login?code=${await issueLoginCode()}`,
        dispose: () => services.dispose(),
      };
    }
  }
}

/**
 * Who may call an api or ingest instance: its bearer token, plus login codes, browser sessions and people kept in
 * the shared Redis when there is one (so a session opened on one instance works on all), else in this instance.
 */
function clusterAccess(
  c: StageContracts,
  options: RoleOptions,
): { auth: ApiAuth; people: People; issueLoginCode: () => Promise<string> } {
  const policy = sessionPolicyOf(c.config.server.sessions);
  if (c.cache) {
    const shared = c.services.add(new SharedSessionAuth({ ...c.cache.redis, token: options.token, policy }));
    const people = createPeople(c.services, {
      dataDir: c.dataDir,
      redis: { connection: shared.redis, keyPrefix: c.config.store.cache.keyPrefix },
    });
    return { auth: shared, people, issueLoginCode: () => shared.issueLoginCode() };
  }
  const local = new SessionAuth(options.token, policy);
  const people = createPeople(c.services, { dataDir: c.dataDir });
  return { auth: local, people, issueLoginCode: async () => local.issueLoginCode() };
}

/**
 * The audit log as an api instance reads it: where the events role chains it (Elasticsearch, or the audit.db
 * beside the SQLite event store). Checkpoints are checked with the installation's key: the roles of one cluster
 * share it (the same keys folder).
 */
function clusterAuditLog(c: StageContracts): () => AuditLog {
  const publicKey = loadOrCreateSigningKey(path.join(appDataDir(), 'keys')).publicKey;
  if (c.config.cluster.eventStore.kind === 'elasticsearch') {
    const esAudit = createEsAuditLog(c.config.cluster.eventStore, { reader: publicKey }, c.env);
    c.services.add({ name: 'audit-log', start: () => esAudit.setup(), dispose: () => esAudit.dispose() });
    return () => esAudit;
  }
  // Opened at first use: the events role creates the file.
  let sqliteAudit: SqliteAuditLog | undefined;
  c.services.add({ name: 'audit-log', start: async () => {}, dispose: async () => sqliteAudit?.dispose() });
  return () =>
    (sqliteAudit ??= new SqliteAuditLog({ file: auditDbFile(c.dataDir), publicKey, readOnly: true }));
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
