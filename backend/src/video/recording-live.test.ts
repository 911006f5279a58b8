import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logInBrowser } from '../../../test/fixtures/backend.js';
import WebSocket from 'ws';
import { Topics } from '../contract/bus.js';
import type { AnalysisFrame } from '../contract/media.js';
import type { CameraStatus, RecordingsResponse } from '../contract/video-api.js';
import { chromiumAvailable, CHROMIUM_INSTALL_HINT, launchChromium } from '../../../test/fixtures/browser.js';
import { skipWithout } from '../../../test/fixtures/require.js';
import { RtspFixture, rtspFixtureAvailable, RTSP_INSTALL_HINT } from '../../../test/fixtures/rtsp.js';
import {
  apiGet,
  decodableFrames,
  ffprobeDuration,
  startTestApp,
  TOKEN,
  waitFor,
} from '../../../test/helpers/video.js';

const skip = skipWithout('RTSP server', rtspFixtureAvailable(), RTSP_INSTALL_HINT);
const noChromium = skipWithout('Chromium', chromiumAvailable(), CHROMIUM_INSTALL_HINT);

const MSE_PLAYER = `(async () => {
  const video = document.createElement('video');
  video.muted = true;
  document.body.appendChild(video);
  const ms = new MediaSource();
  video.src = URL.createObjectURL(ms);
  await new Promise((r) => ms.addEventListener('sourceopen', r, { once: true }));
  const ws = new WebSocket('ws://' + location.host + '/api/live/plaza');
  ws.binaryType = 'arraybuffer';
  let sb;
  const queue = [];
  const pump = () => { if (sb && !sb.updating && queue.length) sb.appendBuffer(queue.shift()); };
  ws.onmessage = (e) => {
    if (typeof e.data === 'string') {
      if (!sb) {
        sb = ms.addSourceBuffer(JSON.parse(e.data).mime);
        sb.addEventListener('updateend', () => {
          if (video.paused && sb.buffered.length) { video.currentTime = sb.buffered.start(0); video.play(); }
          pump();
        });
      }
      return;
    }
    queue.push(e.data);
    pump();
  };
  const t0 = performance.now();
  while (performance.now() - t0 < 15000 && video.currentTime < 2) await new Promise((r) => setTimeout(r, 200));
  ws.close();
  return { currentTime: video.currentTime, error: video.error ? video.error.message : null };
})()`;

