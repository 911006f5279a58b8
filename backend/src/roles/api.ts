import path from 'node:path';
import type { ApiAuth } from '../api/auth.js';
import { RealtimeHub } from '../api/realtime.js';
import { ApiServer, type RouteModule } from '../api/server.js';
import { RedisAlertFanout } from '../api/shared-redis.js';
import type { AuditLog } from '../contract/audit.js';
import type { VigilAlert } from '../contract/events.js';
import type { EventStore, RetainPort } from '../contract/store.js';
import type { AuditRecorder } from '../audit/recorder.js';
import { auditRoutes } from '../audit/routes.js';
import { teamAuditScope } from '../audit/team-scope.js';
import { detectRoutes, type DetectRoutesSource } from '../detect/routes.js';
import type { HandoverStore } from '../handover/store.js';
import { handoverRoutes } from '../handover/routes.js';
import { FeedbackStore } from '../incidents/feedback.js';
import { RedisPresence } from '../incidents/presence.js';
import { incidentRoutes } from '../incidents/routes.js';
import { ChannelError } from '../incidents/channels.js';
import { ESCALATION_PERMISSION } from '../incidents/presence.js';
import type { SecretStore } from '../platform/secret-store.js';
import type { AlertSettings } from '../incidents/site-settings.js';
import { LayoutStore } from '../layouts/layout-store.js';
import { layoutRoutes } from '../layouts/routes.js';
import { osUserName } from '../people/create.js';
import { peopleRoutes } from '../people/routes.js';
import type { People } from '../people/service.js';
import { INSTALL_DIR } from '../platform/paths.js';
import { eventRoutes } from '../store/routes.js';
import { createInvestigation, type Investigation } from '../investigation/create.js';
import { investigationRoutes } from '../investigation/routes.js';
import { createAppearanceIndex } from '../appearance/create.js';
import { sightingRoutes } from '../appearance/routes.js';
import type { AppearanceIndex } from '../contract/appearance.js';
import type { StageContracts } from './contracts.js';

export interface ApiStageOptions {
  /** 'local': every stage in this process; 'cluster': an api instance of a cluster. */
  mode: 'local' | 'cluster';
  /** A name of this process, unique in the cluster: its live consumer groups and its presence report. */
  instance: string;
  auth: ApiAuth;
  people: People;
  /** Shift handovers, created before the cameras start so that their outages are recorded from the first. */
  handovers: HandoverStore;
  /** The people routes (accounts, roles, tokens) are served here. */
  managePeople: boolean;
  audit: AuditRecorder;
  auditLog: () => AuditLog;
  /** The event store to search, annotate and act on. */
  store: () => EventStore;
  /** The appearance index the events stage fills; absent: this instance opens it to read (a cluster's api role). */
  appearance?: () => AppearanceIndex;
  /** Zones, masks, alert rules (and, with detection in this process, its statistics). */
  detect: DetectRoutesSource;
  alertSettings: AlertSettings;
  /** The site map and trails; absent: kept in this instance's data folder, like its wall layouts. */
  investigation?: Investigation;
  /** Where secrets entered in the alert settings are kept; without it channels name environment variables only. */
  secrets?: SecretStore;
  /** A retained event keeps its footage (only where the video is in this process). */
  retain?: RetainPort;
  /** The cameras' video routes, when the ingest stage runs in this process. */
  video?: RouteModule;
  /** Site administration (backup, restore, evidence export) of the local app. */
  site?: RouteModule[];
  rendererDir?: string;
}

/** What the api stage built. */
export interface ApiStage {
  readonly api: ApiServer;
  readonly realtime: RealtimeHub;
}

/**
 * The api stage: serves the HTTP/WebSocket API and the UI. In a cluster it is stateless behind a load balancer:
 * - events are searched in the cluster's event store: Elasticsearch, or the SQLite database the events role
 *   writes (same host or shared volume; WAL lets this instance read while the writer writes);
 * - zones and alert rules are read from and written to the shared settings topic, which every detect instance
 *   follows (the same routes and validation as a single site);
 * - with `cluster.redis.url`, login links and browser sessions, the hot-query cache, alert acknowledgements, the
 *   site's alert settings and the windows open on each instance are shared by all instances through Redis;
 * - each instance reads the live topics in a consumer group of its own, so it can push every detection and every
 *   escalation notification to its WebSocket clients.
 */
