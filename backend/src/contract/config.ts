import { z } from 'zod';
import { Limits } from './config/limits.js';
import { BackupConfig } from './config/backup.js';
import { CameraConfig, DEMO_CAMERA } from './config/cameras.js';
import { ClusterConfig } from './config/cluster.js';
import { DetectConfig } from './config/detect.js';
import { LoggingConfig, ServerConfig } from './config/server.js';
import { StoreConfig } from './config/store.js';
import { VideoConfig } from './config/video.js';

export * from './config/backup.js';
export * from './config/cameras.js';
export * from './config/cluster.js';
export * from './config/limits.js';
export * from './config/detect.js';
export * from './config/server.js';
export * from './config/store.js';
export * from './config/video.js';

/**
 * The whole configuration of a Vigil installation. One strict schema: unknown keys are rejected, every field has a
 * description and a default fit for a single site. Secrets are never part of it; they come from the environment.
 */
export const VigilConfig = z
  .strictObject({
    dataDir: z
      .string()
      .max(Limits.path)
      .default('')
      .describe(
        'Folder for recordings, the event database and snapshots. Empty: "data" inside the application data folder.',
      ),
    server: ServerConfig,
    logging: LoggingConfig,
    video: VideoConfig,
    cameras: z
      .array(CameraConfig)
      .max(Limits.cameras)
      .default([CameraConfig.parse(DEMO_CAMERA)])
      .refine((cams) => new Set(cams.map((c) => c.id)).size === cams.length, 'camera ids must be unique')
      .describe(
        'Cameras. Those listed here are set by this file at every start and read-only in the app; the default is one ' +
          'demo camera playing the bundled footage, added once and then edited in the app.',
      ),
    backup: BackupConfig,
    store: StoreConfig,
    cluster: ClusterConfig,
    detect: DetectConfig,
  })
  .describe('Vigil configuration');

/** The validated configuration with every default filled in. */
export type VigilConfig = z.infer<typeof VigilConfig>;
/** What a configuration file may contain (everything optional). */
export type VigilConfigInput = z.input<typeof VigilConfig>;
