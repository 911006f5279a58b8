import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VigilConfig, type VigilConfigInput } from '../../backend/src/contract/config.js';
import { inspectRuntime } from '../../backend/src/platform/binaries.js';
import { startLocalApp, type RunningApp } from '../../backend/src/roles/local.js';

export const TOKEN = 'video-test-token-0123456789';

/** The real local backend (every stage embedded) in this process, on a free port and a temp data folder. */
export async function startTestApp(
  config: VigilConfigInput,
): Promise<RunningApp & { dataDir: string; cleanup(): Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-video-'));
  const app = await startLocalApp({
    config: VigilConfig.parse({ server: { port: 0 }, logging: { level: 'warn' }, ...config }),
    dataDir,
    runtime: inspectRuntime(),
    token: TOKEN,
  });
  return Object.assign(app, {
    dataDir,
    cleanup: async () => {
      await app.dispose();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

/** GET an API path as JSON with the session token. */
export async function apiGet<T>(app: { url: string }, p: string): Promise<T> {
  const res = await fetch(`${app.url}${p}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  if (!res.ok) throw new Error(`GET ${p}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Polls until `fn` returns a truthy value; fails with `what` after the timeout. */
export async function waitFor<T>(
  what: string,
  fn: () => T | Promise<T>,
  timeoutMs = 30_000,
  everyMs = 250,
): Promise<Exclude<T, false | '' | 0 | null | undefined>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as Exclude<T, false | '' | 0 | null | undefined>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Runs ffprobe without blocking the event loop (the backend under test runs in this process). */
function ffprobe(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('ffprobe', ['-v', 'error', ...args], (err, stdout, stderr) =>
      err
        ? reject(new Error(`ffprobe failed on ${args[args.length - 1]}: ${stderr}`))
        : resolve(stdout.trim()),
    ),
  );
}

/** Duration in seconds of a media file per ffprobe (reads the container; fails on an unplayable file). */
export async function ffprobeDuration(file: string): Promise<number> {
  return Number(await ffprobe(['-show_entries', 'format=duration', '-of', 'csv=p=0', file]));
}

/** Frames ffmpeg can decode from a file (a real playability check). */
export async function decodableFrames(file: string): Promise<number> {
  return Number(
    await ffprobe([
      '-count_frames',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=nb_read_frames',
      '-of',
      'csv=p=0',
      file,
    ]),
  );
}