describe.skipIf(skip)('recording, live view and analysis from an RTSP camera', () => {
  let rtsp: RtspFixture;
  let app: Awaited<ReturnType<typeof startTestApp>>;
  const frames: AnalysisFrame[] = [];
  let startedAt = 0;

  beforeAll(async () => {
    rtsp = await RtspFixture.start();
    app = await startTestApp({
      video: { segmentSeconds: 4 },
      cameras: [
        {
          id: 'plaza',
          name: 'Plaza',
          main: { kind: 'rtsp', url: rtsp.url },
          analysis: { fps: 5, width: 320 },
        },
      ],
    });
    await app.bus.subscribe<AnalysisFrame>(Topics.frames, (f) => void frames.push(f), { group: 'test' });
    startedAt = Date.now();
    await waitFor(
      'streaming',
      async () => (await apiGet<CameraStatus[]>(app, '/api/cameras'))[0]?.state === 'streaming',
    );
  });
  afterAll(async () => {
    await app?.cleanup();
    await rtsp?.dispose();
  });

  it('streams fMP4 over the live WebSocket: info, then ftyp+moov, then moof+mdat starting at a keyframe', async () => {
    const ws = new WebSocket(`${app.url.replace('http', 'ws')}/api/live/plaza`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const msgs: Array<string | Buffer> = [];
    ws.on('message', (d, isBinary) => msgs.push(isBinary ? (d as Buffer) : d.toString()));
    await waitFor('init and 3 fragments', () => msgs.length >= 8, 15_000, 50);
    ws.close();
    const receivedAt = Date.now();
    expect(JSON.parse(msgs[0] as string)).toEqual({
      type: 'info',
      mime: expect.stringMatching(/^video\/mp4; codecs="avc1\.[0-9a-f]{6}"$/),
    });
    const init = msgs[1] as Buffer;
    expect(init.toString('latin1', 4, 8)).toBe('ftyp');
    expect(init.includes(Buffer.from('moov'))).toBe(true);
    // Each fragment comes after a time message: where the fragment ends on the video's time line, and when it left
    // ffmpeg on the clock that also stamps analysis frames (what overlays are matched with).
    let lastMedia = -1;
    for (let i = 2; i + 1 < msgs.length; i += 2) {
      const time = JSON.parse(msgs[i] as string) as { type: string; mediaTime: number; wallTs: number };
      expect(time.type).toBe('time');
      expect(time.mediaTime).toBeGreaterThan(lastMedia);
      expect(receivedAt - time.wallTs).toBeGreaterThanOrEqual(0);
      expect(receivedAt - time.wallTs).toBeLessThan(15_000);
      lastMedia = time.mediaTime;
      const frag = msgs[i + 1] as Buffer;
      expect(frag.toString('latin1', 4, 8)).toBe('moof');
      expect(frag.includes(Buffer.from('mdat'))).toBe(true);
    }
  });

  it.skipIf(noChromium)('plays in headless Chromium through Media Source Extensions', async () => {
    const browser = await launchChromium();
    try {
      const context = await browser.newContext();
      await logInBrowser(context, { url: app.url, token: app.auth.token }); // the cookie the WebSocket sends
      const page = await context.newPage();
      await page.goto(`${app.url}/healthz`);
      // Plain browser JavaScript (a string, so the test transform leaves it alone): MSE fed from the live socket.
      const played = await page.evaluate<{ currentTime: number; error: string | null }>(MSE_PLAYER);
      expect(played.error).toBeNull();
      expect(played.currentTime).toBeGreaterThan(1.5);
    } finally {
      await browser.close();
    }
  });

  it('records playable segments whose durations add up to the wall-clock time, and serves clips', async () => {
    await waitFor(
      '3 segments',
      async () => (await apiGet<RecordingsResponse>(app, '/api/recordings/plaza')).segments.length >= 3,
      40_000,
      500,
    );
    const listedAt = Date.now();
    const { segments, gaps, trackedSince, recordingSince } = await apiGet<RecordingsResponse>(
      app,
      `/api/recordings/plaza?from=0&to=${Date.now()}`,
    );
    expect(gaps).toEqual([]);
    // The camera's history starts with its first footage (uptime is rated from there), and the segment being
    // written right now begins where the last listed one ended.
    expect(trackedSince).toBeLessThanOrEqual(segments[0]!.start);
    expect(Math.abs(recordingSince! - segments[segments.length - 1]!.end)).toBeLessThan(1000);
    const stored = app.video.index.segments('plaza', 0, Date.now());
    let total = 0;
    for (const seg of stored) {
      const file = app.video.store.localPath!(seg.key)!;
      expect(await decodableFrames(file)).toBeGreaterThan(10);
      total += await ffprobeDuration(file);
    }
    const first = segments[0]!;
    const last = segments[segments.length - 1]!;
    expect(Math.abs(total - (last.end - first.start) / 1000)).toBeLessThan(1);
    // Recording began when the camera connected, on the wall clock.
    expect(Math.abs(first.start - startedAt)).toBeLessThan(4000);
    expect(Math.abs(last.end - listedAt)).toBeLessThan(10_000);

    const from = first.start + 1000;
    const to = last.end - 1000;
    const res = await fetch(`${app.url}/api/clips/plaza.mp4?from=${from}&to=${to}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    const clipFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-clip-test-')), 'clip.mp4');
    fs.writeFileSync(clipFile, Buffer.from(await res.arrayBuffer()));
    const clipDuration = await ffprobeDuration(clipFile);
    // Cut at keyframes (GOP 2 s): at most one GOP more than asked for at the start.
    expect(clipDuration).toBeGreaterThan((to - from) / 1000 - 0.5);
    expect(clipDuration).toBeLessThan((to - from) / 1000 + 2.5);
    expect(await decodableFrames(clipFile)).toBeGreaterThan(20);
    fs.rmSync(path.dirname(clipFile), { recursive: true, force: true });
  });

  it('hands rate-limited, scaled analysis frames with wall-clock times to the bus, and serves a snapshot', async () => {
    // Rate over the whole run (arrival times jitter on a busy machine; the rate must not).
    expect(frames.length).toBeGreaterThan(40);
    const fps = (frames.length - 1) / ((frames[frames.length - 1]!.ts - frames[0]!.ts) / 1000);
    expect(fps).toBeGreaterThan(4);
    expect(fps).toBeLessThan(6.5);
    const recent = frames.slice(-5);
    const f = recent[recent.length - 1]!;
    expect([f.width, f.height, f.format, f.data.length]).toEqual([320, 240, 'rgb24', 320 * 240 * 3]);
    expect(Math.abs(f.ts - Date.now())).toBeLessThan(5000);
    const res = await fetch(`${app.url}/api/cameras/plaza/snapshot.jpg`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const jpeg = Buffer.from(await res.arrayBuffer());
    expect([res.status, jpeg[0], jpeg[1]]).toEqual([200, 0xff, 0xd8]);
    const status = (await apiGet<CameraStatus[]>(app, '/api/cameras'))[0]!;
    expect(status).toMatchObject({
      state: 'streaming',
      recording: true,
      codec: 'h264',
      width: 768,
      height: 576,
    });
    // 5-second figures: a busy machine makes them jitter, so only check they are reported.
    expect(status.fpsIn).toBeGreaterThan(3);
    expect(status.fpsOut).toBeGreaterThan(1);
  });
});
