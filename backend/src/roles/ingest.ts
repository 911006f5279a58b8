import { ServiceHost } from '../platform/lifecycle.js';
import { clusterVideoStore } from '../store-video/create.js';
import { VideoService } from '../video/video-service.js';
import { createLogger } from '../platform/log.js';
import { roleBus, roleMetricsServer, type RoleOptions, type RunningRole } from './role.js';

/**
 * The ingest role: connects the cameras of its config, records them to the video store and publishes analysis
 * frames on `vigil.frames.v1` (keyed by camera). Replicate it by giving each instance its own share of cameras.
 */
export async function startIngestRole(options: RoleOptions): Promise<RunningRole> {
  const log = createLogger('roles.ingest');
  const services = new ServiceHost();
  const bus = roleBus(services, 'ingest', options);
  roleMetricsServer(services, 'ingest', options.config.cluster.metricsPort);

  // --- video (cameras, recording, retention; frames published to the bus) ---
  const ffmpeg = options.runtime?.ffmpeg?.path ?? 'ffmpeg';
  services.add(
    new VideoService({
      dataDir: options.dataDir,
      video: options.config.video,
      cameras: options.config.cameras,
      bus,
      ffmpeg,
      store: clusterVideoStore(options.config.cluster.videoStore),
      env: options.env,
    }),
  );

  await services.start();
  log.info({ cameras: options.config.cameras.length }, 'ingest role ready');
  return { role: 'ingest', bus, services, dispose: () => services.dispose() };
}
