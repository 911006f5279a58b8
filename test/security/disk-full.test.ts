// A full disk must not lose event messages or recordings silently. The backend's data folder is a real, small
// tmpfs that the test fills with a file until the kernel answers ENOSPC ("No space left on device"), then frees:
// SQLite, ffmpeg and the video store meet the same full disk they would on a site. Mounting needs root (CI runs
// the suite as root); elsewhere the test is skipped with that reason, and in CI it fails instead.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAccount, logInBrowser } from '../fixtures/backend.js';
import { Topics } from '../../backend/src/contract/bus.js';
import type { HealthResponse } from '../../backend/src/contract/api.js';
import { VigilConfig } from '../../backend/src/contract/config.js';
import type { VigilEvent } from '../../backend/src/contract/events.js';
import type { CameraStatus } from '../../backend/src/contract/video-api.js';
import { inspectRuntime } from '../../backend/src/platform/binaries.js';
import { startLocalApp, type RunningApp } from '../../backend/src/roles/local.js';
import { CHROMIUM_INSTALL_HINT, chromiumAvailable, launchChromium } from '../fixtures/browser.js';
import { REPO_ROOT, VTEST_H264 } from '../fixtures/media.js';
import { skipWithout } from '../fixtures/require.js';
import { waitFor } from '../helpers/video.js';

const TOKEN = 'disk-full-test-token-0123456789';
const CAMERA = 'plaza';
const EVENTS = 40;

/** Mounts a tmpfs of `size` at a new folder, or says why it cannot. */
function mountTmpfs(size: string): { dir: string } | { error: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-full-disk-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], {
    encoding: 'utf8',
  });
  if (r.status === 0) return { dir };
  fs.rmSync(dir, { recursive: true, force: true });
  return { error: (r.stderr || r.error?.message || `mount exited ${r.status}`).trim() };
}

const probe = mountTmpfs('1m');
if ('dir' in probe) {
  execFileSync('umount', [probe.dir]);
  fs.rmSync(probe.dir, { recursive: true, force: true });
}
const skip =
  skipWithout(
    `a small tmpfs to fill (mount -t tmpfs: ${'error' in probe ? probe.error : 'ok'})`,
    'dir' in probe,
    'run the tests as root, as CI does',
  ) || skipWithout('headless Chromium', chromiumAvailable(), CHROMIUM_INSTALL_HINT);

/** Writes 1 MiB chunks into `file` until the file system answers ENOSPC; returns the bytes written. */
function fillDisk(file: string): number {
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(1024 * 1024, 0x5a);
  let written = 0;
  try {
    for (;;) written += fs.writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    fs.closeSync(fd);
  }
  return written;
}

/** An ended event as the detection stage publishes it, with a long box path (it needs new database pages). */
function event(i: number): VigilEvent {
  const t = Date.now() - 60_000 + i * 100;
  return {
    id: `disk-full-${i}`,
    cameraId: CAMERA,
    label: 'person',
    phase: 'end',
    startTs: t,
    lastTs: t + 5000,
    endTs: t + 5000,
    topScore: 0.9,
    box: [0.1, 0.2, 0.3, 0.6],
    zones: [],
    path: Array.from({ length: 500 }, (_, k) => ({ ts: t + k * 10, box: [0.1, 0.2, 0.3, 0.6], score: 0.8 })),
  };
}

