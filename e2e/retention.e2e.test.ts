// An administrator changes how long footage is kept on the System page, for all cameras and for one, and sees how
// many days fit on the disk at the rate the cameras record.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RetentionResponse } from '../backend/src/contract/video-api.js';
import { logInBrowser, spawnBackend, type BackendProcess } from '../test/fixtures/backend.js';
import { CHROMIUM_INSTALL_HINT, chromiumAvailable, launchChromium } from '../test/fixtures/browser.js';
import { vtestPath } from '../test/fixtures/footage.js';
import { buildRendererIfStale } from '../test/fixtures/renderer-build.js';
import { skipWithout } from '../test/fixtures/require.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHOTS = path.join(ROOT, 'e2e/screenshots');
const skip = skipWithout('Chromium', chromiumAvailable(), CHROMIUM_INSTALL_HINT);

describe.skipIf(skip)('retention on the System page in headless Chromium', () => {
  let backend: BackendProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const retention = async (): Promise<RetentionResponse> =>
    (await (await page.request.get(`${backend.url}/api/retention`)).json()) as RetentionResponse;

  beforeAll(async () => {
    buildRendererIfStale();
    backend = await spawnBackend(
      {
        video: { segmentSeconds: 2 },
        cameras: [
          {
            id: 'plaza',
            name: 'Plaza',
            main: { kind: 'file', path: vtestPath(), loop: true },
            analysis: { enabled: false },
          },
        ],
      },
      { timeoutMs: 60_000 },
    );
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1400, height: 1400 } });
    await logInBrowser(context, backend);
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await backend?.stop();
    if (backend) fs.rmSync(backend.home, { recursive: true, force: true });
  });

  it('shows the recording rate and the days that fit, and changes retention globally and for one camera', async () => {
    await expect
      .poll(async () => (await retention()).forecast.bytesPerDay, { timeout: 30_000 })
      .toBeGreaterThan(0);
    await page.goto(`${backend.url}/#/system`);
    const panel = page.getByRole('region', { name: 'Retention', exact: true });
    const forecast = panel.getByLabel('Forecast');
    await expect
      .poll(() => forecast.textContent(), { timeout: 10_000 })
      .toMatch(/record \d+(\.\d)? GB a day .*holds about .*(days|months|years) of footage/);
    await expect
      .poll(() => forecast.textContent())
      .toMatch(/Keeping footage as set below needs .*: it (fits|does not fit)/);

    const global = panel.getByRole('form', { name: 'Global retention' });
    await global.getByRole('spinbutton').fill('10');
    await global.getByRole('button', { name: 'Save' }).click();
    await panel.getByRole('status').filter({ hasText: 'Retention saved.' }).waitFor({ timeout: 10_000 });
    expect((await retention()).maxAgeDays).toBe(10);

    const row = panel.getByRole('row', { name: /Plaza/ });
    await expect.poll(() => row.textContent()).toContain('global: 10 days');
    await row.getByLabel('Days to keep footage of Plaza').fill('3');
    await row.getByRole('button', { name: 'Save' }).click();
    await panel
      .getByRole('status')
      .filter({ hasText: 'Retention of Plaza saved.' })
      .waitFor({ timeout: 10_000 });
    await expect.poll(() => row.textContent()).toContain('its own');
    const after = await retention();
    expect(after.perCameraMaxAgeDays).toEqual({ plaza: 3 });
    expect(after.forecast.perCamera['plaza']).toMatchObject({ maxAgeDays: 3, own: true });
    fs.mkdirSync(SHOTS, { recursive: true });
    await panel.screenshot({ path: path.join(SHOTS, 'retention.png') });
  });
});
