import fs from 'node:fs';
import path from 'node:path';
import type { VigilConfig } from '../contract/config.js';
import type { RetainPort } from '../contract/store.js';
import { SessionAuth, sessionPolicyOf } from '../api/auth.js';
import { MemoryBus } from '../bus/memory-bus.js';
import { ApiServer, type RegisteredRoute, type RouteModule } from '../api/server.js';
import { RealtimeHub } from '../api/realtime.js';
import type { RuntimeReport } from '../platform/binaries.js';
import { ServiceHost } from '../platform/lifecycle.js';
import { createLogger } from '../platform/log.js';
import { appDataDir, INSTALL_DIR } from '../platform/paths.js';
import { installationDatabases } from '../backup/manifest-check.js';
import { BackupService } from '../backup/service.js';
import { backupRoutes } from '../backup/routes.js';
import { eventStoreFullTextRebuild } from '../backup/event-store-fulltext.js';
import { EvidenceExporter } from '../export/exporter.js';
import {
  AuditLogSink,
  StoreEventSource,
  VideoHoldSink,
  VideoSegmentSource,
} from '../export/local-sources.js';
import { AuditRecorder, logWriter } from '../audit/recorder.js';
import { auditRoutes } from '../audit/routes.js';
import { AuditLogService } from '../audit/service.js';
import { exportRoutes } from '../export/routes.js';
import { loadOrCreateSigningKey } from '../export/signing.js';
import { videoRoutes } from '../video/routes.js';
import { VideoService } from '../video/video-service.js';
import { clusterVideoStore } from '../store-video/create.js';
import { eventRoutes } from '../store/routes.js';
import { EventStoreService } from '../store/service.js';
import { createAppearanceIndex } from '../appearance/create.js';
import { sightingRoutes } from '../appearance/routes.js';
import { DetectionService } from '../detect/service.js';
import { detectRoutes } from '../detect/routes.js';
import { LayoutStore } from '../layouts/layout-store.js';
import { layoutRoutes } from '../layouts/routes.js';
import { createInvestigation } from '../investigation/create.js';
import { investigationRoutes } from '../investigation/routes.js';
import type { Incident } from '../contract/incidents.js';
import { ChannelError } from '../incidents/channels.js';
import { EscalationService } from '../incidents/escalation.js';
import { FeedbackStore } from '../incidents/feedback.js';
import { incidentRoutes } from '../incidents/routes.js';
import { createHandovers } from '../handover/create.js';
import { handoverRoutes } from '../handover/routes.js';
import { AlertSettingsStore } from '../incidents/site-settings.js';
import { teamAuditScope } from '../audit/team-scope.js';
import { createPeople, osUserName } from '../people/create.js';
import { peopleRoutes } from '../people/routes.js';
import type { People } from '../people/service.js';

export interface LocalAppOptions {
  config: VigilConfig;
  /** Absolute data folder (recordings, database, snapshots). */
  dataDir: string;
  runtime: RuntimeReport;
  /** Session token; random when absent. */
  token?: string;
  /** Built renderer to serve; dist/renderer by default. */
  rendererDir?: string;
  /** The camera-password store's key, from the desktop shell's OS secret store; a key file when absent. */
  secretKey?: Buffer;
}

/** A running backend. */
export interface RunningApp {
  readonly url: string;
  readonly auth: SessionAuth;
  readonly services: ServiceHost;
  readonly bus: MemoryBus;
  readonly video: VideoService;
  readonly people: People;
  /** A fresh single-use link that opens the first-administrator page (only while there is no account). */
  loginUrl(): string;
  /** Every HTTP and WebSocket route the API serves, with the access each declares. */
  readonly routes: readonly RegisteredRoute[];
  dispose(): Promise<void>;
}

/** Margin of footage kept before and after a retained event. */
const RETAIN_MARGIN_MS = 30_000;

