import path from 'node:path';
import type { StreamSource } from '../contract/config/cameras.js';
import { resolveInstallPath } from '../platform/paths.js';

/** Outputs of one ffmpeg process; each is optional. The numbers are the file descriptors ffmpeg writes to. */
export interface OutputPlan {
  /** Fixed-length MP4 segments into `dir`, their list as CSV lines on fd 4. */
  record?: { dir: string; prefix: string; segmentSeconds: number };
  /** Fragmented MP4 on fd 1. */
  live?: { fragmentMs: number };
  /** Raw rgb24 frames on fd 3. */
  analysis?: { fps: number; width: number };
}

export const LIVE_FD = 1;
export const ANALYSIS_FD = 3;
export const SEGMENT_LIST_FD = 4;

/** File descriptor on which ffmpeg reads the description of an input that carries a password. */
export const INPUT_DESCRIPTION_FD = 5;

/** Protocols a described network input may use (the description itself arrives on a pipe). */
const DESCRIBED_INPUT_PROTOCOLS =
  'pipe,rtsp,rtsps,rtp,srtp,tcp,udp,tls,http,https,httpproxy,hls,crypto,rtmp,rtmps,srt';

/** The source's URL with the user name and (when given) the password filled in. */
export function sourceUrl(source: StreamSource, password?: string): string {
  if (source.kind !== 'rtsp' && source.kind !== 'url') return '';
  const url = new URL(source.url);
  if (source.username) url.username = encodeURIComponent(source.username);
  if (password !== undefined) url.password = encodeURIComponent(password);
  return url.toString();
}

/**
 * The password of a network source: the one kept in the secret store, else the one in the environment variable the
 * configuration names. Throws when the variable is named but not set.
 */
export function resolvePassword(
  source: StreamSource,
  stored: string | undefined,
  env: NodeJS.ProcessEnv,
): string | undefined {
  if (source.kind !== 'rtsp' && source.kind !== 'url') return undefined;
  if (stored) return stored;
  if (!source.passwordEnv) return undefined;
  const pw = env[source.passwordEnv];
  if (pw === undefined)
    throw new Error(`the environment variable ${source.passwordEnv} (camera password) is not set`);
  return pw;
}

/** Quotes a value for an ffconcat directive. */
function ffconcatQuote(value: string): string {
  return `'${value.replace(/'/g, "'\\''")}'`;
}

/** What to call the source in messages: host:port or the file name; never credentials. */
export function sourceLabel(source: StreamSource): string {
  switch (source.kind) {
    case 'rtsp':
    case 'url':
      try {
        const u = new URL(source.url);
        return u.port ? `${u.hostname}:${u.port}` : u.hostname;
      } catch {
        return 'the camera URL';
      }
    case 'file':
      return path.basename(source.path);
    case 'testPattern':
      return 'test pattern';
  }
}

/** The input part of the command line, and the input description ffmpeg reads on a pipe (when there is one). */
function inputArgs(
  source: StreamSource,
  password: string | undefined,
): { args: string[]; description?: string } {
  switch (source.kind) {
    case 'rtsp':
    case 'url': {
      const options: Array<[string, string]> =
        source.kind === 'rtsp'
          ? [
              ['rtsp_transport', source.transport],
              ['timeout', '5000000'],
            ]
          : [['rw_timeout', '5000000']];
      if (!source.username && password === undefined)
        return { args: [...options.flatMap(([k, v]) => [`-${k}`, v]), '-i', source.url] };
      // A URL with credentials never goes on the command line, where every local user can read it
      // (/proc/<pid>/cmdline). ffmpeg reads it from a one-entry ffconcat list on a pipe instead; the list's
      // "option" directives carry the input options (https://ffmpeg.org/ffmpeg-formats.html#concat-1).
      const description = [
        'ffconcat version 1.0',
        `file ${ffconcatQuote(sourceUrl(source, password))}`,
        ...options.map(([k, v]) => `option ${k} ${ffconcatQuote(v)}`),
        '',
      ].join('\n');
      return {
        args: [
          '-protocol_whitelist',
          DESCRIBED_INPUT_PROTOCOLS,
          '-f',
          'concat',
          '-safe',
          '0',
          '-i',
          `pipe:${INPUT_DESCRIPTION_FD}`,
        ],
        description,
      };
    }
    case 'file':
      return {
        args: ['-re', ...(source.loop ? ['-stream_loop', '-1'] : []), '-i', resolveInstallPath(source.path)],
      };
    case 'testPattern':
      return {
        args: [
          '-re',
          '-f',
          'lavfi',
          '-i',
          `testsrc2=size=${source.width}x${source.height}:rate=${source.fps}`,
        ],
      };
  }
}

/** How the stored and shown video is produced: copied as the camera sent it, except the generated test pattern. */
function videoCodecArgs(source: StreamSource): string[] {
  if (source.kind !== 'testPattern') return ['-c:v', 'copy'];
  return [
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-tune',
    'zerolatency',
    '-pix_fmt',
    'yuv420p',
    '-g',
    String(source.fps * 2),
  ];
}

/**
 * ffmpeg arguments for one stream with its outputs; also the output index of the analysis output, and the input
 * description to write to fd INPUT_DESCRIPTION_FD when the source carries credentials (never in `args`).
 */
export function buildFfmpegArgs(
  source: StreamSource,
  plan: OutputPlan,
  password?: string,
): { args: string[]; analysisOutputIndex: number | undefined; inputDescription?: string } {
  const input = inputArgs(source, password);
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'info', '-stats_period', '1', ...input.args];
  let outputs = 0;
  let analysisOutputIndex: number | undefined;
  const codec = videoCodecArgs(source);
  if (plan.record) {
    args.push(
      '-map',
      '0:v:0',
      ...codec,
      '-an',
      '-f',
      'segment',
      '-segment_time',
      String(plan.record.segmentSeconds),
      '-segment_format',
      'mp4',
      '-reset_timestamps',
      '1',
      '-segment_list',
      `pipe:${SEGMENT_LIST_FD}`,
      '-segment_list_type',
      'csv',
      path.join(plan.record.dir, `${plan.record.prefix}-%06d.mp4`),
    );
    outputs++;
  }
  if (plan.live) {
    args.push(
      '-map',
      '0:v:0',
      ...codec,
      '-an',
      '-f',
      'mp4',
      '-movflags',
      'frag_keyframe+empty_moov+default_base_moof',
      '-frag_duration',
      String(plan.live.fragmentMs * 1000),
      `pipe:${LIVE_FD}`,
    );
    outputs++;
  }
  if (plan.analysis) {
    args.push(
      '-map',
      '0:v:0',
      '-an',
      '-vf',
      // start_time=0: analysis frame k is the picture at exactly k/fps s on the output time line, the time line of
      // the live fMP4 too, so frames can be stamped with the capture time of the live video's frame. A bilinear
      // scaler: the detector resizes again anyway, and it costs a quarter less than the default bicubic.
      `fps=${plan.analysis.fps}:start_time=0,scale=${plan.analysis.width}:-2:flags=bilinear`,
      '-pix_fmt',
      'rgb24',
      '-f',
      'rawvideo',
      `pipe:${ANALYSIS_FD}`,
    );
    analysisOutputIndex = outputs;
  }
  return input.description !== undefined
    ? { args, analysisOutputIndex, inputDescription: input.description }
    : { args, analysisOutputIndex };
}
