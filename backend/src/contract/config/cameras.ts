import { z } from 'zod';
import { boundedString, EnvVarName, Limits } from './limits.js';

/** Safe identifier: used in URLs, file names and bus keys. */
export const CameraId = z
  .string()
  .max(63)
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, "-" and "_", at most 63 characters')
  .describe('Stable identifier used in URLs, file names and bus keys.');

const Username = boundedString(Limits.token).describe(
  'User name for the camera. A user name typed into the URL is moved here when the camera is saved.',
);

const RtspSource = z
  .strictObject({
    kind: z.literal('rtsp').describe('Source kind.'),
    url: boundedString(Limits.url)
      .regex(/^rtsps?:\/\//, 'an rtsp:// or rtsps:// URL')
      .describe(
        'RTSP URL. A user name and password typed into it are split out when the camera is saved through the API: ' +
          'the password goes to the secret store, never into the stored URL.',
      ),
    transport: z.enum(['tcp', 'udp']).default('tcp').describe('RTP transport; TCP survives lossy networks.'),
    username: Username.optional(),
    passwordEnv: EnvVarName.optional().describe(
      'Name of the environment variable holding the password (secrets never live in config files).',
    ),
  })
  .describe('An IP camera or NVR channel over RTSP.');

const UrlSource = z
  .strictObject({
    kind: z.literal('url').describe('Source kind.'),
    url: boundedString(Limits.url)
      .regex(/^(https?|rtmp|srt|udp|tcp):\/\//, 'an http(s), rtmp, srt, udp or tcp URL')
      .describe('Any input ffmpeg reads: HTTP MJPEG, HLS playlist, RTMP, SRT, MPEG-TS over UDP.'),
    username: Username.optional(),
    passwordEnv: EnvVarName.optional().describe('Name of the environment variable holding the password.'),
  })
  .describe('Any other network input ffmpeg understands.');

const FileSource = z
  .strictObject({
    kind: z.literal('file').describe('Source kind.'),
    path: boundedString(Limits.path)
      .min(1)
      .describe(
        'Video file; relative paths are resolved against the Vigil installation folder. Through the API only files ' +
          'inside video.mediaFolders are accepted.',
      ),
    loop: z
      .boolean()
      .default(true)
      .describe('Play the file in a loop at its native rate, like a live camera.'),
  })
  .describe('A local video file played as if it were a live camera.');

const TestPatternSource = z
  .strictObject({
    kind: z.literal('testPattern').describe('Source kind.'),
    width: z.int().min(64).max(3840).default(640).describe('Width in pixels.'),
    height: z.int().min(64).max(2160).default(360).describe('Height in pixels.'),
    fps: z.int().min(1).max(60).default(10).describe('Frames per second.'),
  })
  .describe('A generated test pattern (no camera needed).');

/** Where a camera stream comes from. */
export const StreamSource = z
  .discriminatedUnion('kind', [RtspSource, UrlSource, FileSource, TestPatternSource])
  .describe('The source of a stream.');
export type StreamSource = z.infer<typeof StreamSource>;

const cameraFields = {
  id: CameraId,
  name: boundedString(120).min(1).describe('Name shown to operators.'),
  enabled: z.boolean().default(true).describe('A disabled camera is listed but not connected.'),
  main: StreamSource.describe('Main stream: recorded and shown live, never re-encoded.'),
  sub: StreamSource.optional().describe('Optional low-resolution sub stream used for analysis.'),
  record: z.boolean().default(true).describe('Record the main stream to the video store.'),
  analysis: z
    .strictObject({
      enabled: z.boolean().default(true).describe('Run motion and object detection on this camera.'),
      fps: z.number().min(0.2).max(30).default(5).describe('Frames per second handed to detection.'),
      width: z
        .int()
        .min(64)
        .max(1920)
        .default(640)
        .describe('Width of analysis frames in pixels; height keeps the aspect ratio.'),
    })
    .prefault({})
    .describe('Analysis frames for motion and object detection.'),
  tags: z
    .array(boundedString(40).min(1))
    .max(32)
    .default([])
    .describe('Free tags, e.g. "outdoor", "entrance".'),
  location: boundedString(Limits.name).default('').describe('Where the camera is, in words.'),
};

/** One camera. */
export const CameraConfig = z.strictObject(cameraFields).describe('A camera.');
export type CameraConfig = z.infer<typeof CameraConfig>;

/**
 * The write-only and read-only credential fields of a network source in the camera API. `password`: a new password
 * (absent or empty: keep the stored one; null: remove it). `passwordSet`: what GET answered; ignored on input.
 */
const credentialFields = {
  password: boundedString(Limits.secret)
    .nullable()
    .optional()
    .describe('Write-only. A new password; empty or absent keeps the stored one, null removes it.'),
  passwordSet: z.boolean().optional().describe('Read-only: whether a password is stored. Ignored on input.'),
};

/** A stream source as the camera API accepts it: the stored fields plus a write-only password. */
export const StreamSourceInput = z
  .discriminatedUnion('kind', [
    RtspSource.extend(credentialFields),
    UrlSource.extend(credentialFields),
    FileSource,
    TestPatternSource,
  ])
  .describe('The source of a stream, with an optional new password.');
export type StreamSourceInput = z.infer<typeof StreamSourceInput>;

/** POST /api/cameras and PUT /api/cameras/:id body. */
export const CameraInput = z
  .strictObject({
    ...cameraFields,
    main: StreamSourceInput.describe('Main stream.'),
    sub: StreamSourceInput.optional().describe('Optional sub stream used for analysis.'),
  })
  .describe('A camera as the API accepts it.');
export type CameraInput = z.infer<typeof CameraInput>;

/** A stream source as the API shows it: never a password, only whether one is stored. */
export type StreamSourceView = StreamSource & { passwordSet?: boolean };

/** A camera as the API shows it. */
export type CameraView = Omit<CameraConfig, 'main' | 'sub'> & {
  main: StreamSourceView;
  sub?: StreamSourceView;
};

/** The camera every fresh installation shows: the bundled plaza footage played in a loop. */
export const DEMO_CAMERA: z.input<typeof CameraConfig> = {
  id: 'demo-plaza',
  name: 'Demo plaza',
  main: { kind: 'file', path: 'assets/demo/vtest-h264.mp4', loop: true },
  tags: ['demo'],
  location: 'Bundled sample footage (OpenCV vtest)',
};
