import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RecordingTimelineResponse } from '../backend/src/contract/video-api.js';
import type { BackendProcess } from '../test/fixtures/backend.js';
import { vtestPath } from '../test/fixtures/footage.js';
import { waitFor } from '../test/helpers/video.js';
import { skipWithoutChromiumOrFootage, useE2e, type E2eSession } from './harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The demo footage runs at 10 frames per second: one frame is 100 ms. */
const FRAME_MS = 100;

let e2e: E2eSession;
let backend: BackendProcess | undefined;
let page: Page;
/** An instant both cameras recorded (set by the first test). */
let start = 0;

async function get<T>(p: string): Promise<T> {
  if (!backend) throw new Error('backend not started');
  const res = await fetch(`${backend.url}${p}`, { headers: { authorization: `Bearer ${backend.token}` } });
  expect(res.status, p).toBe(200);
  return (await res.json()) as T;
}

const shot = (name: string): Promise<void> => e2e.shot(name);

interface Sample {
  cameraId: string;
  mediaTime: number;
  instant: number | undefined;
  state: string;
}

/** The playback view's diagnostics object (declared by the renderer on `window`). */
interface PlaybackProbe {
  vigilPlayback?: { sample(): Sample[]; clock(): { t: number } };
}
const sample = (): Promise<Sample[]> =>
  page.evaluate(() => (window as PlaybackProbe).vigilPlayback?.sample() ?? []);
const clockT = (): Promise<number> =>
  page.evaluate(() => (window as PlaybackProbe).vigilPlayback?.clock().t ?? 0);

/** Waits until every tile shows footage in the given state; names what the tiles were doing when it gives up. */
async function tilesIn(state: 'playing' | 'paused', n = 2): Promise<Sample[]> {
  let last: Sample[] = [];
  for (const until = Date.now() + 30_000; Date.now() < until; await page.waitForTimeout(200)) {
    last = await sample();
    if (last.length === n && last.every((s) => s.state === state && s.instant !== undefined)) return last;
  }
  throw new Error(`tiles not ${state} after 30 s: ${JSON.stringify(last)} at clock ${await clockT()}`);
}

const spreadOf = (s: Sample[]): number => {
  const xs = s.map((x) => x.instant as number);
  return Math.max(...xs) - Math.min(...xs);
};

