// "Damaged input" on a camera must mean the picture is really damaged. Every RTSP session starts with warnings from
// ffmpeg (the decoder starts before the first keyframe: "non-existing PPS", "no frame!"; the first packets carry no
// or repeated timestamps); a healthy camera must never be shown as damaged for them. Real RTSP server, real ffmpeg.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraStatus } from '../contract/video-api.js';
import { corruptSample, VTEST_H264 } from '../../../test/fixtures/media.js';
import { isCorruptionWarning } from './ffmpeg-diagnostics.js';
import { InputDamageMeter } from './input-damage.js';
import { skipWithout } from '../../../test/fixtures/require.js';
import { RtspFixture, rtspFixtureAvailable, RTSP_INSTALL_HINT } from '../../../test/fixtures/rtsp.js';
import { apiGet, startTestApp, waitFor } from '../../../test/helpers/video.js';

const skip = skipWithout('RTSP server', rtspFixtureAvailable(), RTSP_INSTALL_HINT);

/**
 * What real ffmpeg prints when its decoder starts in the middle of a group of pictures, as it does on a camera that
 * sends from wherever its encoder is: the demo footage as MPEG-TS (parameter sets only before keyframes), read from
 * a packet after the first keyframe.
 */
function decoderStartLines(): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-midgop-'));
  try {
    const ts = path.join(dir, 'feed.ts');
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-t',
      '6',
      '-i',
      VTEST_H264,
      '-an',
      '-c',
      'copy',
      '-bsf:v',
      'h264_mp4toannexb',
      '-f',
      'mpegts',
      ts,
    ]);
    const cut = path.join(dir, 'cut.ts');
    fs.writeFileSync(cut, fs.readFileSync(ts).subarray(188 * 300));
    const r = spawnSync(
      'ffmpeg',
      ['-hide_banner', '-nostdin', '-loglevel', 'info', '-i', cut, '-f', 'null', '-'],
      {
        encoding: 'utf8',
      },
    );
    return r.stderr.split(/[\r\n]+/).filter(isCorruptionWarning);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('input damage judgement (real ffmpeg warnings)', () => {
  it("a camera's start-up (decoder before the first keyframe, first timestamps) is no damage", () => {
    const start = decoderStartLines();
    // Real lines that say "corrupt" to a simple filter: "decode_slice_header error", "no frame!".
    expect(start.length).toBeGreaterThan(3);
    expect(start.some((l) => /decode_slice_header error|no frame!/.test(l))).toBe(true);
    const meter = new InputDamageMeter();
    const t0 = 1_000_000;
    meter.connected();
    // Before the first picture, and in the first seconds after it, the same lines keep coming.
    start.forEach((l, i) => meter.line(l, t0 + i * 10));
    meter.video(t0 + 1500);
    start.forEach((l, i) => meter.line(l, t0 + 1500 + i * 100));
    meter.line('[mp4 @ 0x5] Timestamps are unset in a packet for stream 0.', t0 + 4000);
    meter.line(
      '[segment @ 0x5] Non-monotonous DTS in output stream 0:0; previous: 0, current: 0; changing to 1.',
      t0 + 4000,
    );
    for (let t = t0; t < t0 + 60_000; t += 1000) expect(meter.damagedSeconds(t)).toBeUndefined();
  });

  it('one burst later is no damage either; damage in several seconds of the minute is', () => {
    const line = '[h264 @ 0x5] error while decoding MB 12 20, bytestream -7';
    const meter = new InputDamageMeter();
    const t0 = 2_000_000;
    meter.connected();
    meter.video(t0);
    // One lost packet: a handful of lines within one second.
    for (let i = 0; i < 6; i++) expect(meter.line(line, t0 + 20_000 + i * 20)).toBe(true);
    expect(meter.damagedSeconds(t0 + 21_000)).toBeUndefined();
    meter.line(line, t0 + 30_000);
    meter.line(line, t0 + 40_000);
    expect(meter.damagedSeconds(t0 + 41_000)).toBe(3);
    // A minute later the damage has stopped, and so does the warning.
    expect(meter.damagedSeconds(t0 + 95_000)).toBeUndefined();
    // A new connection starts clean.
    meter.line(line, t0 + 96_000);
    meter.line(line, t0 + 97_000);
    meter.connected();
    meter.line(line, t0 + 98_000);
    expect(meter.damagedSeconds(t0 + 98_500)).toBeUndefined();
  });
});

describe.skipIf(skip)('damaged input on RTSP cameras (real RTSP server)', () => {
  let healthy: RtspFixture;
  let damaged: RtspFixture;
  let app: Awaited<ReturnType<typeof startTestApp>>;
  const status = async (id: string): Promise<CameraStatus> =>
    (await apiGet<CameraStatus[]>(app, '/api/cameras')).find((c) => c.id === id)!;

  beforeAll(async () => {
    healthy = await RtspFixture.start();
    // The demo footage with damaged bytes in every few packets, looped by the server: a camera that really sends
    // a broken picture all the time.
    damaged = await RtspFixture.start({ file: corruptSample() });
    app = await startTestApp({
      video: { segmentSeconds: 4, reconnect: { initialDelayMs: 500, maxDelayMs: 2000 } },
      cameras: [
        // Analysis on: the decoder runs, as on every real camera, and its start-up warnings are what is judged.
        {
          id: 'gate',
          name: 'Gate',
          main: { kind: 'rtsp', url: healthy.url },
          analysis: { fps: 5, width: 320 },
        },
        {
          id: 'broken',
          name: 'Broken',
          main: { kind: 'rtsp', url: damaged.url },
          analysis: { fps: 5, width: 320 },
        },
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await app?.cleanup();
    await healthy?.dispose();
    await damaged?.dispose();
  });

  it('a healthy camera streams without a "damaged input" warning after start and after a reconnection', async () => {
    await waitFor('gate streaming', async () => (await status('gate')).state === 'streaming', 30_000);
    const seen: string[] = [];
    const watch = async (ms: number): Promise<void> => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        const s = await status('gate');
        if (s.reason) seen.push(`${s.state}: ${s.reason}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    };
    await watch(12_000);
    expect(seen).toEqual([]);
    // The camera restarts: the new session's start-up is no damage either.
    await healthy.stopServer();
    await waitFor('gate down', async () => (await status('gate')).state !== 'streaming', 20_000);
    await healthy.startServer();
    await waitFor('gate back', async () => (await status('gate')).state === 'streaming', 30_000);
    await watch(12_000);
    expect(seen).toEqual([]);
  }, 120_000);

  it('a camera that keeps sending a corrupt picture is shown as damaged input', async () => {
    const s = await waitFor(
      'broken reported damaged',
      async () => {
        const c = await status('broken');
        return c.state === 'streaming' && /damaged input/.test(c.reason ?? '') && c;
      },
      40_000,
    );
    expect(s.reason).toMatch(/damaged input from 127\.0\.0\.1:\d+/);
  }, 60_000);
});