/** Connects the store's retain flag to video holds; the hold's reason names the event so it can be released. */
export function retainedEventHolds(
  video: Pick<VideoService, 'addHold' | 'removeHold' | 'holds'>,
): RetainPort {
  return {
    onRetainChanged(event, retained) {
      const reason = `retained event ${event.id}`;
      if (!retained) {
        for (const h of video.holds()) if (h.reason === reason) video.removeHold(h.id);
        return;
      }
      if (video.holds().some((h) => h.reason === reason)) return;
      video.addHold({
        cameraId: event.cameraId,
        from: event.startTs - RETAIN_MARGIN_MS,
        to: (event.endTs ?? event.lastTs) + RETAIN_MARGIN_MS,
        reason,
      });
    },
  };
}

/**
 * The composition root of the all-in-one local role: every stage embedded, started in order, disposed in reverse.
 */
export async function startLocalApp(options: LocalAppOptions): Promise<RunningApp> {
  const log = createLogger('roles.local');
  const { config, dataDir } = options;
  fs.mkdirSync(dataDir, { recursive: true });

  const services = new ServiceHost();
  const auth = new SessionAuth(options.token, sessionPolicyOf(config.server.sessions));
  const routes: RouteModule[] = [];

  // Bus: in-process bounded queues between the stages.
  const bus = new MemoryBus();
  services.add({ name: 'bus', start: async () => {}, dispose: () => bus.dispose() });

  // --- audit log (its own database; checkpoints signed with the installation's key; disposed late, so the
  // last checkpoint signs everything recorded until the API stopped) ---
  const signingKey = loadOrCreateSigningKey(path.join(appDataDir(), 'keys'));
  const auditLog = services.add(
    new AuditLogService({
      dataDir,
      key: signingKey,
      legacyEventsDb: config.store.file
        ? path.resolve(dataDir, config.store.file)
        : path.join(dataDir, 'events.db'),
    }),
  );
  const audit = services.add(new AuditRecorder(logWriter(() => auditLog.log)));
  routes.push(auditRoutes({ log: () => auditLog.log, audit, visibleActors: teamAuditScope }));

  // --- store (events, search) ---
  const eventStore = services.add(
    new EventStoreService({
      config: config.store,
      dataDir,
      bus,
      cameraName: (id) => config.cameras.find((c) => c.id === id)?.name,
      // Incidents as stored (state kept, activity merged) go to every open window.
      onIncidentStored: (incident) => void realtime.publish('incident', incident),
    }),
  );

  // --- people: accounts, roles, camera rights, API tokens ---
  const people = createPeople(services, {
    dataDir,
    audit: (entry) =>
      audit.record(entry.actor.slice(0, 64), entry.action, {
        ...(entry.target !== undefined ? { target: entry.target } : {}),
        ...(entry.detail ? { detail: entry.detail } : {}),
      }),
  });
  routes.push(peopleRoutes(people));

  // --- shift handovers (and the camera outages they report, recorded before the cameras start) ---
  const handovers = createHandovers(services, { dataDir, bus, group: 'handover.outages' });
  routes.push(handoverRoutes({ handovers, store: () => eventStore.store, people, audit }));

  // --- video (cameras, recording, live, retention) ---
  const ffmpeg = options.runtime.ffmpeg?.path ?? 'ffmpeg';
  const video = services.add(
    new VideoService({
      dataDir,
      video: config.video,
      cameras: config.cameras,
      bus,
      ffmpeg,
      store: clusterVideoStore(config.cluster.videoStore),
      secretKey: options.secretKey,
    }),
  );
  routes.push(videoRoutes(video, audit));
  // A retained event keeps its footage: a hold over the event's time range (with a margin either side), removed
  // again when the event is no longer retained.
  routes.push(
    eventRoutes({
      store: () => eventStore.store,
      retain: retainedEventHolds(video),
      audit,
      // An acknowledgement made in one window shows in the others at once.
      onAlertChanged: (alert) => void realtime.publish('alert', alert),
    }),
  );

  // --- appearance (descriptors of events from the events topic; "find this person on other cameras") ---
  const appearance = createAppearanceIndex(services, { dataDir, writer: { bus, group: 'appearance' } });
  routes.push(sightingRoutes({ store: () => eventStore.store, index: appearance, audit }));

  // --- detection (motion, objects, tracking, events, alerts) ---
  const detection = services.add(new DetectionService({ config: config.detect, bus, dataDir }));
  routes.push(
    detectRoutes(detection, (req, target, detail, kind) =>
      audit.record(req, kind?.action ?? 'alert-rule', {
        target,
        detail,
        ...(kind ? { camera: kind.camera } : {}),
      }),
    ),
  );

  // --- incidents (what guards act on), escalation and notification channels ---
  const alertSettings = new AlertSettingsStore(path.join(dataDir, 'alerts', 'settings.json'));
  alertSettings.load();
  const publishIncident = (incident: Incident) => void realtime.publish('incident', incident);
  routes.push(
    incidentRoutes({
      store: () => eventStore.store,
      settings: () => detection.settings,
      alertSettings,
      feedback: new FeedbackStore(path.join(dataDir, 'feedback')),
      onIncidentChanged: publishIncident,
      audit,
    }),
  );
  services.add(
    new EscalationService({
      incidents: () => eventStore.store.incidents,
      settings: alertSettings,
      onChanged: publishIncident,
      audit,
      // Desktop notifications and sound: the incident, with its notification recorded, reaches every window.
      channel: {
        desktop: () => {
          if (realtime.clients === 0) throw new ChannelError('no window of Vigil is open to show it');
        },
        supervisorsOnDuty: (team) => realtime.connectedWith('escalations.receive', team),
      },
    }),
  );

  // --- backup (backups, restore, evidence export) ---
  const backup = services.add(
    new BackupService({
      config: config.backup,
      dataDir,
      fullTextRebuild: eventStoreFullTextRebuild,
      databases: installationDatabases(dataDir, config.store.file),
    }),
  );
  routes.push(backupRoutes(backup, audit));
  const exportsDir = path.join(dataDir, 'exports');
  const storeEvents = new StoreEventSource(() => eventStore.store);
  const exporter = new EvidenceExporter({
    exportsDir,
    ffmpegPath: ffmpeg,
    key: signingKey,
    segments: new VideoSegmentSource(video),
    events: storeEvents,
    audit: new AuditLogSink(audit, () => auditLog.log),
    holds: new VideoHoldSink(video),
  });
  // --- investigation: the site map and trails across cameras (exported with their trail.json) ---
  const investigation = createInvestigation(dataDir);
  routes.push(investigationRoutes({ ...investigation, store: () => eventStore.store, audit }));
  routes.push(exportRoutes({ exporter, exportsDir, key: signingKey, audit, investigation }));

  // --- named wall layouts, shared by every window of the site ---
  const layouts = new LayoutStore(path.join(dataDir, 'ui', 'layouts.json'));
  layouts.load();
  routes.push(layoutRoutes(layouts));

  // --- realtime (WS /api/ws: detections, events, alerts, health to the UI) ---
  const realtime = services.add(new RealtimeHub({ bus }));
  routes.push(realtime);

  // The API starts last: by the time it answers, everything it serves is ready.
  const api: ApiServer = services.add(
    new ApiServer({
      host: config.server.host,
      port: config.server.port,
      publicNames: config.server.publicNames,
      auth,
      people,
      osUser: osUserName(),
      mode: 'local',
      rendererDir: options.rendererDir ?? path.join(INSTALL_DIR, 'dist', 'renderer'),
      routes,
      health: () => services.health(api),
      kibana: config.cluster.kibana,
    }),
  );

  await services.start();
  log.info({ cameras: config.cameras.length, dataDir }, 'local backend ready');

  return {
    get url() {
      return api.url;
    },
    auth,
    services,
    bus,
    video,
    people,
    get routes() {
      return api.routes;
    },
    loginUrl: () => `${api.url}/login?code=${auth.issueLoginCode()}`,
    dispose: () => services.dispose(),
  };
}