export function apiStage(c: StageContracts, o: ApiStageOptions): ApiStage {
  const { config, services, bus } = c;
  const routes: RouteModule[] = [];
  const audit = o.audit;
  routes.push(auditRoutes({ log: o.auditLog, audit, visibleActors: teamAuditScope }));
  if (o.managePeople) routes.push(peopleRoutes(o.people));

  routes.push(handoverRoutes({ handovers: o.handovers, store: o.store, people: o.people, audit }));
  if (o.video) routes.push(o.video);

  // --- store (search, facets, histogram, annotations, alerts) ---
  // An acknowledgement made in one window shows in the others at once (with Redis: on every api instance).
  const deliverAlert = (alert: VigilAlert) => void realtime.publish('alert', alert);
  const fanout = c.cache ? new RedisAlertFanout(c.cache.redis, deliverAlert) : undefined;
  routes.push(
    eventRoutes({
      store: o.store,
      ...(o.retain ? { retain: o.retain } : {}),
      audit,
      onAlertChanged: (alert) => (fanout ? fanout.publish(alert) : deliverAlert(alert)),
    }),
  );

  // --- appearance: "find this person on other cameras" reads the index the events stage fills ---
  const appearance =
    o.appearance ??
    createAppearanceIndex(services, {
      dataDir: c.dataDir,
      ...(o.mode === 'cluster' ? { cluster: { eventStore: config.cluster.eventStore, env: c.env } } : {}),
    });
  routes.push(sightingRoutes({ store: o.store, index: appearance, audit }));

  // --- detection settings (zones, masks, alert rules) ---
  routes.push(
    detectRoutes(o.detect, (req, target, detail, kind) =>
      audit.record(req, kind?.action ?? 'alert-rule', {
        target,
        detail,
        ...(kind ? { camera: kind.camera } : {}),
      }),
    ),
  );

  // --- incidents (what guards act on) and the site's alert settings. Changes made here reach this instance's
  // windows at once, the other instances' within their next refresh. ---
  routes.push(
    incidentRoutes({
      store: o.store,
      settings: () => o.detect.settings,
      alertSettings: o.alertSettings,
      feedback: new FeedbackStore(path.join(c.dataDir, 'feedback')),
      onIncidentChanged: (incident) => void realtime.publish('incident', incident),
      audit,
      ...(o.secrets ? { secrets: o.secrets } : {}),
      // A test from the settings goes through the channel as an escalation would, from this instance.
      channel: {
        env: c.env,
        ...(o.secrets ? { secrets: o.secrets } : {}),
        desktop: () => {
          if (realtime.clients === 0) throw new ChannelError('no window of Vigil is open to show it');
        },
        supervisorsOnDuty: (team) => realtime.connectedWith(ESCALATION_PERMISSION, team),
      },
    }),
  );
  if (o.site) routes.push(...o.site);

  // --- investigation: the site map and trails across cameras ---
  const investigation = o.investigation ?? createInvestigation(c.dataDir);
  routes.push(investigationRoutes({ ...investigation, store: o.store, audit }));

  // --- named wall layouts (kept in this process's data folder) ---
  const layouts = new LayoutStore(path.join(c.dataDir, 'ui', 'layouts.json'));
  layouts.load();
  routes.push(layoutRoutes(layouts));

  // --- realtime (WS /api/ws: detections, events, alerts, health, notified incidents; a group of its own) ---
  const realtime = services.add(new RealtimeHub({ bus }));
  if (fanout) services.add(fanout);
  // The windows open here count for the escalating events instances ("no window open", "supervisors on duty").
  if (c.cache && o.mode === 'cluster')
    services.add(new RedisPresence(c.cache.redis, { reports: realtime, instance: o.instance }));
  routes.push(realtime);

  // The API starts last: by the time it answers, everything it serves is ready.
  const api: ApiServer = services.add(
    new ApiServer({
      host: config.server.host,
      port: config.server.port,
      publicNames: config.server.publicNames,
      auth: o.auth,
      people: o.people,
      osUser: osUserName(),
      mode: o.mode,
      rendererDir: o.rendererDir ?? path.join(INSTALL_DIR, 'dist', 'renderer'),
      routes,
      health: () => services.health(api),
      kibana: config.cluster.kibana,
    }),
  );
  return { api, realtime };
}
