import fs from 'node:fs';
import path from 'node:path';
import type { VigilConfig } from '../contract/config.js';
import { SessionAuth } from '../api/auth.js';
import { MemoryBus } from '../bus/memory-bus.js';
import { ApiServer, type RouteModule } from '../api/server.js';
import { RealtimeHub } from '../api/realtime.js';
import type { RuntimeReport } from '../platform/binaries.js';
import { ServiceHost, type ServiceHealth } from '../platform/lifecycle.js';
import { createLogger } from '../platform/log.js';
import { DetectionService } from '../detect/service.js';
import { detectRoutes } from '../detect/routes.js';
import { INSTALL_DIR } from '../platform/paths.js';
import { videoRoutes } from '../video/routes.js';
import { VideoService } from '../video/video-service.js';
import { eventRoutes } from '../store/routes.js';
import { EventStoreService } from '../store/service.js';

export interface LocalAppOptions {
  config: VigilConfig;
  /** Absolute data folder (recordings, database, snapshots). */
  dataDir: string;
  runtime: RuntimeReport;
  /** Session token; random when absent. */
  token?: string;
  /** Built renderer to serve; dist/renderer by default. */
  rendererDir?: string;
}

/** A running backend. */
export interface RunningApp {
  readonly url: string;
  readonly auth: SessionAuth;
  readonly services: ServiceHost;
  readonly bus: MemoryBus;
  readonly video: VideoService;
  /** A fresh single-use link that logs a browser in. */
  loginUrl(): string;
  dispose(): Promise<void>;
}

/**
 * The composition root of the all-in-one local role: every stage embedded, started in order, disposed in reverse.
 */
export async function startLocalApp(options: LocalAppOptions): Promise<RunningApp> {
  const log = createLogger('roles.local');
  const { config, dataDir } = options;
  fs.mkdirSync(dataDir, { recursive: true });

  const services = new ServiceHost();
  const auth = new SessionAuth(options.token);
  const routes: RouteModule[] = [];

  // Bus: in-process bounded queues between the stages.
  const bus = new MemoryBus();
  services.add({ name: 'bus', start: async () => {}, dispose: () => bus.dispose() });

  // --- store (events, search) ---
  const eventStore = services.add(
    new EventStoreService({
      config: config.store,
      dataDir,
      bus,
      cameraName: (id) => config.cameras.find((c) => c.id === id)?.name,
    }),
  );
  // The video holds connect here as `retain` once available, so retained events keep their footage.
  routes.push(eventRoutes({ store: () => eventStore.store }));

  // --- video (cameras, recording, live, retention) ---
  const ffmpeg = options.runtime.ffmpeg?.path ?? 'ffmpeg';
  const video = services.add(
    new VideoService({ dataDir, video: config.video, cameras: config.cameras, bus, ffmpeg }),
  );
  routes.push(videoRoutes(video, ffmpeg));

  // --- detection (motion, objects, tracking, events, alerts) ---
  const detection = services.add(new DetectionService({ config: config.detect, bus, dataDir }));
  routes.push(detectRoutes(detection));

  // --- realtime (WS /api/ws: detections, events, alerts, health to the UI) ---
  const realtime = services.add(new RealtimeHub({ bus }));
  routes.push(realtime);

  const health = (): Record<string, ServiceHealth> => {
    const out: Record<string, ServiceHealth> = {};
    for (const s of services.services) if (s.health && s !== api) out[s.name] = s.health();
    return out;
  };

  // The API starts last: by the time it answers, everything it serves is ready.
  const api = services.add(
    new ApiServer({
      host: config.server.host,
      port: config.server.port,
      auth,
      mode: 'local',
      rendererDir: options.rendererDir ?? path.join(INSTALL_DIR, 'dist', 'renderer'),
      routes,
      health,
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
    loginUrl: () => `${api.url}/login?code=${auth.issueLoginCode()}`,
    dispose: () => services.dispose(),
  };
}
