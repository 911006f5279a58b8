import { z } from 'zod';
import { CameraConfig, DEMO_CAMERA } from './config/cameras.js';
import { LoggingConfig, ServerConfig } from './config/server.js';
import { VideoConfig } from './config/video.js';
import { DetectConfig } from './config/detect.js';
import { StoreConfig } from './config/store.js';

export * from './config/cameras.js';
export * from './config/server.js';
export * from './config/video.js';
export * from './config/detect.js';
export * from './config/store.js';

/**
 * The whole configuration of a Vigil installation. One strict schema: unknown keys are rejected, every field has a
 * description and a default fit for a single site. Secrets are never part of it; they come from the environment.
 */
export const VigilConfig = z
  .strictObject({
    dataDir: z
      .string()
      .default('')
      .describe(
        'Folder for recordings, the event database and snapshots. Empty: "data" inside the application data folder.',
      ),
    server: ServerConfig,
    logging: LoggingConfig,
    video: VideoConfig,
    cameras: z
      .array(CameraConfig)
      .default([CameraConfig.parse(DEMO_CAMERA)])
      .refine((cams) => new Set(cams.map((c) => c.id)).size === cams.length, 'camera ids must be unique')
      .describe('Cameras. The default is one demo camera playing the bundled footage.'),
    detect: DetectConfig,
    store: StoreConfig,
  })
  .describe('Vigil configuration');

/** The validated configuration with every default filled in. */
export type VigilConfig = z.infer<typeof VigilConfig>;
/** What a configuration file may contain (everything optional). */
export type VigilConfigInput = z.input<typeof VigilConfig>;
