import { z } from 'zod';
import { boundedString, Limits } from './limits.js';

const HostRule = boundedString(Limits.token + 6)
  .min(1)
  .regex(/^\S+$/, 'a host name, an address, host:port or a CIDR range such as 10.0.0.0/8')
  .describe(
    'A host name ("cam1.site.lan", "*.site.lan"), an address, host:port, or a CIDR range ("10.0.0.0/8").',
  );

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
          .max(36_500)
          .default(30)
          .describe('Footage older than this is deleted (0: no age limit).'),
        perCameraMaxAgeDays: z
          .record(boundedString(63), z.number().min(0).max(36_500))
          .refine((r) => Object.keys(r).length <= Limits.cameras, `at most ${Limits.cameras} cameras`)
          .default({})
          .describe('Per-camera maximum age in days, by camera id, overriding maxAgeDays.'),
        maxBytes: z
          .number()
          .min(0)
          .max(Number.MAX_SAFE_INTEGER)
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
    mediaFolders: z
      .array(boundedString(Limits.path).min(1))
      .max(Limits.list)
      .default(['assets/demo'])
      .describe(
        'Folders whose video files may be played as file cameras; relative paths are taken from the installation ' +
          'folder. The default holds the bundled demo footage. A file camera added through the API must lie inside ' +
          'one of them (files named by cameras of this configuration file are allowed as well).',
      ),
    networkSources: z
      .strictObject({
        allow: z
          .array(HostRule)
          .max(Limits.list)
          .default([])
          .describe('When not empty, camera URLs may only reach these hosts. Empty: any host not denied.'),
        deny: z
          .array(HostRule)
          .max(Limits.list)
          .default(['169.254.0.0/16', 'fe80::/10', '0.0.0.0/8', 'metadata.google.internal'])
          .describe(
            'Hosts camera URLs may never reach, even when allowed; the default blocks link-local addresses, among ' +
              'them the cloud metadata service 169.254.169.254.',
          ),
        loopbackPorts: z
          .union([z.literal('any'), z.array(z.int().min(1).max(65_535)).max(Limits.list)])
          .default([554, 8554])
          .describe(
            'Ports of this machine (127.0.0.0/8, ::1, localhost) camera URLs may reach: a local RTSP relay, not ' +
              "Vigil's own API, Redis or other local services. An allow entry naming the loopback host also admits " +
              'it. "any": every port.',
          ),
      })
      .prefault({})
      .describe(
        'Which hosts RTSP and URL cameras added or probed through the API may reach (cameras of this configuration ' +
          'file are the administrator’s own and are not checked). Host names are resolved and every address checked.',
      ),
  })
  .prefault({})
  .describe('Video pipeline: recording, live view, reconnection and retention.');
export type VideoConfig = z.infer<typeof VideoConfig>;

/** PUT /api/retention body: the global age limit (the other retention settings stay in the configuration file). */
export const RetentionUpdate = z
  .strictObject({
    maxAgeDays: z
      .number()
      .min(0)
      .max(36_500)
      .describe('Footage older than this is deleted (0: no age limit).'),
  })
  .describe('A change of the global retention made in the UI.');
export type RetentionUpdate = z.infer<typeof RetentionUpdate>;

/** PUT /api/retention/cameras/:id body. */
export const CameraRetentionUpdate = z
  .strictObject({
    maxAgeDays: z
      .number()
      .min(0)
      .max(36_500)
      .nullable()
      .describe("The camera's own age limit in days (0: none); null: follow the global one."),
  })
  .describe("A change of one camera's retention made in the UI.");
export type CameraRetentionUpdate = z.infer<typeof CameraRetentionUpdate>;
