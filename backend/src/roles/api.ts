import path from 'node:path';
import { SessionAuth, sessionPolicyOf, type ApiAuth } from '../api/auth.js';
import { RealtimeHub } from '../api/realtime.js';
import { ApiServer, type RouteModule } from '../api/server.js';
import { teamAuditScope } from '../audit/team-scope.js';
import { createPeople, osUserName } from '../people/create.js';
import { RedisAlertFanout, SharedSessionAuth } from '../api/shared-redis.js';
import type { VigilAlert } from '../contract/events.js';
import { FeedbackStore } from '../incidents/feedback.js';
import { incidentRoutes } from '../incidents/routes.js';
import { createHandovers } from '../handover/create.js';
import { handoverRoutes } from '../handover/routes.js';
import { loadedAlertSettings } from '../incidents/site-settings.js';
import type { EventStore } from '../contract/store.js';
import { detectRoutes } from '../detect/routes.js';
import { SharedDetectSettings } from '../detect/shared-settings.js';
import { createEsEventStore } from '../store-es/create.js';
import { CachedEventStore } from '../store/cached-store.js';
import { eventRoutes } from '../store/routes.js';
import { EventStoreService } from '../store/service.js';
import { createAppearanceIndex } from '../appearance/create.js';
import { sightingRoutes } from '../appearance/routes.js';
import { ServiceHost } from '../platform/lifecycle.js';
import { createLogger } from '../platform/log.js';
import { INSTALL_DIR } from '../platform/paths.js';
import {
  instanceName,
  roleBus,
  sharedCache,
  sharedRedis,
  type RoleOptions,
  type RunningRole,
} from './role.js';
import { LayoutStore } from '../layouts/layout-store.js';
import type { AuditLog } from '../contract/audit.js';
import { AuditRecorder, BusAuditWriter } from '../audit/recorder.js';
import { auditRoutes } from '../audit/routes.js';
import { auditDbFile } from '../audit/service.js';
import { SqliteAuditLog } from '../audit/sqlite-audit-log.js';
import { loadOrCreateSigningKey } from '../export/signing.js';
import { createEsAuditLog } from '../store-es/create.js';
import { appDataDir } from '../platform/paths.js';
import { layoutRoutes } from '../layouts/routes.js';
import { createInvestigation } from '../investigation/create.js';
import { investigationRoutes } from '../investigation/routes.js';

export interface ApiRoleOptions extends RoleOptions {
  rendererDir?: string;
}

/** A running api instance. */
export interface RunningApiRole extends RunningRole {
  readonly auth: ApiAuth;
  /** A fresh single-use login link (valid on every instance when the instances share Redis). */
  loginUrl(): Promise<string>;
  readonly url: string;
}

/**
 * The api role: serves the HTTP/WebSocket API and the UI. Stateless behind a load balancer:
 * - events are searched in the cluster's event store: Elasticsearch, or the SQLite database the events role
 *   writes (same host or shared volume; WAL lets this instance read while the writer writes);
 * - zones and alert rules are read from and written to the shared settings topic, which every detect instance
 *   follows (the same routes and validation as a single site);
 * - with `cluster.redis.url`, login links and browser sessions, the hot-query cache and alert acknowledgements
 *   are shared by all instances through Redis;
 * - each instance reads the live topics in a consumer group of its own, so it can push every detection to its
 *   WebSocket clients.
 */
