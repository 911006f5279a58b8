import { z } from 'zod';

/** Recording, live view, reconnection and retention settings shared by every camera. */
export const VideoConfig = z
  .strictObject({
    segmentSeconds: z
      .int()
      .min(2)
      .max(600)
      .default(10)
      .describe('Length of each recorded MP4 segment in seconds (cut at the next keyframe).'),
    liveFragmentMs: z
      .int()
      .min(100)
      .max(5000)
      .default(500)
      .describe('Longest fragment of the live fMP4 stream; shorter means lower live latency.'),
    stallSeconds: z
      .int()
      .min(3)
      .max(300)
      .default(10)
      .describe('A stream that sends no video for this long is restarted ("no video for N s").'),
    reconnect: z
      .strictObject({
        initialDelayMs: z.int().min(100).max(60_000).default(1000).describe('First reconnection delay.'),
        maxDelayMs: z
          .int()
          .min(1000)
          .max(300_000)
          .default(30_000)
          .describe('Longest delay between reconnection attempts (exponential backoff with jitter).'),
        failAfterAttempts: z
          .int()
          .min(1)
          .max(1_000_000)
          .default(1_000_000)
          .describe(
            'Attempts after which a camera is marked failed instead of reconnecting (it keeps retrying).',
          ),
      })
      .prefault({})
      .describe('Reconnection after a camera drops.'),
    retention: z
      .strictObject({
        maxAgeDays: z
          .number()
          .min(0)
          .default(30)
          .describe('Footage older than this is deleted (0: no age limit).'),
        perCameraMaxAgeDays: z
          .record(z.string(), z.number().min(0))
          .default({})
          .describe('Per-camera maximum age in days, by camera id, overriding maxAgeDays.'),
        maxBytes: z
          .number()
          .min(0)
          .default(0)
          .describe(
            'Disk budget for all recordings in bytes (0: no byte budget). Oldest footage goes first.',
          ),
        minFreePercent: z
          .number()
          .min(0)
          .max(90)
          .default(5)
          .describe('Keep at least this share of the recording disk free, deleting the oldest footage.'),
        intervalSeconds: z.int().min(1).max(3600).default(60).describe('How often retention runs.'),
      })
      .prefault({})
      .describe('What is deleted and when. Held footage (retained events, exported clips) is never deleted.'),
  })
  .prefault({})
  .describe('Video pipeline: recording, live view, reconnection and retention.');
export type VideoConfig = z.infer<typeof VideoConfig>;