describe.skipIf(skipWithoutChromiumOrFootage())('synced multi-camera playback in headless Chromium', () => {
  // Two cameras on the demo footage, started by the backend a moment apart: their two-second segments begin at
  // different instants, so each tile plays a different clip and the view must line them up on the wall clock.
  e2e = useE2e({
    config: {
      video: { segmentSeconds: 2 },
      cameras: [
        { id: 'plaza', name: 'Plaza', main: { kind: 'file', path: vtestPath(), loop: true } },
        {
          id: 'gate',
          name: 'Gate',
          main: { kind: 'file', path: vtestPath(), loop: true },
          analysis: { enabled: false },
        },
      ],
    },
  });

  beforeAll(async () => {
    ({ backend, page } = e2e);
    // 24 s of footage on both cameras before playing it back.
    await waitFor(
      'twelve segments of both cameras',
      async () => {
        const now = Date.now();
        const spans = await Promise.all(
          ['plaza', 'gate'].map((id) =>
            get<RecordingTimelineResponse>(`/api/recordings/${id}/timeline?from=${now - 120_000}&to=${now}`),
          ),
        );
        return Math.min(...spans.map((s) => s.segments.length)) >= 12;
      },
      90_000,
      1000,
    );
  }, 180_000);

  it('plays the demo camera and a second camera on the same instant', async () => {
    const plaza = await get<RecordingTimelineResponse>(
      `/api/recordings/plaza/timeline?from=${Date.now() - 120_000}&to=${Date.now()}`,
    );
    const gate = await get<RecordingTimelineResponse>(
      `/api/recordings/gate/timeline?from=${Date.now() - 120_000}&to=${Date.now()}`,
    );
    // An instant both cameras recorded, a little after both began, and not on a segment boundary of either.
    start = Math.max(plaza.segments[0]!.start, gate.segments[0]!.start) + 3_337;
    await page.goto(`${backend!.url}/#/playback?cameras=plaza,gate&t=${start}`);
    const paused = await tilesIn('paused');
    // Paused: both tiles sit on the requested instant, within one frame.
    for (const s of paused)
      expect(Math.abs((s.instant as number) - start), s.cameraId).toBeLessThan(FRAME_MS);
    expect(spreadOf(paused)).toBeLessThan(FRAME_MS);
    await shot('playback-paused');

    await page.getByRole('button', { name: 'Play', exact: true }).click();
    await tilesIn('playing');
    // Let the tiles settle, then measure: every tile's media time mapped to the wall clock, read in one go.
    await page.waitForTimeout(2000);
    const spreads: number[] = [];
    const first = await sample();
    // 25 samples with both tiles playing (a tile waiting for its decoder on a loaded machine holds both, and is not
    // a moment of playback), for at most 20 s.
    let taken = 0;
    for (const until = Date.now() + 20_000; spreads.length < 25 && Date.now() < until; taken++) {
      const s = await sample();
      if (s.every((x) => x.state === 'playing' && x.instant !== undefined)) spreads.push(spreadOf(s));
      await page.waitForTimeout(100);
    }
    const last = await sample();
    spreads.sort((a, b) => a - b);
    const median = spreads[Math.floor(spreads.length / 2)] ?? Infinity;
    const p90 = spreads[Math.floor(spreads.length * 0.9)] ?? Infinity;
    const worst = spreads.at(-1) ?? Infinity;
    console.log(
      `playback sync at 1x over ${spreads.length} samples (${taken - spreads.length} of ${taken} taken while a tile waited): median spread ${median.toFixed(1)} ms, 90th percentile ${p90.toFixed(1)} ms, worst ${worst.toFixed(1)} ms (one frame: ${FRAME_MS} ms)`,
    );
    expect(spreads.length).toBeGreaterThan(20);
    // Both videos advanced by about the same three seconds of media time…
    for (const cam of ['plaza', 'gate']) {
      const a = first.find((s) => s.cameraId === cam)!;
      const b = last.find((s) => s.cameraId === cam)!;
      expect(b.mediaTime - a.mediaTime, cam).toBeGreaterThan(2.5);
    }
    // …and show one instant: within one frame at 1×.
    // (The worst sample is reported, not asserted: right after a tile waited for its decoder on a loaded machine
    // one sample can catch the two tiles a couple of frames apart while they converge again.)
    expect(median).toBeLessThan(FRAME_MS);
    expect(p90).toBeLessThan(FRAME_MS);
    // The tiles follow the shared clock, not only each other.
    // The clock is read before and after the tiles (three calls into a page that may be slow on a loaded machine):
    // each tile's instant lies in that span, give or take three frames.
    const t0 = await clockT();
    const now = await sample();
    const t1 = await clockT();
    for (const s of now) {
      expect(s.instant as number, s.cameraId).toBeGreaterThan(t0 - 3 * FRAME_MS);
      expect(s.instant as number, s.cameraId).toBeLessThan(t1 + 3 * FRAME_MS);
    }
    await shot('playback-playing');

    // 4×, from the start again (the footage is only a minute long): still together.
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await page.goto(`${backend!.url}/#/playback?cameras=plaza,gate&t=${start + 1}`);
    await tilesIn('paused');
    await page.getByLabel('Speed').selectOption('4');
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    await tilesIn('playing');
    await page.waitForTimeout(1000);
    const fast: number[] = [];
    for (let i = 0; i < 10; i++) {
      const s = await sample();
      if (s.every((x) => x.state === 'playing' && x.instant !== undefined)) fast.push(spreadOf(s));
      await page.waitForTimeout(100);
    }
    fast.sort((a, b) => a - b);
    console.log(
      `playback sync at 4x over ${fast.length} samples: median spread ${fast[Math.floor(fast.length / 2)]?.toFixed(1)} ms, worst ${fast.at(-1)?.toFixed(1)} ms`,
    );
    // Reported, not asserted: the one-frame target is for 1×, and at 4× two tiles decode 40 frames a second each
    // on a machine that also records, detects and (in CI) runs other tests; measured 4 to 100 ms (median) here.
    await page.getByRole('button', { name: 'Pause', exact: true }).click();

    // One frame forward from an instant inside the recording (4× may have run to the end of what is recorded):
    // both tiles move by one frame, together.
    await page.goto(`${backend!.url}/#/playback?cameras=plaza,gate&t=${start + 5_000}`);
    await page.reload();
    await tilesIn('paused');
    // A second of play: the tiles learn the footage's frame duration from the frames they present.
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    await tilesIn('playing');
    await page.waitForTimeout(1500);
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await tilesIn('paused');
    const before = await clockT();
    await page.getByRole('button', { name: 'Next frame' }).click();
    await expect.poll(clockT).toBeGreaterThan(before);
    expect((await clockT()) - before).toBeCloseTo(FRAME_MS, -1);
    const stepped = await tilesIn('paused');
    expect(spreadOf(stepped)).toBeLessThan(FRAME_MS);
  }, 150_000);

  it('zooms the timeline from minutes to hours and scrubs both tiles by dragging', async () => {
    await page.goto(`${backend!.url}/#/playback?cameras=plaza,gate&t=${start + 15_000}`);
    await page.reload();
    await tilesIn('paused');
    const span = page.getByLabel('Timeline span');
    const track = page.getByRole('slider', { name: 'Scrub' });
    const width = async () =>
      Number(await track.getAttribute('data-view-to')) - Number(await track.getAttribute('data-view-from'));
    expect(await span.textContent()).toBe('15 min');
    expect(await width()).toBe(15 * 60_000);
    await page.getByRole('button', { name: 'Zoom in' }).click();
    await page.getByRole('button', { name: 'Zoom in' }).click();
    expect(await span.textContent()).toBe('2 min');
    await expect.poll(width).toBe(2 * 60_000);
    await page.getByRole('button', { name: 'Zoom out' }).click();
    await page.getByRole('button', { name: 'Zoom out' }).click();
    await page.getByRole('button', { name: 'Zoom out' }).click();
    expect(await span.textContent()).toBe('1 h');
    await expect.poll(width).toBe(3_600_000);
    // Recorded spans of both cameras are drawn on their rows.
    for (const cam of ['plaza', 'gate'])
      expect(await page.locator(`.pb-track[data-camera="${cam}"] .pb-rec`).count(), cam).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Zoom in' }).click();
    await page.getByRole('button', { name: 'Zoom in' }).click();
    expect(await span.textContent()).toBe('5 min');
    await shot('playback-timeline');

    // Drag the playhead from where it is to 10 s earlier (inside the recording), then read both tiles.
    const box = (await track.boundingBox())!;
    const from = Number(await track.getAttribute('data-view-from'));
    const to = Number(await track.getAttribute('data-view-to'));
    const xOf = (ts: number) => box.x + ((ts - from) / (to - from)) * box.width;
    const now = await clockT();
    const target = now - 10_000;
    await page.mouse.move(xOf(now), box.y + box.height - 5);
    await page.mouse.down();
    await page.mouse.move(xOf(now - 5_000), box.y + box.height - 5, { steps: 5 });
    await page.mouse.move(xOf(target), box.y + box.height - 5, { steps: 5 });
    await page.mouse.up();
    const t = await clockT();
    // A pixel of a 5-minute timeline is a few hundred ms.
    expect(Math.abs(t - target)).toBeLessThan((2 * (to - from)) / box.width);
    const scrubbed = await tilesIn('paused');
    for (const s of scrubbed) expect(Math.abs((s.instant as number) - t), s.cameraId).toBeLessThan(FRAME_MS);
    await shot('playback-scrubbed');
  }, 150_000);

  it('exports both cameras over the range on the timeline as one signed package that `vigil verify` accepts', async () => {
    await page.getByRole('button', { name: 'Export…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Export evidence' });
    await dialog.getByLabel('Case number (required)').fill('2026-118');
    await dialog.getByLabel(/^Reason \(required/).fill('two people at the gate, then the plaza');
    await dialog.getByRole('button', { name: 'Export', exact: true }).click();
    await expect
      .poll(() => dialog.getByRole('status').textContent(), { timeout: 60_000 })
      .toMatch(/Exported \d+ files/);
    const href = await dialog.getByRole('link', { name: 'Download the export' }).getAttribute('href');
    const zip = await page.request.get(`${backend!.url}${href}`);
    const file = path.join(backend!.home, 'case-2026-118.zip');
    fs.writeFileSync(file, await zip.body());
    // `vigil verify` on the backend's machine (its application folder holds the signing key, so it is trusted).
    const verify = spawnSync(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'backend/src/roles/cli.ts'), 'verify', file],
      {
        cwd: ROOT,
        env: { ...process.env, VIGIL_HOME: backend!.home },
        encoding: 'utf8',
      },
    );
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toContain('VERIFIED');
    const list = spawnSync('unzip', ['-Z1', file], { encoding: 'utf8' }).stdout.split('\n');
    // A plain MP4 and a continuity report per camera, the events, and the signed manifest.
    for (const cam of ['plaza', 'gate']) {
      expect(
        list.some((f) => f.startsWith(`clips/${cam}_`) && f.endsWith('.mp4')),
        cam,
      ).toBe(true);
      expect(list, cam).toContain(`continuity/${cam}.txt`);
    }
    expect(list).toEqual(expect.arrayContaining(['events.json', 'manifest.json', 'manifest.sig']));
    const manifest = JSON.parse(
      spawnSync('unzip', ['-p', file, 'manifest.json'], { encoding: 'utf8' }).stdout,
    ) as {
      cameras: string[];
      caseNumber: string;
      reason: string;
    };
    expect(manifest.cameras.sort()).toEqual(['gate', 'plaza']);
    expect(manifest.caseNumber).toBe('2026-118');
    await page.keyboard.press('Escape');
    await dialog.getByRole('button', { name: /close/i }).click();
  }, 180_000);

  it('"go back" on a wall tile opens playback of that camera at that moment', async () => {
    await page.goto(`${backend!.url}/#/live`);
    await page.getByLabel('Minutes to go back').selectOption('1');
    const tile = page.locator('.tile').filter({ has: page.locator('video[data-camera="plaza"]') });
    await tile.hover();
    const clicked = Date.now();
    await tile.getByRole('button', { name: 'Go back 1 minutes on Plaza' }).click();
    await expect.poll(() => page.evaluate(() => location.hash)).toMatch(/^#\/playback\?/);
    const params = new URLSearchParams((await page.evaluate(() => location.hash)).split('?')[1]);
    expect(params.get('cameras')).toBe('plaza');
    expect(Math.abs(Number(params.get('t')) - (clicked - 60_000))).toBeLessThan(5_000);
    await expect.poll(() => page.locator('.pb-tile').count()).toBe(1);

    // The whole wall: every camera on it.
    await page.goto(`${backend!.url}/#/live`);
    await page.getByRole('button', { name: /^Go back \d+ min on the wall$/ }).click();
    await expect.poll(() => page.evaluate(() => location.hash)).toMatch(/^#\/playback\?/);
    const wall = new URLSearchParams((await page.evaluate(() => location.hash)).split('?')[1]);
    expect(wall.get('cameras')?.split(',').sort()).toEqual(['gate', 'plaza']);
  });
});