export async function startApiRole(options: ApiRoleOptions): Promise<RunningApiRole> {
  const log = createLogger('roles.api');
  const { config } = options;
  const services = new ServiceHost();
  const bus = roleBus(services, 'api', options);
  const redis = sharedRedis(options);
  const routes: RouteModule[] = [];
  const liveGroup = instanceName('api');

  // --- sessions (shared through Redis when configured) ---
  let auth: ApiAuth;
  let issueLoginCode: () => Promise<string>;
  const policy = sessionPolicyOf(config.server.sessions);
  if (redis) {
    const shared = services.add(new SharedSessionAuth({ ...redis, token: options.token, policy }));
    auth = shared;
    issueLoginCode = () => shared.issueLoginCode();
  } else {
    const local = new SessionAuth(options.token, policy);
    auth = local;
    issueLoginCode = async () => local.issueLoginCode();
  }

  // --- detection settings (zones, masks, alert rules; the shared settings topic) ---
  const settings = new SharedDetectSettings(bus, 'api');
  services.add({ name: 'detect-settings', start: () => settings.load(), dispose: () => settings.dispose() });
  routes.push(
    detectRoutes({ settings }, (req, target, detail, kind) =>
      audit.record(req, kind?.action ?? 'alert-rule', {
        target,
        detail,
        ...(kind ? { camera: kind.camera } : {}),
      }),
    ),
  );

  // --- store (search, facets, histogram, annotations, alerts; Redis cache and live stats) ---
  const cameraNames = new Map(config.cameras.map((c) => [c.id, c.name]));
  const cache = sharedCache(options);
  let store: () => EventStore;
  if (config.cluster.eventStore.kind === 'elasticsearch') {
    const es = createEsEventStore(
      config.cluster.eventStore,
      options.dataDir,
      (id) => cameraNames.get(id),
      options.env,
    );
    const cached = cache ? new CachedEventStore(es, cache) : undefined;
    services.add({
      name: 'event-store',
      start: () => es.setup(),
      dispose: async () => {
        await cached?.dispose();
        if (!cached) await es.dispose();
      },
      health: () => cached?.health() ?? { status: 'ok' },
    });
    store = () => cached ?? es;
  } else {
    const sqlite = services.add(
      new EventStoreService({
        config: config.store,
        dataDir: options.dataDir,
        bus,
        cameraName: (id) => cameraNames.get(id),
        writer: false,
        ...(cache ? { cache } : {}),
      }),
    );
    store = () => sqlite.store;
  }

  // --- audit log: records go on the bus to the events role, which chains them; reads come from where it stores
  // them (Elasticsearch, or the audit.db beside the SQLite event store). Checkpoints are checked with the
  // installation's key: the roles of one cluster share it (the same keys folder). ---
  const audit = services.add(new AuditRecorder(new BusAuditWriter(bus)));
  const publicKey = loadOrCreateSigningKey(path.join(appDataDir(), 'keys')).publicKey;
  let auditLog: () => AuditLog;
  if (config.cluster.eventStore.kind === 'elasticsearch') {
    const esAudit = createEsAuditLog(config.cluster.eventStore, { reader: publicKey }, options.env);
    services.add({ name: 'audit-log', start: () => esAudit.setup(), dispose: () => esAudit.dispose() });
    auditLog = () => esAudit;
  } else {
    // Opened at first use: the events role creates the file.
    let sqliteAudit: SqliteAuditLog | undefined;
    services.add({ name: 'audit-log', start: async () => {}, dispose: async () => sqliteAudit?.dispose() });
    auditLog = () =>
      (sqliteAudit ??= new SqliteAuditLog({ file: auditDbFile(options.dataDir), publicKey, readOnly: true }));
  }
  routes.push(auditRoutes({ log: auditLog, audit, visibleActors: teamAuditScope }));

  // --- named wall layouts (kept in this api instance's data folder) ---
  const layouts = new LayoutStore(path.join(options.dataDir, 'ui', 'layouts.json'));
  layouts.load();
  routes.push(layoutRoutes(layouts));

  // --- realtime (WS /api/ws fed from detections/events/alerts/health; the hub reads in a group of its own) ---
  const realtime = new RealtimeHub({ bus });
  const deliverAlert = (alert: VigilAlert) => void realtime.publish('alert', alert);
  const fanout = redis ? new RedisAlertFanout(redis, deliverAlert) : undefined;
  routes.push(
    eventRoutes({
      store,
      audit,
      onAlertChanged: (alert) => (fanout ? fanout.publish(alert) : deliverAlert(alert)),
    }),
  );
  // --- appearance: sightings read the index the events role fills ---
  const appearance = createAppearanceIndex(services, {
    dataDir: options.dataDir,
    cluster: { eventStore: config.cluster.eventStore, env: options.env },
  });
  routes.push(sightingRoutes({ store: () => store(), index: appearance, audit }));
  // Incidents: stored by the events role; acted on here. Changes made here reach this instance's windows at once,
  // the others' within their next refresh.
  routes.push(
    incidentRoutes({
      store,
      settings: () => settings,
      alertSettings: loadedAlertSettings(path.join(options.dataDir, 'alerts', 'settings.json')),
      feedback: new FeedbackStore(path.join(options.dataDir, 'feedback')),
      onIncidentChanged: (incident) => void realtime.publish('incident', incident),
      audit,
    }),
  );
  const people = createPeople(services, {
    dataDir: options.dataDir,
    ...(auth instanceof SharedSessionAuth
      ? { redis: { connection: auth.redis, keyPrefix: config.store.cache.keyPrefix } }
      : {}),
  });
  // Shift handovers, kept in this instance's data folder like the wall layouts (several api instances behind a
  // load balancer each keep their own); each instance follows camera health in a group of its own.
  const handovers = createHandovers(services, {
    dataDir: options.dataDir,
    bus,
    group: `${liveGroup}.handover-outages`,
  });
  routes.push(handoverRoutes({ handovers, store, people, audit }));
  // The site map and trails, kept in this instance's data folder like the wall layouts and handovers.
  routes.push(investigationRoutes({ ...createInvestigation(options.dataDir), store, audit }));
  services.add(realtime);
  if (fanout) services.add(fanout);
  routes.push(realtime);

  const api: ApiServer = services.add(
    new ApiServer({
      host: config.server.host,
      port: config.server.port,
      publicNames: config.server.publicNames,
      auth,
      people,
      osUser: osUserName(),
      mode: 'cluster',
      rendererDir: options.rendererDir ?? path.join(INSTALL_DIR, 'dist', 'renderer'),
      routes,
      health: () => services.health(api),
      kibana: config.cluster.kibana,
    }),
  );

  await services.start();
  log.info(
    { liveGroup, store: config.cluster.eventStore.kind, shared: redis ? 'redis' : 'none' },
    'api role ready',
  );
  return {
    role: 'api',
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
