/**
 * Several sites in one desktop, in headless Chromium against two real backend processes. The Electron binary cannot
 * run here, so the preload's `window.vigil` is played by a stand-in injected before the page loads (as in
 * desktop-bridge.e2e.test.ts); its `sites` methods call, through page.exposeFunction, the real main-process module
 * (main/sites.ts: SiteRelay) running in this test's Node process, as ipcRenderer.invoke would in the app. Only the OS
 * secret store is faked (FakeElectron's safeStorage; Electron's documents encryptString/decryptString as
 * Buffer <-> string, https://www.electronjs.org/docs/latest/api/safe-storage).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiRoutes } from '../backend/src/contract/api.js';
import type { VigilAlert, VigilEvent } from '../backend/src/contract/index.js';
import { SqliteEventStore } from '../backend/src/store/sqlite-store.js';
import { SecretStore } from '../main/secret-store.js';
import { SettingsStore } from '../main/settings.js';
import { SiteRelay } from '../main/sites.js';
import { FakeElectron } from '../main/test-fixtures/fake-electron.js';
import { spawnBackend, tempHome, type BackendProcess } from '../test/fixtures/backend.js';
import { CHROMIUM_INSTALL_HINT, chromiumAvailable, launchChromium } from '../test/fixtures/browser.js';
import { skipWithout } from '../test/fixtures/require.js';
import { buildRendererIfStale } from '../test/fixtures/renderer-build.js';

const skip = skipWithout('headless Chromium', chromiumAvailable(), CHROMIUM_INSTALL_HINT);

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

interface Site {
  id: string;
  name: string;
  token: string;
  port: number;
  home: string;
  /** `live`: streams a real test pattern through ffmpeg; the others are listed only. */
  cameras: Array<{ id: string; name: string; live?: boolean }>;
  events: number;
  backend?: BackendProcess;
}

/** Writes events and one open alert into the site's event store before its backend opens it. */
async function seed(site: Site): Promise<void> {
  const dir = path.join(site.home, 'data');
  fs.mkdirSync(dir, { recursive: true });
  const store = new SqliteEventStore({ file: path.join(dir, 'events.db') });
  const now = Date.now();
  const events: VigilEvent[] = Array.from({ length: site.events }, (_, i) => {
    const startTs = now - 60_000 * (i + 1);
    return {
      id: `${site.id}-ev-${i}`,
      cameraId: site.cameras[0]!.id,
      label: 'person',
      phase: 'end',
      startTs,
      lastTs: startTs + 2000,
      endTs: startTs + 2000,
      topScore: 0.9,
      box: [0.1, 0.1, 0.3, 0.6],
      zones: [],
      path: [{ ts: startTs, box: [0.1, 0.1, 0.3, 0.6], score: 0.9 }],
    };
  });
  store.upsertEventsSync(events);
  const alert: VigilAlert = {
    id: `${site.id}-alert`,
    ruleId: 'r1',
    ruleName: `Person at ${site.name}`,
    eventId: events[0]!.id,
    cameraId: site.cameras[0]!.id,
    label: 'person',
    severity: 'critical',
    state: 'new',
    raisedTs: now - 30_000,
  };
  await store.upsertAlerts([alert]);
  await store.dispose();
}

function startSite(site: Site): Promise<BackendProcess> {
  return spawnBackend(
    {
      server: { port: site.port },
      // One small live test pattern; the other cameras are listed but not connected (no ffmpeg on a loaded machine).
      cameras: site.cameras.map(({ live, ...c }) => ({
        ...c,
        enabled: live ?? false,
        main: { kind: 'testPattern' as const, width: 160, height: 120, fps: 5 },
      })),
    },
    { home: site.home, env: { VIGIL_API_TOKEN: site.token }, timeoutMs: 90_000 },
  );
}

/** The preload stand-in: the usual window.vigil, whose `sites` goes to the real relay (exposed as __vigilSites). */
function installStandIn(): void {
  type Listener = (v: unknown) => void;
  const call = (window as unknown as { __vigilSites(op: string, arg?: unknown): Promise<unknown> })
    .__vigilSites;
  const invoke = async (channel: string, op: string, arg?: unknown) => {
    try {
      return await call(op, arg);
    } catch (err) {
      // As ipcRenderer.invoke rejects when a handler throws.
      throw new Error(`Error invoking remote method '${channel}': ${(err as Error).message}`, {
        cause: err,
      });
    }
  };
  (window as unknown as { vigil: object }).vigil = Object.freeze({
    isDesktop: true,
    backend: async () => ({ url: location.origin, token: '', mode: 'local' }),
    showOpenDialog: async () => [],
    showSaveDialog: async () => undefined,
    saveDownload: async () => undefined,
    displays: async () => [],
    openWallWindow: async () => {},
    closeWallWindow: async () => {},
    setKiosk: async () => {},
    notify: async () => {},
    connection: async () => ({
      mode: 'local',
      remoteUrl: '',
      kibanaUrl: '',
      hasRemoteToken: false,
      canStoreSecrets: true,
    }),
    setConnection: async () => {
      throw new Error('not used here');
    },
    restartBackend: async () => {},
    onFocusCamera: (_l: Listener) => () => {},
    onConnectionStatus: (_l: Listener) => () => {},
    sites: Object.freeze({
      list: () => invoke('vigil:sites-list', 'list'),
      add: (site: unknown) => invoke('vigil:sites-add', 'add', site),
      remove: (id: unknown) => invoke('vigil:sites-remove', 'remove', id),
      request: (r: unknown) => invoke('vigil:sites-request', 'request', r),
    }),
  });
}

