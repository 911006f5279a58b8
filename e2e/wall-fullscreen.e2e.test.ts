// A guard double-clicks a tile to fill the screen and leaves full screen with Esc. Chromium handles that Esc itself
// (the page gets no keydown: https://fullscreen.spec.whatwg.org/#ui "the user agent … exit fullscreen"), so the wall
// must follow `fullscreenchange`, or the tile stays blown up over the navigation and swallows its clicks.
import { describe, expect, it } from 'vitest';
import { vtestPath } from '../test/fixtures/footage.js';
import { skipWithoutChromium, useE2e } from './harness.js';

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
const overlaps = (a: Box, b: Box): boolean =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe.skipIf(skipWithoutChromium())('live wall full screen in headless Chromium', () => {
  const e2e = useE2e({
    config: {
      cameras: [{ id: 'plaza', name: 'Plaza', main: { kind: 'file', path: vtestPath(), loop: true } }],
    },
    viewport: { width: 1280, height: 800 },
  });

  it('after full screen ends without a keydown (Esc in the browser), the tile is back in the grid and the navigation takes clicks', async () => {
    const { page, backend } = e2e;
    await page.goto(`${backend.url}/#/live`);
    const tile = page.locator('.tile[data-tile="0"]');
    await page.locator('video[data-camera="plaza"]').waitFor({ timeout: 20_000 });
    await tile.dblclick();
    await page.waitForFunction(() => document.fullscreenElement !== null, undefined, { timeout: 5_000 });
    // What the browser does on Esc: it leaves full screen itself and the page sees only `fullscreenchange`.
    await page.evaluate(() => document.exitFullscreen());
    await page.waitForFunction(() => document.fullscreenElement === null);
    await expect.poll(() => tile.getAttribute('class'), { timeout: 3_000 }).not.toContain('maximized');
    // The top of the page is the navigation again, not the tile.
    const nav = page.getByRole('navigation', { name: 'Views' });
    const cameras = nav.getByRole('button', { name: 'Cameras' });
    const box = (await cameras.boundingBox())!;
    const onTop = await page.evaluate(
      ([x, y]) => document.elementFromPoint(x!, y!)?.closest('nav')?.getAttribute('aria-label') ?? null,
      [box.x + box.width / 2, box.y + box.height / 2],
    );
    expect(onTop).toBe('Views');
    await cameras.click({ timeout: 3_000 });
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/cameras');
  });

  it('the button that empties a tile does not cover the REC mark or the clock', async () => {
    const { page, backend } = e2e;
    await page.goto(`${backend.url}/#/live`);
    const tile = page.locator('.tile[data-tile="0"]');
    await tile.locator('.rec').waitFor({ timeout: 20_000 });
    await expect.poll(() => tile.locator('.tile-clock').textContent(), { timeout: 15_000 }).toMatch(/\d/);
    await tile.hover();
    const close = (await tile.getByRole('button', { name: 'Empty this tile' }).boundingBox())!;
    const rec = (await tile.locator('.rec').boundingBox())!;
    const clock = (await tile.locator('.tile-clock').boundingBox())!;
    expect(overlaps(close, rec)).toBe(false);
    expect(overlaps(close, clock)).toBe(false);
    await e2e.shot('wall-tile-controls', tile);
  });
});
