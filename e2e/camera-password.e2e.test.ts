import { afterAll, describe, expect, it } from 'vitest';
import type { CameraDetail, CameraStatus } from '../backend/src/contract/video-api.js';
import { skipWithout } from '../test/fixtures/require.js';
import { RTSP_INSTALL_HINT, RtspFixture, rtspFixtureAvailable } from '../test/fixtures/rtsp.js';
import { waitFor } from '../test/helpers/video.js';
import { skipWithoutChromium, useE2e } from './harness.js';

const PASSWORD = 'Form-pw:2026';

const skip =
  skipWithoutChromium() || skipWithout('the RTSP fixture', rtspFixtureAvailable(), RTSP_INSTALL_HINT);

describe.skipIf(skip)('camera form: user name and password (headless Chromium, real backend)', () => {
  let rtsp: RtspFixture | undefined;
  afterAll(() => rtsp?.dispose());
  const e2e = useE2e(async () => {
    rtsp = await RtspFixture.start({ user: 'admin', password: PASSWORD });
    return {
      config: {
        cameras: [],
        detect: { enabled: false },
        video: { networkSources: { loopbackPorts: [rtsp.port] } },
      },
    };
  });
  const call = (p: string): Promise<Response> => e2e.call('GET', p);

  it('adds a camera with a password, shows it as "set", never fills it in, and keeps it when left blank', async () => {
    const { page, backend } = e2e;
    await page.goto(`${backend.url}/#/cameras`);
    await page.getByRole('button', { name: 'Add camera' }).click();
    const form = page.getByRole('region', { name: 'Camera settings' });
    await form.getByLabel('Id', { exact: true }).fill('gate');
    await form.getByLabel('Name', { exact: true }).fill('Gate');
    await form.getByLabel('URL', { exact: true }).fill(`rtsp://127.0.0.1:${rtsp!.port}/secure`);
    await form.getByLabel('User name', { exact: true }).fill('admin');
    await form.getByLabel(/^Password/).fill(PASSWORD);
    await form.getByRole('button', { name: 'Test' }).click();
    await form.getByText(/Connected: h264/).waitFor({ timeout: 30_000 });
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('cell', { name: 'Gate', exact: true }).waitFor({ timeout: 15_000 });
    await waitFor('streaming', async () =>
      ((await (await call('/api/cameras')).json()) as CameraStatus[]).some(
        (c) => c.id === 'gate' && c.state === 'streaming',
      ),
    );

    // Edit: the password field is empty and says a password is set; saving another name keeps it.
    await page.getByRole('row', { name: /Gate/ }).getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('region', { name: 'Camera settings' });
    await edit.getByText('set — leave blank to keep it').waitFor();
    expect(await edit.getByLabel(/^Password/).inputValue()).toBe('');
    expect(await edit.getByLabel('User name', { exact: true }).inputValue()).toBe('admin');
    expect(await page.content()).not.toContain(PASSWORD);
    await edit.getByLabel('Name', { exact: true }).fill('Gate 2');
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('cell', { name: 'Gate 2', exact: true }).waitFor({ timeout: 15_000 });
    const detail = (await (await call('/api/cameras/gate')).json()) as CameraDetail;
    expect(detail.config.main).toMatchObject({ username: 'admin', passwordSet: true });
    await waitFor('streaming after the edit', async () =>
      ((await (await call('/api/cameras')).json()) as CameraStatus[]).some(
        (c) => c.id === 'gate' && c.state === 'streaming',
      ),
    );
  });
});