const north: Site = {
  id: 'north',
  name: 'North depot',
  token: 'north-e2e-token-1d9f3a',
  port: 0,
  home: '',
  cameras: [{ id: 'gate', name: 'North gate', live: true }],
  events: 3,
};
const south: Site = {
  id: 'south',
  name: 'South yard',
  token: 'south-e2e-token-77c2b0',
  port: 0,
  home: '',
  // The same camera id as on the north site: camera ids are unique only per site.
  cameras: [
    { id: 'gate', name: 'South gate' },
    { id: 'dock', name: 'South dock' },
  ],
  events: 2,
};

let browser: Browser | undefined;
let relay: SiteRelay | undefined;
let userData = '';

describe.skipIf(skip)('many sites in one desktop (headless Chromium, two real backends)', () => {
  beforeAll(async () => {
    buildRendererIfStale();
    for (const s of [north, south]) {
      s.port = await freePort();
      s.home = tempHome(`vigil-site-${s.id}-`);
      await seed(s);
    }
    [north.backend, south.backend] = await Promise.all([startSite(north), startSite(south)]);
    userData = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-desktop-sites-'));
    const electron = new FakeElectron(userData);
    relay = new SiteRelay({
      settings: new SettingsStore(userData),
      secrets: new SecretStore(userData, electron.safeStorage),
      timing: { intervalMs: 1000, baseMs: 500, maxMs: 2000 },
    });
    relay.start(200);
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    relay?.stop();
    await browser?.close();
    for (const s of [north, south]) {
      await s.backend?.stop();
      if (s.home) fs.rmSync(s.home, { recursive: true, force: true });
    }
    if (userData) fs.rmSync(userData, { recursive: true, force: true });
  });

  async function open(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser!.newContext({ viewport: { width: 1400, height: 1000 } });
    // The window's own session on the site that serves it, opened with the token as the desktop shell does.
    const res = await fetch(`${north.backend!.url}${ApiRoutes.authSession}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${north.token}` },
    });
    const sessionId = /vigil_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
    expect(sessionId).toBeTruthy();
    await context.addCookies([
      {
        name: 'vigil_session',
        value: sessionId!,
        domain: '127.0.0.1',
        path: '/',
        httpOnly: true,
        sameSite: 'Strict',
      },
    ]);
    await context.exposeFunction('__vigilSites', async (op: string, arg?: unknown) => {
      const r = relay!;
      if (op === 'list') return r.list();
      if (op === 'add') return r.add(arg);
      if (op === 'remove') return r.remove(arg);
      if (op === 'request') return r.request(arg);
      throw new Error(`unknown operation ${op}`);
    });
    await context.addInitScript(installStandIn);
    return { context, page: await context.newPage() };
  }

  it('two sites: a mixed wall, one alert desk, a search over both; one site stops, the other is undisturbed', async () => {
    const { context, page } = await open();
    // The window is served by the north backend, as the desktop's own connection would load it.
    await page.goto(`${north.backend!.url}/#/sites`);
    const sitesList = page.getByRole('region', { name: 'Sites' });
    for (const s of [north, south]) {
      await sitesList.getByLabel('Site id').fill(s.id);
      await sitesList.getByLabel('Site name').fill(s.name);
      await sitesList.getByLabel('Site address').fill(`http://127.0.0.1:${s.port}`);
      await sitesList.getByLabel('Site API token').fill(s.token);
      await sitesList.getByRole('button', { name: 'Add site' }).click();
      await page.getByTestId(`site-state-${s.id}`).getByText('online').waitFor({ timeout: 20_000 });
    }
    // A refused address says why.
    await sitesList.getByLabel('Site id').fill('east');
    await sitesList.getByLabel('Site name').fill('East');
    await sitesList.getByLabel('Site address').fill('http://east.example.org');
    await sitesList.getByLabel('Site API token').fill('x');
    await sitesList.getByRole('button', { name: 'Add site' }).click();
    await expect(sitesList.getByRole('alert').textContent()).resolves.toMatch(/^url: use https:\/\//);
    // The tokens are in the secret store only, encrypted.
    for (const f of fs.readdirSync(userData)) {
      const text = fs.readFileSync(path.join(userData, f), 'utf8');
      expect(text).not.toContain(north.token);
      expect(text).not.toContain(south.token);
    }

    // The wall mixes both sites; the two cameras called "gate" are two tiles.
    const wall = page.getByRole('region', { name: 'Wall of all sites' });
    const tile = (key: string) => wall.getByTestId(`tile-${key}`);
    await tile('north/gate').waitFor({ timeout: 20_000 });
    await tile('south/gate').waitFor();
    await expect(tile('north/gate').getAttribute('aria-label')).resolves.toBe('North depot · North gate');
    await expect(tile('south/gate').getAttribute('aria-label')).resolves.toBe('South yard · South gate');
    // The live north camera shows its picture, fetched through the relay (the page never calls the other site).
    await expect
      .poll(
        () =>
          tile('north/gate')
            .locator('img')
            .getAttribute('src', { timeout: 1000 })
            .catch(() => null),
        { timeout: 60_000 },
      )
      .toMatch(/^data:image\/jpeg;base64,/);
    await tile('north/gate').getByText('streaming').waitFor();
    await tile('south/gate').getByText('disabled').waitFor();
    const order = () =>
      wall.locator('figure').evaluateAll((fs) => fs.map((f) => f.getAttribute('data-testid')));
    const layout = await order();
    // North was added first, then south: its cameras join after the north tile.
    expect(layout).toEqual(['tile-north/gate', 'tile-south/gate', 'tile-south/dock']);

    // One desk with the open alerts of both sites.
    const desk = page.getByRole('region', { name: 'Alerts of all sites' });
    await desk.getByText('Person at North depot').waitFor();
    await desk.getByText('Person at South yard').waitFor();
    // Acknowledged from the desk: the south site records it, and the desk no longer lists it.
    await desk.getByRole('button', { name: 'Acknowledge Person at South yard (South yard)' }).click();
    await expect.poll(() => desk.getByText('Person at South yard').count()).toBe(0);
    const acked = (await (
      await fetch(`${south.backend!.url}/api/alerts?state=acknowledged`, {
        headers: { authorization: `Bearer ${south.token}` },
      })
    ).json()) as VigilAlert[];
    expect(acked.map((a) => [a.id, a.state])).toEqual([['south-alert', 'acknowledged']]);

    // One search, both sites' events, each site's total.
    const search = page.getByRole('region', { name: 'Search all sites' });
    await search.getByRole('button', { name: 'Search all sites' }).click();
    const totals = search.getByRole('list', { name: 'Totals per site' });
    await totals.getByText('North depot: 3').waitFor();
    await totals.getByText('South yard: 2').waitFor();
    expect(await search.locator('tbody tr[data-site="north"]').count()).toBe(3);
    expect(await search.locator('tbody tr[data-site="south"]').count()).toBe(2);

    // The site switcher shows one site only.
    await page.getByRole('combobox', { name: 'Site' }).selectOption('south');
    await expect.poll(order).toEqual(['tile-south/gate', 'tile-south/dock']);
    await page.getByRole('combobox', { name: 'Site' }).selectOption('');

    // The south backend stops: its tiles say so in place, the north keeps working.
    await south.backend!.stop();
    await page.getByTestId('site-state-south').getByText('offline').waitFor({ timeout: 20_000 });
    await tile('south/gate').getByText('site offline').waitFor();
    await tile('south/dock').getByText('site offline').waitFor();
    expect(await order()).toEqual(layout);
    await expect(tile('north/gate').getAttribute('class')).resolves.not.toContain('offline');
    await expect(page.getByTestId('site-state-north').textContent()).resolves.toBe('online');
    await search.getByRole('button', { name: 'Search all sites' }).click();
    await totals
      .getByRole('alert')
      .getByText(/^South yard did not answer/)
      .waitFor();
    await totals.getByText('North depot: 3').waitFor();
    expect(await search.locator('tbody tr[data-site="north"]').count()).toBe(3);
    expect(await search.locator('tbody tr[data-site="south"]').count()).toBe(0);
    await desk.getByText('Person at North depot').waitFor();

    // It comes back on its address: the site reconnects by itself and its tiles return.
    south.backend = await startSite(south);
    await page.getByTestId('site-state-south').getByText('online').waitFor({ timeout: 30_000 });
    await expect
      .poll(() => tile('south/gate').getAttribute('class'), { timeout: 15_000 })
      .not.toContain('offline');
    expect(await order()).toEqual(layout);
    await context.close();
  }, 240_000);
});
