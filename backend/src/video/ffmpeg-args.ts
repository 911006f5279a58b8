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

/** The source's URL with credentials filled in (user from config, password from the environment). */
export function sourceUrl(source: StreamSource, env: NodeJS.ProcessEnv): string {
  if (source.kind !== 'rtsp') return source.kind === 'url' ? source.url : '';
  const url = new URL(source.url);
  if (source.username) url.username = encodeURIComponent(source.username);
  if (source.passwordEnv) {
    const pw = env[source.passwordEnv];
    if (pw === undefined)
      throw new Error(`the environment variable ${source.passwordEnv} (camera password) is not set`);
    url.password = encodeURIComponent(pw);
  }
  return url.toString();
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

function inputArgs(source: StreamSource, env: NodeJS.ProcessEnv): string[] {
  switch (source.kind) {
    case 'rtsp':
      return ['-rtsp_transport', source.transport, '-timeout', '5000000', '-i', sourceUrl(source, env)];
    case 'url':
      return ['-rw_timeout', '5000000', '-i', source.url];
    case 'file':
      return ['-re', ...(source.loop ? ['-stream_loop', '-1'] : []), '-i', resolveInstallPath(source.path)];
    case 'testPattern':
      return [
        '-re',
        '-f',
        'lavfi',
        '-i',
        `testsrc2=size=${source.width}x${source.height}:rate=${source.fps}`,
      ];
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

/** ffmpeg arguments for one stream with its outputs; also the output index of the analysis output. */
export function buildFfmpegArgs(
  source: StreamSource,
  plan: OutputPlan,
  env: NodeJS.ProcessEnv = process.env,
): { args: string[]; analysisOutputIndex: number | undefined } {
  const args = [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'info',
    '-stats_period',
    '1',
    ...inputArgs(source, env),
  ];
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
  return { args, analysisOutputIndex };
}
