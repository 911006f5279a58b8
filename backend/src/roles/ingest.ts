import { SessionAuth, sessionPolicyOf, type ApiAuth } from '../api/auth.js';
import { ApiServer } from '../api/server.js';
import { createPeople, osUserName } from '../people/create.js';
import { SharedSessionAuth } from '../api/shared-redis.js';
import { ServiceHost } from '../platform/lifecycle.js';
import { clusterVideoStore } from '../store-video/create.js';
import { videoRoutes } from '../video/routes.js';
import { AuditRecorder, BusAuditWriter } from '../audit/recorder.js';
import { VideoService } from '../video/video-service.js';
import { createLogger } from '../platform/log.js';
import { roleBus, roleMetricsServer, sharedRedis, type RoleOptions, type RunningRole } from './role.js';

/**
 * The ingest role: connects the cameras of its config, records them to the video store and publishes analysis
 * frames on `vigil.frames.v1` (keyed by camera). Replicate it by giving each instance its own share of cameras.
 *
 * It also serves the video routes of its cameras (camera list and management, snapshots, live fMP4 over
 * WebSocket, recordings, clips, holds, storage) on `server.host`:`server.port`: live video and clips come from
 * the process that holds the camera connection and the recording index, instead of being relayed through Kafka.
 * The UI reaches them through the load balancer in front of the roles (route /api/cameras, /api/live, /api/clips,
 * /api/recordings, /api/holds, /api/storage, /api/retention to the ingest instance owning the camera). The
 * bearer token is shared with the api instances (VIGIL_API_TOKEN), and so are browser sessions with
 * `cluster.redis.url`.
 */
export async function startIngestRole(options: RoleOptions): Promise<RunningRole> {
  const log = createLogger('roles.ingest');
  const { config } = options;
  const services = new ServiceHost();
  const bus = roleBus(services, 'ingest', options);
  roleMetricsServer(services, 'ingest', config.cluster.metricsPort);

  // --- video (cameras, recording, retention; frames published to the bus) ---
  const ffmpeg = options.runtime?.ffmpeg?.path ?? 'ffmpeg';
  const video = services.add(
    new VideoService({
      dataDir: options.dataDir,
      video: config.video,
      cameras: config.cameras,
      bus,
      ffmpeg,
      store: clusterVideoStore(config.cluster.videoStore),
      env: options.env,
    }),
  );

  // --- video routes (live view, clips, recordings) on this instance's own port ---
  // Browser sessions opened on an api instance are accepted here too when they live in the shared Redis.
  const redis = sharedRedis(options);
  const policy = sessionPolicyOf(config.server.sessions);
  const auth: ApiAuth = redis
    ? services.add(new SharedSessionAuth({ ...redis, token: options.token, policy }))
    : new SessionAuth(options.token, policy);
  // Live views, playback and camera changes served here go to the audit log through the bus, like the api role's.
  const audit = services.add(new AuditRecorder(new BusAuditWriter(bus)));
  const api: ApiServer = services.add(
    new ApiServer({
      host: config.server.host,
      port: config.server.port,
      publicNames: config.server.publicNames,
      auth,
      people: createPeople(services, {
        dataDir: options.dataDir,
        ...(auth instanceof SharedSessionAuth
          ? { redis: { connection: auth.redis, keyPrefix: config.store.cache.keyPrefix } }
          : {}),
      }),
      osUser: osUserName(),
      mode: 'cluster',
      routes: [videoRoutes(video, audit)],
      health: () => services.health(api),
    }),
  );

  await services.start();
  log.info({ cameras: config.cameras.length, url: api.url }, 'ingest role ready');
  return {
    role: 'ingest',
    bus,
    services,
    get url() {
      return api.url;
    },
    dispose: () => services.dispose(),
  };
}
