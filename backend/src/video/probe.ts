import { spawn, type ChildProcess } from 'node:child_process';
import type { StreamSource } from '../contract/config/cameras.js';
import type { ProbeResponse } from '../contract/video-api.js';
import type { Writable } from 'node:stream';
import { buildFfmpegArgs, INPUT_DESCRIPTION_FD, resolvePassword, sourceLabel } from './ffmpeg-args.js';
import { classifyLine, FfmpegLogReader } from './ffmpeg-diagnostics.js';
import { trackChild } from '../platform/child-tracker.js';

/**
 * Opens a source once, like the "test" button: codec, size, frame rate and one JPEG frame, or the reason it failed.
 * `password`: the stream's password (typed into the form or kept in the secret store); it reaches ffmpeg on a pipe.
 */
export async function probeSource(
  ffmpeg: string,
  source: StreamSource,
  password?: string,
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 15_000,
): Promise<ProbeResponse> {
  let inputArgs: string[];
  let description: string | undefined;
  try {
    // The input part of the camera's own command line, so the probe opens the source exactly as recording will.
    const built = buildFfmpegArgs(source, {}, resolvePassword(source, password, env));
    inputArgs = built.args.filter((a) => a !== '-re');
    description = built.inputDescription;
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  const label = sourceLabel(source);
  let problem: string | undefined;
  let child: ChildProcess;
  try {
    child = trackChild(
      spawn(
        ffmpeg,
        [...inputArgs, '-map', '0:v:0', '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'mjpeg', 'pipe:1'],
        {
          stdio: [
            'ignore',
            'pipe',
            'pipe',
            'ignore',
            'ignore',
            description !== undefined ? 'pipe' : 'ignore',
          ],
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
        },
      ),
    );
  } catch (err) {
    return { ok: false, reason: `could not start ffmpeg: ${(err as Error).message}` };
  }
  const descriptionPipe = (child.stdio as unknown as Array<Writable | null | undefined>)[
    INPUT_DESCRIPTION_FD
  ];
  if (description !== undefined && descriptionPipe) {
    descriptionPipe.on('error', () => undefined);
    descriptionPipe.end(description);
  }
  child.once('error', (err) => {
    problem ??= `could not start ffmpeg: ${err.message}`;
  });
  const reader = new FfmpegLogReader();
  const jpeg: Buffer[] = [];
  child.stdout?.on('data', (d: Buffer) => jpeg.push(d));
  let rest = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
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
