import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openBrowserSession, type BackendProcess } from '../test/fixtures/backend.js';
import { skipWithout } from '../test/fixtures/require.js';
import { RTSP_INSTALL_HINT, RtspFixture, rtspFixtureAvailable } from '../test/fixtures/rtsp.js';
import { skipWithoutChromium, useE2e, type E2eSession } from './harness.js';

const CAMERA = 'plaza';

const skip =
  skipWithoutChromium() || skipWithout('the RTSP fixture', rtspFixtureAvailable(), RTSP_INSTALL_HINT);

let e2e: E2eSession;
let rtsp: RtspFixture | undefined;
let backend: BackendProcess | undefined;
let browser: Browser | undefined;
let page: Page;

/** GET/POST to the backend as the desktop shell does (Bearer token). */
const call = (method: string, p: string, body?: unknown): Promise<Response> => e2e.call(method, p, body);

const shot = (name: string): Promise<void> => e2e.shot(name);

describe.skipIf(skip)('operator UI in headless Chromium against the real backend', () => {
  afterAll(() => rtsp?.dispose());
  e2e = useE2e(async () => {
    rtsp = await RtspFixture.start();
    return {
      config: {
        cameras: [
          { id: CAMERA, name: 'Plaza', main: { kind: 'rtsp', url: rtsp.url }, location: 'RTSP test camera' },
        ],
      },
      viewport: { width: 1600, height: 900 },
    };
  });

  beforeAll(async () => {
    ({ backend, browser, page } = e2e);
    // An alert rule for people, so that the footage raises an incident to acknowledge.
    await call('POST', '/api/alert-rules', {
      name: 'Person in the plaza',
      label: 'person',
      cameraId: CAMERA,
      minDurationSec: 0,
      severity: 'critical',
      enabled: true,
    }).catch(() => undefined);
  });

  it('refuses requests and WebSocket upgrades without the token (401)', async () => {
    const b = backend!;
    expect((await fetch(`${b.url}/api/cameras`)).status).toBe(401);
    expect((await fetch(`${b.url}/metrics`)).status).toBe(401);
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${b.url.replace(/^http/, 'ws')}/api/ws`);
      ws.once('unexpected-response', (req, res) => {
        req.destroy();
        resolve(res.statusCode ?? 0);
      });
      ws.once('open', () => {
        ws.close();
        reject(new Error('upgrade accepted without a token'));
      });
      ws.once('error', reject);
    });
    expect(status).toBe(401);
    // A browser without the cookie is asked to sign in.
    const anon = await browser!.newContext();
    const p = await anon.newPage();
    await p.goto(b.url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
    await p.getByRole('heading', { name: 'Sign in to Vigil' }).waitFor({ timeout: 15_000 });
    await anon.close();
  });

  it('live wall: the video plays and a person box appears within 10 s', async () => {
    await page.goto(`${backend!.url}/#/live`);
    const video = page.locator(`video[data-camera="${CAMERA}"]`).first();
    await video.waitFor({ timeout: 20_000 });
    await page.waitForFunction(
      (id) =>
        ((document.querySelector(`video[data-camera="${id}"]`) as HTMLVideoElement | null)?.currentTime ??
          0) > 0.5,
      CAMERA,
      { timeout: 30_000 },
    );
    const t1 = await video.evaluate((v: HTMLVideoElement) => v.currentTime);
    await page.waitForTimeout(1500);
    const t2 = await video.evaluate((v: HTMLVideoElement) => v.currentTime);
    expect(t2).toBeGreaterThan(t1);
    const started = Date.now();
    await page.waitForFunction(
      () =>
        Array.from(document.querySelectorAll('canvas.tile-overlay')).some((c) =>
          (c as HTMLCanvasElement).dataset.labels?.includes('person'),
        ),
      undefined,
      { timeout: 10_000 },
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    await expect
      .poll(() => page.locator('.tile .badge').first().textContent(), { timeout: 10_000 })
      .toMatch(/live/);
    // Boxes arrive over the realtime socket, so the header must show it connected, not "reconnecting".
    expect(await page.locator('nav .conn').textContent()).toContain('live');
    await shot('live');
  });

  it('live wall: a layout saved in one window loads in a second wall window of another browser', async () => {
    await page.goto(`${backend!.url}/#/live`);
    await page.locator(`video[data-camera="${CAMERA}"]`).first().waitFor({ timeout: 20_000 });
    await page.getByRole('group', { name: 'Grid' }).getByRole('button', { name: '3×3' }).click();
    await page.locator('.wall-grid[data-layout="3x3"]').waitFor();
    page.once('dialog', (d) => void d.accept('Night shift'));
    await page.getByRole('button', { name: 'Save layout…' }).click();
    await page.getByRole('button', { name: 'Night shift', exact: true }).waitFor({ timeout: 10_000 });
    // Saved on the backend, not in this browser.
    const saved = (await (await call('GET', '/api/layouts')).json()) as Array<{
      name: string;
      layout: unknown;
    }>;
    expect(saved).toEqual([
      expect.objectContaining({
        name: 'Night shift',
        layout: { kind: '3x3', tiles: [CAMERA, ...Array(8).fill(null)] },
      }),
    ]);

    // Another browser profile (no shared local storage), opened as a second wall window.
    const other = await browser!.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      await other.addCookies([
        {
          name: 'vigil_session',
          value: await openBrowserSession(backend!),
          domain: new URL(backend!.url).hostname,
          path: '/',
        },
      ]);
      const second = await other.newPage();
      await second.goto(`${backend!.url}/#/wall?name=second`);
      await second.locator('.wall-grid[data-layout="1x1"]').waitFor({ timeout: 15_000 });
      await second.getByRole('button', { name: 'Night shift', exact: true }).click();
      await second.locator('.wall-grid[data-layout="3x3"]').waitFor();
      await second.waitForFunction(
        (id) =>
          ((
            document.querySelector(
              `.tile[data-tile="0"] video[data-camera="${id}"]`,
            ) as HTMLVideoElement | null
          )?.currentTime ?? 0) > 0.5,
        CAMERA,
        { timeout: 30_000 },
      );
      await e2e.shot('wall-second-window', second);
      // Deleting it there removes it for everyone.
      await second.getByRole('button', { name: 'Delete layout Night shift' }).click();
      await expect
        .poll(async () => ((await (await call('GET', '/api/layouts')).json()) as unknown[]).length)
        .toBe(0);
    } finally {
      await other.close();
    }
    await page.getByRole('group', { name: 'Grid' }).getByRole('button', { name: '1×1' }).click();
  });

  it('incidents: a new incident stands out and A acknowledges it', async () => {
    await page.goto(`${backend!.url}/#/live`);
    const incident = page.locator('li.alert.state-new').first();
    await incident.waitFor({ timeout: 90_000 });
    await shot('alerts');
    const acknowledged = async () =>
      ((await (await call('GET', '/api/incidents?state=acknowledged')).json()) as Array<{ id: string }>).map(
        (a) => a.id,
      );
    const before = await acknowledged();
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('a');
    // The top incident (whichever it is at the moment of the key press) is acknowledged and shown as such.
    await expect.poll(async () => (await acknowledged()).length, { timeout: 10_000 }).toBe(before.length + 1);
    const id = (await acknowledged()).find((a) => !before.includes(a));
    await expect
      .poll(async () => page.locator(`li.alert.state-acknowledged[data-incident="${id}"]`).count(), {
        timeout: 10_000,
      })
      .toBe(1);
  }, 120_000);

  it('events: "person" in the last 5 minutes lists results with thumbnails, and a clip plays', async () => {
    await page.goto(`${backend!.url}/#/events`);
    await page.getByRole('button', { name: 'Last 5 min' }).click();
    await page
      .getByRole('group', { name: 'Labels' })
      .getByRole('button', { name: /^person/ })
      .click();
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const first = page.locator('.result').first();
    await first.waitFor({ timeout: 30_000 });
    await page.waitForFunction(
      () =>
        Array.from(document.querySelectorAll('.result img.thumb')).some(
          (i) => (i as HTMLImageElement).naturalWidth > 0,
        ),
      undefined,
      { timeout: 15_000 },
    );
    await first.click();
    await page.locator('.event-detail img').first().waitFor();
    // The newest event's footage may still be in the segment being recorded: the UI retries until it is on disk.
    await page.waitForFunction(
      () => ((document.querySelector('video.clip-video') as HTMLVideoElement | null)?.currentTime ?? 0) > 0.5,
      undefined,
      { timeout: 45_000 },
    );
    await shot('events');
    // Evidence export starts from the event: the dialog opens with the event's camera preselected.
    await page.getByRole('button', { name: 'Export evidence…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Export evidence' });
    await dialog.waitFor();
    await shot('events-export');
    await dialog
      .getByRole('button', { name: /cancel|close/i })
      .first()
      .click();
    await dialog.waitFor({ state: 'detached' });
    // …and from a camera's timeline, for the range on screen.
    await page
      .getByRole('button', { name: /^Export evidence from / })
      .first()
      .click();
    await dialog.waitFor();
    await dialog
      .getByRole('button', { name: /cancel|close/i })
      .first()
      .click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('dashboards draw bars', async () => {
    await page.goto(`${backend!.url}/#/dashboards`);
    await page
      .locator('.recharts-bar-rectangle path, .recharts-bar-rectangle rect')
      .first()
      .waitFor({ timeout: 30_000 });
    expect(await page.locator('.unavailable').count()).toBe(0);
    // The camera was added a minute or two ago and has recorded since: its uptime bar is (nearly) full height, not a
    // sliver of the 24 h range.
    const uptime = page.getByRole('region', { name: 'Camera uptime (recorded %) and gaps' });
    const bar = uptime.locator('.recharts-bar-rectangle path, .recharts-bar-rectangle rect').first();
    await bar.waitFor({ timeout: 15_000 });
    const grid = await uptime.locator('.recharts-cartesian-grid').boundingBox();
    const box = await bar.boundingBox();
    expect(box!.height).toBeGreaterThan(0.8 * grid!.height);
    await shot('dashboards');
  });

  it('cameras and system views show the camera and the services', async () => {
    await page.goto(`${backend!.url}/#/cameras`);
    await page.getByRole('cell', { name: 'Plaza', exact: true }).waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Zones' }).first().click();
    await page.locator('.zone-editor').waitFor();
    // The editor draws on the camera's current frame.
    await page.waitForFunction(
      () => ((document.querySelector('.zone-canvas img') as HTMLImageElement | null)?.naturalWidth ?? 0) > 0,
      undefined,
      { timeout: 15_000 },
    );
    await shot('cameras');
    await page.goto(`${backend!.url}/#/system`);
    await page.getByRole('region', { name: 'Services' }).locator('tr').first().waitFor({ timeout: 15_000 });
    await page.waitForTimeout(3500); // two metric samples for the small charts
    await shot('system');
  });

  it('signing out ends the browser session: the sign-in page shows and the old cookie is refused', async () => {
    const b = backend!;
    const other = await browser!.newContext();
    try {
      const session = await openBrowserSession(b);
      await other.addCookies([
        { name: 'vigil_session', value: session, domain: new URL(b.url).hostname, path: '/', httpOnly: true },
      ]);
      const p = await other.newPage();
      await p.goto(`${b.url}/#/system`);
      await p.getByRole('button', { name: 'Sign out' }).click();
      await p.getByRole('heading', { name: 'Sign in to Vigil' }).waitFor({ timeout: 15_000 });
      const res = await fetch(`${b.url}/api/session`, { headers: { cookie: `vigil_session=${session}` } });
      expect(res.status).toBe(401);
      // The main page's own session is untouched.
      expect(await page.evaluate(async () => (await fetch('/api/session')).status)).toBe(200);
    } finally {
      await other.close();
    }
  });
});