/** Every recording file under the data folder's video store, as store keys. */
function recordingFiles(dataDir: string): string[] {
  const root = path.join(dataDir, 'recordings');
  if (!fs.existsSync(root)) return [];
  return (fs.readdirSync(root, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.mp4'))
    .map((f) => f.split(path.sep).join('/'))
    .sort();
}

describe.skipIf(skip)('a full disk (a real tmpfs filled to ENOSPC)', () => {
  let dataDir: string;
  let app: RunningApp;
  let browser: Browser | undefined;
  const filler = () => path.join(dataDir, 'filler.bin');
  const get = async <T>(p: string): Promise<T> => {
    const res = await fetch(`${app.url}${p}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    if (!res.ok) throw new Error(`GET ${p}: ${res.status}`);
    return (await res.json()) as T;
  };
  const health = () => get<HealthResponse>('/healthz');
  const camera = async () => (await get<CameraStatus[]>('/api/cameras')).find((c) => c.id === CAMERA)!;
  const storedEvents = async () => (await get<{ total: number }>('/api/events?limit=1')).total;
  const indexedKeys = () =>
    app.video.index
      .segments(CAMERA, 0, Date.now() + 60_000)
      .map((s) => s.key)
      .sort();

  beforeAll(async () => {
    // The UI is served from dist/renderer (npm test builds it first); build it here when it is missing or older
    // than the header's disk-full notice.
    const assets = path.join(REPO_ROOT, 'dist/renderer/assets');
    const built =
      fs.existsSync(assets) &&
      fs
        .readdirSync(assets)
        .some(
          (f) =>
            f.endsWith('.js') &&
            fs.readFileSync(path.join(assets, f), 'utf8').includes('Disk full: recording'),
        );
    if (!built) {
      const r = spawnSync(
        process.execPath,
        [path.join(REPO_ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'],
        { cwd: REPO_ROOT, stdio: 'inherit' },
      );
      if (r.status !== 0) throw new Error('renderer build failed');
    }
    const mounted = mountTmpfs('40m');
    if (!('dir' in mounted)) throw new Error(mounted.error);
    dataDir = mounted.dir;
    app = await startLocalApp({
      config: VigilConfig.parse({
        server: { port: 0 },
        logging: { level: 'warn' },
        detect: { enabled: false },
        video: { segmentSeconds: 2, reconnect: { initialDelayMs: 300, maxDelayMs: 1500 } },
        cameras: [
          {
            id: CAMERA,
            name: 'Plaza',
            main: { kind: 'file', path: VTEST_H264 },
            analysis: { enabled: false },
          },
        ],
      }),
      dataDir,
      runtime: inspectRuntime(),
      token: TOKEN,
      rendererDir: path.join(REPO_ROOT, 'dist/renderer'),
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.dispose();
    if (dataDir) {
      spawnSync('umount', ['-l', dataDir]);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('says "disk full" while full, keeps every event and segment, and writes them all once space returns', async () => {
    await waitFor('a first indexed segment', () => indexedKeys().length >= 1, 30_000);
    expect((await health()).status).toBe('ok');

    // The guard who will look at the header signs up while there is room (an account is written to disk too).
    await ensureAccount({ url: app.url, token: TOKEN });
    // The disk fills up (another program, a growing log …).
    const filled = fillDisk(filler());
    expect(filled).toBeGreaterThan(0);
    expect(fs.statfsSync(dataDir).bavail).toBeLessThan(4);

    // The detection stage publishes events meanwhile, on the real in-process bus.
    for (let i = 0; i < EVENTS; i++) await app.bus.publish(Topics.events, CAMERA, event(i));

    // Health turns degraded and says why, in words, for the event store and for recording.
    const full = await waitFor(
      'health to say disk full',
      async () => {
        const h = await health();
        return (
          h.status === 'degraded' &&
          /disk full/.test(h.services.store?.detail ?? '') &&
          /disk full/.test(h.services.video?.detail ?? '') &&
          h
        );
      },
      30_000,
    );
    expect(full.services.store?.detail).toMatch(/disk full: \d+ events waiting to be written/);
    // The camera is not shown as recording while nothing can be stored.
    const cam = await waitFor('camera not recording', async () => {
      const c = await camera();
      return !c.recording && c;
    });
    expect(cam.reason).toMatch(/disk full/);
    // Nothing was written (the disk really is full). A search, which must write its audit entry, is refused with
    // a clear answer instead of a bare 500; health and the camera list still answer.
    const search = await fetch(`${app.url}/api/events?limit=1`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(search.status).toBe(503);
    expect(await search.json()).toMatchObject({ error: 'disk_full', message: /data disk is full/ });

    // The header of the UI says so, on every view.
    const context = await browser!.newContext();
    await logInBrowser(context, { url: app.url, token: TOKEN });
    const page = await context.newPage();
    await page.goto(app.url);
    const notice = page.getByRole('alert').filter({ hasText: 'Disk full' });
    await notice.waitFor({ timeout: 20_000 });
    expect(await notice.textContent()).toMatch(/Disk full: recording paused/);
    await page.screenshot({ path: path.join(os.tmpdir(), 'vigil-disk-full.png') });

    // Space returns.
    fs.rmSync(filler());

    // Every event published while the disk was full is stored: none was dropped.
    await waitFor('all events written', async () => (await storedEvents()) === EVENTS, 30_000);
    const ids = new Set<string>();
    const page1 = await get<{ items: Array<{ id: string }> }>(`/api/events?limit=100`);
    for (const e of page1.items) ids.add(e.id);
    for (let i = 0; i < EVENTS; i++) expect(ids.has(`disk-full-${i}`)).toBe(true);

    // Recording resumes, and every segment file on the disk is in the index (none left unfindable).
    const resumedAt = Date.now();
    await waitFor(
      'a segment recorded after the disk was freed',
      () => app.video.index.segments(CAMERA, resumedAt, Date.now() + 60_000).length >= 1,
      30_000,
    );
    await waitFor(
      'every recording file indexed',
      () => {
        const files = recordingFiles(dataDir);
        const keys = new Set(indexedKeys());
        return files.length > 0 && files.every((f) => keys.has(f));
      },
      15_000,
    );
    const ok = await waitFor('health ok again', async () => (await health()).status === 'ok', 30_000);
    expect(ok).toBe(true);
    expect((await camera()).recording).toBe(true);
    await notice.waitFor({ state: 'detached', timeout: 20_000 });
    await context.close();
  });
});

// A backend that stopped while the disk was still full had segment files stored whose index entries were waiting
// in memory. The test makes that state directly (it deletes the last segments' index rows while the backend is
// stopped, leaving their files), since the moment a segment completes as the disk fills cannot be chosen.
describe('segment files with no index entry are indexed at the next start (index rows deleted by the test)', () => {
  it('finds them on the disk and indexes them with their real length', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-unindexed-'));
    const config = VigilConfig.parse({
      server: { port: 0 },
      logging: { level: 'warn' },
      detect: { enabled: false },
      video: { segmentSeconds: 2 },
      cameras: [
        { id: CAMERA, name: 'Plaza', main: { kind: 'file', path: VTEST_H264 }, analysis: { enabled: false } },
      ],
    });
    const start = () => startLocalApp({ config, dataDir, runtime: inspectRuntime(), token: TOKEN });
    let app = await start();
    const indexed = () => app.video.index.segments(CAMERA, 0, Date.now() + 60_000);
    try {
      await waitFor('three indexed segments', () => indexed().length >= 3, 30_000);
      const lost = indexed().slice(-2);
      await app.dispose();
      const db = new Database(path.join(dataDir, 'recordings.sqlite'));
      for (const s of lost) db.prepare('DELETE FROM segments WHERE key = ?').run(s.key);
      db.close();

      app = await start();
      const after = new Map(indexed().map((s) => [s.key, s]));
      for (const f of recordingFiles(dataDir)) expect(after.has(f)).toBe(true);
      // Each is back with its real length from the file (ffprobe), within a frame of what the recorder indexed.
      for (const s of lost) {
        const again = after.get(s.key)!;
        expect(again.start).toBe(s.start);
        expect(Math.abs(again.end - again.start - (s.end - s.start))).toBeLessThanOrEqual(150);
        expect(again.bytes).toBe(s.bytes);
      }
    } finally {
      await app.dispose();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
