import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  EventDetail,
  EventSearchResponse,
  SightingsResponse,
} from '../backend/src/contract/events-api.js';
import { iou } from '../backend/src/detect/nms.js';
import { logInBrowser, spawnBackend, type BackendProcess } from '../test/fixtures/backend.js';
import { CHROMIUM_INSTALL_HINT, chromiumAvailable, launchChromium } from '../test/fixtures/browser.js';
import { virtualCameras } from '../test/fixtures/media.js';
import { buildRendererIfStale } from '../test/fixtures/renderer-build.js';
import { skipWithout } from '../test/fixtures/require.js';
import { sourceBox } from '../test/fixtures/virtual-camera-events.js';
import { VTEST_H264, videoFramesAvailable } from '../test/fixtures/video-frames.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHOTS = path.join(ROOT, 'e2e/screenshots');

const skip =
  skipWithout('headless Chromium', chromiumAvailable(), CHROMIUM_INSTALL_HINT) ||
  skipWithout('ffmpeg and the demo footage', videoFramesAvailable(VTEST_H264), 'sudo apt-get install ffmpeg');

let backend: BackendProcess | undefined;
let browser: Browser | undefined;
let context: BrowserContext | undefined;
let page: Page;

async function get<T>(p: string): Promise<T> {
  const res = await fetch(`${backend!.url}${p}`, { headers: { authorization: `Bearer ${backend!.token}` } });
  if (!res.ok) throw new Error(`${p}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** Whether two events' paths put them at the same place of the plaza at the same time (IoU ≥ 0.3, 300 ms apart). */
function samePlaceAndTime(west: EventDetail, east: EventDetail): boolean {
  return west.path.some((w) =>
    east.path.some(
      (e) =>
        Math.abs(w.ts - e.ts) <= 300 &&
        iou(sourceBox('left', w.box), sourceBox('right', e.box)) >= SAME_PLACE_IOU,
    ),
  );
}
const SAME_PLACE_IOU = 0.3;

/**
 * A person event of the west camera whose most alike sighting is the east camera's track of the same person (the
 * two tracks were at the same place of the plaza at the same time), once detection has made one.
 */
async function westPersonSeenEast(): Promise<{ id: string; sightingId: string } | undefined> {
  const found = await get<EventSearchResponse>('/api/events?cameras=west&labels=person&limit=50');
  for (const ev of found.items) {
    if (!ev.hasSnapshot) continue;
    const s = await get<SightingsResponse>(`/api/events/${encodeURIComponent(ev.id)}/sightings`);
    const top = s.items[0]?.event;
    if (top?.cameraId !== 'east') continue;
    const [west, east] = await Promise.all([
      get<EventDetail>(`/api/events/${encodeURIComponent(ev.id)}`),
      get<EventDetail>(`/api/events/${encodeURIComponent(top.id)}`),
    ]);
    if (samePlaceAndTime(west, east)) return { id: ev.id, sightingId: top.id };
  }
  return undefined;
}

describe.skipIf(skip)('find this person on other cameras, in headless Chromium (two virtual cameras)', () => {
  beforeAll(async () => {
    buildRendererIfStale();
    const clips = virtualCameras();
    backend = await spawnBackend(
      {
        cameras: [
          { id: 'west', name: 'Plaza west', main: { kind: 'file', path: clips.left, loop: true } },
          { id: 'east', name: 'Plaza east', main: { kind: 'file', path: clips.right, loop: true } },
        ],
      },
      { timeoutMs: 60_000 },
    );
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    await logInBrowser(context, backend, { role: 'investigator' });
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await backend?.stop();
    if (backend) fs.rmSync(backend.home, { recursive: true, force: true });
  });

  it('lists the east camera’s sighting of a person from the west camera, with its snapshot, and opens it', async () => {
    // Both cameras see the plaza's shared strip: within a minute or two, people are tracked on both.
    let target: { id: string; sightingId: string } | undefined;
    await expect
      .poll(async () => (target = await westPersonSeenEast()) !== undefined, {
        timeout: 240_000,
        interval: 3000,
      })
      .toBe(true);
    const { id, sightingId } = target!;

    await page.goto(`${backend!.url}/#/events`);
    await page.getByRole('button', { name: 'Last 5 min' }).click();
    await page.getByRole('group', { name: 'Cameras' }).getByRole('button', { name: 'Plaza west' }).click();
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.locator(`.result[data-event="${id}"]`).click({ timeout: 30_000 });
    await page.locator(`.event-detail[data-detail="${id}"]`).waitFor();

    await page.getByRole('button', { name: 'Find this person on other cameras' }).click();
    const list = page.getByRole('list', { name: 'Sightings of this person' });
    const first = list.locator('li.sighting').first();
    await first.waitFor({ timeout: 15_000 });
    // The east camera's track of the same person is listed (the cameras keep running: newer look-alikes may rank
    // above it by now), named by its camera, with a likeness; nothing of the west camera itself.
    const match = list.locator(`li.sighting[data-sighting="${sightingId}"]`);
    await match.waitFor({ timeout: 15_000 });
    expect(await match.textContent()).toMatch(/Plaza east\s*\d{1,3}%/);
    expect(await first.textContent()).toMatch(/Plaza east/);
    expect(await list.locator('li.sighting').filter({ hasText: 'Plaza west' }).count()).toBe(0);
    const likeness = await list
      .locator('li.sighting .result-label .muted')
      .allTextContents()
      .then((t) => t.map((x) => Number.parseInt(x, 10)));
    expect([...likeness].sort((a, b) => b - a)).toEqual(likeness);
    await page.waitForFunction(
      () =>
        ((document.querySelector('li.sighting img.thumb') as HTMLImageElement | null)?.naturalWidth ?? 0) > 0,
      undefined,
      { timeout: 15_000 },
    );
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'sightings.png') });

    // A sighting opens its own event.
    await match.locator('button.sighting-open').click();
    await page.locator(`.event-detail[data-detail="${sightingId}"]`).waitFor({ timeout: 10_000 });
    await expect.poll(() => page.locator('.event-detail h2').textContent()).toContain('Plaza east');
  }, 360_000);
});
