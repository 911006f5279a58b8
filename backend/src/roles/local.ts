import fs from 'node:fs';
import path from 'node:path';
import type { RetainPort } from '../contract/store.js';
import type { VigilConfig } from '../contract/config.js';
import { SessionAuth, sessionPolicyOf } from '../api/auth.js';
import type { RegisteredRoute } from '../api/server.js';
import { createBus } from '../bus/create.js';
import { MemoryBus } from '../bus/memory-bus.js';
import type { RuntimeReport } from '../platform/binaries.js';
import { ServiceHost } from '../platform/lifecycle.js';
import { createLogger } from '../platform/log.js';
import { appDataDir } from '../platform/paths.js';
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
import { AuditLogService } from '../audit/service.js';
import { exportRoutes } from '../export/routes.js';
import { createInvestigation } from '../investigation/create.js';
import { loadOrCreateSigningKey } from '../export/signing.js';
import type { VideoService } from '../video/video-service.js';
import { createVideoStore } from '../store-video/create.js';
import { createHandovers } from '../handover/create.js';
import { createAlertSettings } from '../incidents/site-settings.js';
import type { WindowPresence } from '../incidents/presence.js';
import { createPeople } from '../people/create.js';
import type { People } from '../people/service.js';
import { apiStage } from './api.js';
import type { StageContracts } from './contracts.js';
import { detectStage } from './detect.js';
import { eventsStage } from './events.js';
import { ingestStage } from './ingest.js';
import type { RunningRole } from './role.js';

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

/** The running local app: a RunningRole with every stage, and handles tests and the command line use. */
export interface RunningApp extends RunningRole {
  readonly role: 'local';
  readonly url: string;
  readonly auth: SessionAuth;
  readonly bus: MemoryBus;
  readonly video: VideoService;
  readonly people: People;
  /** A fresh single-use link that opens the first-administrator page (only while there is no account). */
  loginUrl(): Promise<string>;
  /** Every HTTP and WebSocket route the API serves, with the access each declares. */
  readonly routes: readonly RegisteredRoute[];
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
 * The composition root of the all-in-one local app: the four stages (ingest, detect, events, api) over the
 * in-process bus and the embedded stores, with the site's own administration (audit log, backup, evidence export),
 * started in order and disposed in reverse.
 */
export async function startLocalApp(options: LocalAppOptions): Promise<RunningApp> {
  const log = createLogger('roles.local');
  const { config, dataDir } = options;
  fs.mkdirSync(dataDir, { recursive: true });

  const services = new ServiceHost();
  const auth = new SessionAuth(options.token, sessionPolicyOf(config.server.sessions));
  // Bus: in-process bounded queues between the stages.
  const bus = new MemoryBus();
  createBus(services, config.cluster.bus, 'local', process.env, bus);
  const c: StageContracts = { config, dataDir, services, bus, env: process.env };

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

  // --- events: the store (events, search) and the escalation of incidents to the site's channels ---
  const alertSettings = createAlertSettings(services, dataDir, undefined);
  // The windows open on this app's API (created below, with the api stage).
  const presence: WindowPresence = {
    windows: () => realtime.clients,
    connectedWith: (permission, team) => realtime.connectedWith(permission, team),
  };
  // Secrets entered in the alert settings (channel signing keys, passwords) are kept with the camera passwords.
  const channelSecrets = { get: (name: string) => video.secrets.get(name) };
  const events = eventsStage(c, {
    store: 'sqlite',
    alertSettings,
    presence,
    audit,
    secrets: channelSecrets,
    // Incidents as stored (state kept, activity merged) go to every open window.
    onIncidentStored: (incident) => void realtime.publish('incident', incident),
  });
  const store = events.store as NonNullable<typeof events.store>;
  const appearance = events.appearance as NonNullable<typeof events.appearance>;

  // --- people: accounts, roles, camera rights, API tokens ---
  const people = createPeople(services, {
    dataDir,
    audit: (entry) =>
      audit.record(entry.actor.slice(0, 64), entry.action, {
        ...(entry.target !== undefined ? { target: entry.target } : {}),
        ...(entry.detail ? { detail: entry.detail } : {}),
      }),
  });

  // --- shift handovers (and the camera outages they report, recorded before the cameras start) ---
  const handovers = createHandovers(services, { dataDir, bus, group: 'handover.outages' });

  // --- ingest (cameras, recording, live, retention) ---
  const ffmpeg = options.runtime.ffmpeg?.path ?? 'ffmpeg';
  const ingest = ingestStage(c, {
    ffmpeg,
    videoStore: createVideoStore(config.cluster.videoStore, c.env),
    audit,
    ...(options.secretKey ? { secretKey: options.secretKey } : {}),
  });
  const { video } = ingest;

  // --- detect (motion, objects, tracking, events, alerts, incidents) ---
  const detection = detectStage(c, { shared: false });

  // --- backup (backups, restore, evidence export) ---
  const backup = services.add(
    new BackupService({
      config: config.backup,
      dataDir,
      fullTextRebuild: eventStoreFullTextRebuild,
      databases: installationDatabases(dataDir, config.store.file),
    }),
  );
  const exportsDir = path.join(dataDir, 'exports');
  const exporter = new EvidenceExporter({
    exportsDir,
    ffmpegPath: ffmpeg,
    key: signingKey,
    segments: new VideoSegmentSource(video),
    events: new StoreEventSource(store),
    audit: new AuditLogSink(audit, () => auditLog.log),
    holds: new VideoHoldSink(video),
  });

  // --- investigation: the site map and trails across cameras (exported with their trail.json) ---
  const investigation = createInvestigation(dataDir);

  // --- api (HTTP + WebSocket, the UI); starts last, so by the time it answers everything it serves is ready ---
  const { api, realtime } = apiStage(c, {
    mode: 'local',
    instance: 'local',
    auth,
    people,
    managePeople: true,
    handovers,
    audit,
    auditLog: () => auditLog.log,
    store,
    appearance,
    detect: detection,
    alertSettings,
    secrets: video.secrets,
    // A retained event keeps its footage: a hold over the event's time range (with a margin either side), removed
    // again when the event is no longer retained.
    retain: retainedEventHolds(video),
    video: ingest.routes,
    investigation,
    site: [
      backupRoutes(backup, audit),
      exportRoutes({ exporter, exportsDir, key: signingKey, audit, investigation }),
    ],
    ...(options.rendererDir ? { rendererDir: options.rendererDir } : {}),
  });

  await services.start();
  log.info({ cameras: config.cameras.length, dataDir }, 'local backend ready');

  return {
    role: 'local',
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
    loginUrl: async () => `${api.url}/login?code=${auth.issueLoginCode()}`,
    dispose: () => services.dispose(),
  };
}
