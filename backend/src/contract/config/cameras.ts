import { z } from 'zod';

/** Safe identifier: used in URLs, file names and bus keys. */
export const CameraId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, "-" and "_", at most 63 characters')
  .describe('Stable identifier used in URLs, file names and bus keys.');

const EnvVarName = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name such as VIGIL_CAM_DOCK_PASSWORD');

/** Where a camera stream comes from. */
export const StreamSource = z
  .discriminatedUnion('kind', [
    z
      .strictObject({
        kind: z.literal('rtsp').describe('Source kind.'),
        url: z
          .string()
          .regex(/^rtsps?:\/\//, 'an rtsp:// or rtsps:// URL')
          .describe('RTSP URL. Credentials may be embedded; they are never logged.'),
        transport: z
          .enum(['tcp', 'udp'])
          .default('tcp')
          .describe('RTP transport; TCP survives lossy networks.'),
        username: z.string().optional().describe('User name, when not embedded in the URL.'),
        passwordEnv: EnvVarName.optional().describe(
          'Name of the environment variable holding the password (secrets never live in config files).',
        ),
      })
      .describe('An IP camera or NVR channel over RTSP.'),
    z
      .strictObject({
        kind: z.literal('url').describe('Source kind.'),
        url: z
          .string()
          .regex(/^(https?|rtmp|srt|udp|tcp):\/\//, 'an http(s), rtmp, srt, udp or tcp URL')
          .describe('Any input ffmpeg reads: HTTP MJPEG, HLS playlist, RTMP, SRT, MPEG-TS over UDP.'),
      })
      .describe('Any other network input ffmpeg understands.'),
    z
      .strictObject({
        kind: z.literal('file').describe('Source kind.'),
        path: z
          .string()
          .min(1)
          .describe('Video file; relative paths are resolved against the Vigil installation folder.'),
        loop: z
          .boolean()
          .default(true)
          .describe('Play the file in a loop at its native rate, like a live camera.'),
      })
      .describe('A local video file played as if it were a live camera.'),
    z
      .strictObject({
        kind: z.literal('testPattern').describe('Source kind.'),
        width: z.int().min(64).max(3840).default(640).describe('Width in pixels.'),
        height: z.int().min(64).max(2160).default(360).describe('Height in pixels.'),
        fps: z.int().min(1).max(60).default(10).describe('Frames per second.'),
      })
      .describe('A generated test pattern (no camera needed).'),
  ])
  .describe('The source of a stream.');
export type StreamSource = z.infer<typeof StreamSource>;

/** One camera. */
export const CameraConfig = z
  .strictObject({
    id: CameraId,
    name: z.string().min(1).max(120).describe('Name shown to operators.'),
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
    tags: z.array(z.string().min(1).max(40)).default([]).describe('Free tags, e.g. "outdoor", "entrance".'),
    location: z.string().max(200).default('').describe('Where the camera is, in words.'),
  })
  .describe('A camera.');
export type CameraConfig = z.infer<typeof CameraConfig>;

/** The camera every fresh installation shows: the bundled plaza footage played in a loop. */
export const DEMO_CAMERA: z.input<typeof CameraConfig> = {
  id: 'demo-plaza',
  name: 'Demo plaza',
  main: { kind: 'file', path: 'assets/demo/vtest-h264.mp4', loop: true },
  tags: ['demo'],
  location: 'Bundled sample footage (OpenCV vtest)',
};
