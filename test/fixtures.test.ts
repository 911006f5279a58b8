import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { CHROMIUM_INSTALL_HINT, chromiumAvailable, launchChromium } from './fixtures/browser.js';
import { spawnBackend } from './fixtures/backend.js';
import { REDIS_INSTALL_HINT, redisAvailable, spawnRedis, useRedis } from './fixtures/redis.js';
import { skipWithout } from './fixtures/require.js';
import { RTSP_INSTALL_HINT, RtspFixture, VTEST_H264, rtspFixtureAvailable } from './fixtures/rtsp.js';

/** ffprobe's view of a stream: codec and size, or the error it printed. */
function probe(url: string, transport: 'tcp' | 'udp' = 'tcp'): Promise<{ ok: boolean; text: string }> {
  return new Promise((resolve) => {
    const p = spawn(
      'ffprobe',
      [
        '-v',
        'error',
        '-rtsp_transport',
        transport,
        '-select_streams',
        'v:0',
        '-show_entries',
        'stream=codec_name,width,height',
        '-of',
        'csv=p=0',
        url,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let text = '';
    p.stdout.on('data', (d: Buffer) => (text += d.toString()));
    p.stderr.on('data', (d: Buffer) => (text += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 20_000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, text: text.trim() });
    });
  });
}

const noRtsp = skipWithout(
  'the RTSP fixture (gst-rtsp-server + ffmpeg)',
  rtspFixtureAvailable(),
  RTSP_INSTALL_HINT,
);
const noRedis = skipWithout('Redis', await redisAvailable(), REDIS_INSTALL_HINT);
const noChromium = skipWithout('headless Chromium', chromiumAvailable(), CHROMIUM_INSTALL_HINT);

describe.skipIf(noRtsp)('RTSP fixture serving vtest-h264 in a loop', () => {
  let rtsp: RtspFixture;
  beforeAll(async () => {
    rtsp = await RtspFixture.start();
  });
  afterAll(async () => {
    await rtsp?.dispose();
  });

  it('serves H.264 768x576 over TCP and over UDP', async () => {
    expect(await probe(rtsp.url, 'tcp')).toEqual({ ok: true, text: 'h264,768,576' });
    expect(await probe(rtsp.url, 'udp')).toEqual({ ok: true, text: 'h264,768,576' });
  });

  it('asks for credentials on /secure and refuses wrong ones', async () => {
    expect(await probe(rtsp.secureUrl())).toEqual({ ok: true, text: 'h264,768,576' });
    const wrong = await probe(rtsp.secureUrl('admin', 'wrong'));
    expect(wrong.ok).toBe(false);
    expect(wrong.text).toContain('401 Unauthorized');
  });

  it('goes away when stopped and comes back on the same port', async () => {
    await rtsp.stopServer();
    const down = await probe(rtsp.url);
    expect(down.ok).toBe(false);
    expect(down.text).toMatch(/Connection refused/);
    await rtsp.startServer();
    expect((await probe(rtsp.url)).ok).toBe(true);
  });
});

describe.skipIf(noRtsp)('RTSP fixture looping a short clip', () => {
  it('keeps streaming after the file wraps around (a camera does not freeze after one pass of the footage)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-rtsp-loop-'));
    const clip = path.join(dir, 'clip.mp4');
    const src = VTEST_H264;
    expect(spawnSync('ffmpeg', ['-v', 'error', '-t', '4', '-i', src, '-an', '-c', 'copy', clip]).status).toBe(
      0,
    );
    const rtsp = await RtspFixture.start({ file: clip });
    try {
      // 10 s of a 4 s clip: two wraps. Frames keep coming at 10 fps.
      const r = spawnSync(
        'ffprobe',
        ['-v', 'error', '-rtsp_transport', 'tcp', '-read_intervals', '%+10', '-select_streams', 'v:0'].concat(
          ['-count_packets', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', rtsp.url],
        ),
        { timeout: 30_000 },
      );
      expect(Number(r.stdout.toString().trim())).toBeGreaterThan(80);
    } finally {
      await rtsp.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe.skipIf(noRedis)('Redis fixture', () => {
  it('answers on the shared port or a private one', async () => {
    const handle = await useRedis();
    const client = new Redis(handle.port, handle.host, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    expect(await client.ping()).toBe('PONG');
    client.disconnect();
    await handle.stop();
  });

  it('starts, stops and restarts a private server for outage tests', async () => {
    const handle = await spawnRedis();
    const client = new Redis(handle.port, handle.host, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    await client.connect();
    await client.set('k', 'v');
    await handle.stop();
    await expect(client.get('k')).rejects.toThrow();
    client.disconnect();
    await handle.restart();
    const again = new Redis(handle.port, handle.host, { lazyConnect: true });
    await again.connect();
    expect(await again.ping()).toBe('PONG');
    again.disconnect();
    await handle.stop();
  });
});

describe.skipIf(noChromium)('headless Chromium against the real backend', () => {
  it('the printed link of a new installation creates its first administrator and opens the app shell', async () => {
    const backend = await spawnBackend({ cameras: [] });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${backend.url}/`);
      await page.getByRole('heading', { name: 'Sign in to Vigil' }).waitFor();
      const link = /http:\/\/\S+\/login\?code=\S+/.exec(backend.output())?.[0];
      expect(link).toBeDefined();
      await page.goto(link ?? '');
      await page.getByLabel('User name').fill('first-admin');
      await page.getByLabel('Password', { exact: true }).fill('first-admin-password');
      await page.getByLabel('Password again').fill('first-admin-password');
      await page.getByLabel('Password again').press('Enter');
      await page.getByRole('button', { name: 'Events' }).waitFor();
      expect(await page.getByRole('navigation').textContent()).toContain('Live');
    } finally {
      await browser.close();
      await backend.stop();
    }
  });
});
