import { spawn } from 'node:child_process';
import type { StreamSource } from '../contract/config/cameras.js';
import type { ProbeResponse } from '../contract/video-api.js';
import { buildFfmpegArgs, sourceLabel } from './ffmpeg-args.js';
import { classifyLine, FfmpegLogReader } from './ffmpeg-diagnostics.js';
import { trackChild } from '../platform/child-tracker.js';

/** Opens a source once, like the "test" button: codec, size, frame rate and one JPEG frame, or the reason it failed. */
export async function probeSource(
  ffmpeg: string,
  source: StreamSource,
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 15_000,
): Promise<ProbeResponse> {
  let inputArgs: string[];
  try {
    // The input part of the camera's own command line, so the probe opens the source exactly as recording will.
    const { args } = buildFfmpegArgs(source, {}, env);
    inputArgs = args.filter((a) => a !== '-re');
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  const label = sourceLabel(source);
  const child = trackChild(
    spawn(
      ffmpeg,
      [...inputArgs, '-map', '0:v:0', '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'mjpeg', 'pipe:1'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
      },
    ),
  );
  const reader = new FfmpegLogReader();
  let problem: string | undefined;
  const jpeg: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => jpeg.push(d));
  let rest = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    const lines = (rest + chunk).split(/[\r\n]+/);
    rest = lines.pop() ?? '';
    for (const line of lines) {
      reader.read(line);
      problem ??= classifyLine(line, label)?.reason;
    }
  });
  const timer = setTimeout(() => {
    problem ??= `no picture from ${label} within ${Math.round(timeoutMs / 1000)} s`;
    child.kill('SIGKILL');
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  const { codec, width, height, fps } = reader.info;
  if (code !== 0 || jpeg.length === 0 || !codec || !width || !height) {
    return { ok: false, reason: problem ?? `could not read video from ${label}` };
  }
  return {
    ok: true,
    codec,
    width,
    height,
    fps: fps ?? 0,
    snapshotJpegBase64: Buffer.concat(jpeg).toString('base64'),
  };
}
