// An administrator changes how long footage is kept on the System page, for all cameras and for one, and sees how
// many days fit on the disk at the rate the cameras record.
import { describe, expect, it } from 'vitest';
import type { RetentionResponse } from '../backend/src/contract/video-api.js';
import { vtestPath } from '../test/fixtures/footage.js';
import { skipWithoutChromium, useE2e } from './harness.js';

describe.skipIf(skipWithoutChromium())('retention on the System page in headless Chromium', () => {
  const e2e = useE2e({
    config: {
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
    viewport: { width: 1400, height: 1400 },
  });
  const retention = async (): Promise<RetentionResponse> =>
    (await (await e2e.page.request.get(e2e.url('/api/retention'))).json()) as RetentionResponse;

  it('shows the recording rate and the days that fit, and changes retention globally and for one camera', async () => {
    const { page, backend } = e2e;
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
    await e2e.shot('retention', panel);
  });
});
