import type { RouteModule } from '../api/server.js';
import type { AuditRecorder } from '../audit/recorder.js';
import type { VideoStore } from '../contract/video.js';
import { videoRoutes } from '../video/routes.js';
import { VideoService } from '../video/video-service.js';
import type { StageContracts } from './contracts.js';

export interface IngestStageOptions {
  ffmpeg: string;
  /** The video store (the factory's choice): undefined for the local disk. */
  videoStore: VideoStore | undefined;
  /** Where live views, playback and camera changes are recorded. */
  audit: AuditRecorder;
  /** The camera-password store's key, from the desktop shell's OS secret store; a key file when absent. */
  secretKey?: Buffer;
}

/** What the ingest stage built: the cameras, and the routes that serve their video. */
export interface IngestStage {
  readonly video: VideoService;
  /** Camera list and management, snapshots, live fMP4 over WebSocket, recordings, clips, holds, storage. */
  readonly routes: RouteModule;
}

/**
 * The ingest stage: connects the cameras of the config, records them to the video store and publishes analysis
 * frames on the bus (keyed by camera). Live video and clips are served by the process holding the camera
 * connection and the recording index (its routes), never relayed over the bus.
 */
export function ingestStage(c: StageContracts, options: IngestStageOptions): IngestStage {
  const video = c.services.add(
    new VideoService({
      dataDir: c.dataDir,
      video: c.config.video,
      cameras: c.config.cameras,
      bus: c.bus,
      ffmpeg: options.ffmpeg,
      store: options.videoStore,
      env: c.env,
      ...(options.secretKey ? { secretKey: options.secretKey } : {}),
    }),
  );
  return { video, routes: videoRoutes(video, options.audit) };
}
