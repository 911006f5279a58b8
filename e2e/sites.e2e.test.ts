/**
 * Several sites in one desktop, in headless Chromium against two real backend processes. The Electron binary cannot
 * run here, so the preload's `window.vigil` is played by a stand-in injected before the page loads (as in
 * desktop-bridge.e2e.test.ts); its `sites` methods call, through page.exposeFunction, the real main-process module
 * (main/sites.ts: SiteRelay) running in this test's Node process, as ipcRenderer.invoke would in the app. Only the OS
 * secret store is faked (FakeElectron's safeStorage; Electron's documents encryptString/decryptString as
 * Buffer <-> string, https://www.electronjs.org/docs/latest/api/safe-storage).
 *
 * Live video of other sites: in the app, the main process gives the window one end of a MessageChannelMain
 * (webContents.postMessage, https://www.electronjs.org/docs/latest/api/web-contents#contentspostmessagechannel-message-transfer)
 * and the preload hands it to the page with window.postMessage (https://www.electronjs.org/docs/latest/tutorial/message-ports).
 * Here the relay (main/site-live.ts, real) writes to a Node MessageChannel, and a WebSocket that Playwright routes
 * to this test's Node process (BrowserContext.routeWebSocket, never reaching a server) stands in for the IPC pipe
 * between the two processes; the stand-in preload turns it back into a page MessagePort posted to the window with
 * the page's nonce, as the real preload does.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import NodeWebSocket from 'ws';
import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident, SessionResponse, VigilEvent } from '../backend/src/contract/index.js';
import { makeIncident } from '../test/contracts/event-store.js';
import { SqliteEventStore } from '../backend/src/store/sqlite-store.js';
import { SecretStore } from '../main/secret-store.js';
import { SettingsStore } from '../main/settings.js';
import { SiteLiveRelay } from '../main/site-live.js';
import { SiteRelay } from '../main/sites.js';
import { FakeElectron } from '../main/test-fixtures/fake-electron.js';
import { openBrowserSession, spawnBackend, tempHome, type BackendProcess } from '../test/fixtures/backend.js';
import { CHROMIUM_INSTALL_HINT, chromiumAvailable, launchChromium } from '../test/fixtures/browser.js';
import { skipWithout } from '../test/fixtures/require.js';
import { buildRendererIfStale } from '../test/fixtures/renderer-build.js';

const SHOTS = path.join(import.meta.dirname, 'screenshots');
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

/** Writes events and one open incident into the site's event store before its backend opens it. */
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
  await store.incidents.upsertIncidents([
    makeIncident({
      id: `inc-${site.id}-1`,
      cameraId: site.cameras[0]!.id,
      startTs: now - 30_000,
      lastTs: now - 20_000,
      severity: 'critical',
      ruleNames: [`Person at ${site.name}`],
      eventIds: [events[0]!.id],
      snapshots: [],
    }),
  ]);
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
      // The IPC pipe of the port is a routed WebSocket (see the top of this file); the page gets a real MessagePort.
      openLive: async (r: { nonce?: unknown }) => {
        const nonce = String(r?.nonce);
        const pipe = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/__ipc-stand-in/${nonce}`);
        pipe.binaryType = 'arraybuffer';
        await new Promise((resolve, reject) => {
          pipe.onopen = resolve;
          pipe.onerror = reject;
        });
        await invoke('vigil:sites-live', 'live', r);
        // The page's own MessageChannel (this function runs in the page; the name would be the Node import here).
        const { port1, port2 } = new (
          window as unknown as { MessageChannel: new () => { port1: MessagePort; port2: MessagePort } }
        ).MessageChannel();
        pipe.onmessage = (e: MessageEvent<string | ArrayBuffer>) =>
          port1.postMessage(
            typeof e.data === 'string' ? JSON.parse(e.data) : { type: 'fmp4', data: new Uint8Array(e.data) },
          );
        pipe.onclose = () => port1.close();
        port1.onmessage = (e) => pipe.send(JSON.stringify(e.data));
        window.postMessage({ type: 'vigil:site-live-port', nonce }, location.origin, [port2]);
      },
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
let live: SiteLiveRelay | undefined;
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
    live = new SiteLiveRelay({ connection: (id) => relay!.connection(id) });
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    relay?.stop();
    live?.dispose();
    await browser?.close();
    for (const s of [north, south]) {
      await s.backend?.stop();
      if (s.home) fs.rmSync(s.home, { recursive: true, force: true });
    }
    if (userData) fs.rmSync(userData, { recursive: true, force: true });
  });

  async function open(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser!.newContext({ viewport: { width: 1400, height: 1000 } });
    // The window's own session on the site that serves it: an administrator signed in there.
    const sessionId = await openBrowserSession({ url: north.backend!.url, token: north.token });
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
    // The stand-in's IPC pipes of live ports, by nonce (see the top of this file).
    const pipes = new Map<string, WebSocketRoute>();
    await context.routeWebSocket(/\/__ipc-stand-in\//, (ws) => {
      pipes.set(decodeURIComponent(ws.url().split('/').pop() ?? ''), ws);
    });
    await context.exposeFunction('__vigilSites', async (op: string, arg?: unknown) => {
      const r = relay!;
      if (op === 'live') {
        const pipe = pipes.get(String((arg as { nonce?: unknown })?.nonce));
        if (!pipe) throw new Error('no pipe for this port');
        const { port1, port2 } = new MessageChannel();
        live!.open(
          arg,
          {
            postMessage: (m) => port1.postMessage(m),
            onMessage: (l) => port1.on('message', l),
            onClose: (l) => port1.on('close', l),
            start: () => port1.start(),
            close: () => port1.close(),
          },
          1,
        );
        port2.on('message', (m: { type: string; data?: Uint8Array }) =>
          m.type === 'fmp4' ? pipe.send(Buffer.from(m.data!)) : pipe.send(JSON.stringify(m)),
        );
        port2.on('close', () => void pipe.close().catch(() => {}));
        pipe.onMessage((m) => port2.postMessage(JSON.parse(String(m))));
        pipe.onClose(() => port2.close());
        return undefined;
      }
      if (op === 'list') return r.list();
      if (op === 'add') return r.add(arg);
      if (op === 'remove') return r.remove(arg);
      if (op === 'request') return r.request(arg);
      throw new Error(`unknown operation ${op}`);
    });
    await context.addInitScript(installStandIn);
    return { context, page: await context.newPage() };
  }

  it('two sites: a mixed wall with live video, one incident desk, a search over both; one site stops, the other is undisturbed', async () => {
    const { context, page } = await open();
    const calls: string[] = [];
    page.on('request', (r) => calls.push(r.url()));
    page.on('websocket', (w) => calls.push(w.url()));
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
    // The live north camera plays live video through the relay (Media Source Extensions, as the site's own wall),
    // its picture moving on; the page never calls the other sites itself.
    const played = () =>
      page.evaluate(() => {
        const tiles = (window as unknown as { vigilTiles?: Map<string, { fragments: number }> }).vigilTiles;
        const s = tiles?.get('north/gate');
        const v = document.querySelector<HTMLVideoElement>('[data-testid="tile-north/gate"] video');
        return { fragments: s?.fragments ?? 0, time: v?.currentTime ?? 0, width: v?.videoWidth ?? 0 };
      });
    await expect.poll(async () => (await played()).time, { timeout: 60_000 }).toBeGreaterThan(0.5);
    const first = await played();
    await expect.poll(async () => (await played()).time, { timeout: 10_000 }).toBeGreaterThan(first.time + 1);
    expect(first.width).toBe(160);
    // Fragments counted by the tile's player (its stats start again when the tile's source is re-attached).
    await expect.poll(async () => (await played()).fragments, { timeout: 10_000 }).toBeGreaterThan(0);
    // One stream for the one live tile: a tile mounted twice (React's development checks) leaves none behind.
    await expect.poll(() => live!.size, { timeout: 10_000 }).toBe(1);
    await tile('north/gate').getByText('streaming').waitFor();
    await tile('south/gate').getByText('disabled').waitFor();
    const order = () =>
      wall.locator('figure').evaluateAll((fs) => fs.map((f) => f.getAttribute('data-testid')));
    const layout = await order();
    // North was added first, then south: its cameras join after the north tile.
    expect(layout).toEqual(['tile-north/gate', 'tile-south/gate', 'tile-south/dock']);

    // One desk with the open incidents of both sites, each named with its site.
    const desk = page.getByRole('region', { name: 'Incidents of all sites' });
    const item = (site: string) => desk.locator(`li[data-key="${site}/inc-${site}-1"]`);
    await item('north').waitFor();
    await item('south').waitFor();
    await expect(item('north').textContent()).resolves.toMatch(
      /^North depot · Person at North depot · North gate · 1 × person/,
    );
    await expect(item('south').textContent()).resolves.toMatch(
      /^South yard · Person at South yard · South gate · 1 × person/,
    );
    // Acknowledged from the desk: the south site records it under its own rules (the person its token belongs to,
    // as that site says), and the desk shows who.
    await desk.getByRole('button', { name: 'Acknowledge Person at South yard (South yard)' }).click();
    const southGet = async <T>(p: string) =>
      (await (
        await fetch(`${south.backend!.url}${p}`, { headers: { authorization: `Bearer ${south.token}` } })
      ).json()) as T;
    const southUser = (await southGet<SessionResponse>('/api/session')).user;
    await item('south').getByText(`acknowledged by ${southUser}`).waitFor();
    const acked = await southGet<Incident>('/api/incidents/inc-south-1');
    expect([acked.state, acked.acknowledgedBy]).toEqual(['acknowledged', southUser]);
    await page.screenshot({ path: path.join(SHOTS, 'sites.png'), fullPage: true });
    // The north one is untouched, on its own site and on the desk.
    expect(
      await item('north')
        .getByRole('button', { name: /^Acknowledge/ })
        .count(),
    ).toBe(1);

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
    await item('north').waitFor();

    // It comes back on its address: the site reconnects by itself and its tiles return.
    south.backend = await startSite(south);
    await page.getByTestId('site-state-south').getByText('online').waitFor({ timeout: 30_000 });
    await expect
      .poll(() => tile('south/gate').getAttribute('class'), { timeout: 15_000 })
      .not.toContain('offline');
    expect(await order()).toEqual(layout);
    // The page only ever called the origin that serves it; the other site and its token stayed with the relay.
    expect(calls.filter((u) => !u.includes(`127.0.0.1:${north.port}/`))).toEqual([]);
    expect(calls.some((u) => u.includes(`:${south.port}`))).toBe(false);
    // Closing the window ends the relayed live stream (the site's sockets close).
    await context.close();
    await expect.poll(() => live!.size, { timeout: 10_000 }).toBe(0);
  }, 240_000);

  it("another site's detection boxes are drawn on its live tile, relayed with the video", async () => {
    // A third site filming the demo plaza (people walking) with detection on.
    const west = {
      id: 'west',
      name: 'West plaza',
      token: 'west-e2e-token-90ad4e',
      port: await freePort(),
      home: tempHome('vigil-site-west-'),
      backend: undefined as BackendProcess | undefined,
    };
    try {
      west.backend = await spawnBackend(
        {
          server: { port: west.port },
          cameras: [
            {
              id: 'plaza',
              name: 'Plaza',
              main: {
                kind: 'file',
                path: path.join(import.meta.dirname, '..', 'assets/demo/vtest-h264.mp4'),
                loop: true,
              },
              // One analysis frame a second at a smaller input: on a loaded machine the boxes still arrive within
              // the 2 s the wall holds the picture back for them.
              analysis: { fps: 1 },
            },
          ],
          detect: { inputSize: 384 },
        },
        { home: west.home, env: { VIGIL_API_TOKEN: west.token }, timeoutMs: 90_000 },
      );
      relay!.add({ id: west.id, name: west.name, url: `http://127.0.0.1:${west.port}`, token: west.token });
      const { context, page } = await open();
      await page.goto(`${north.backend!.url}/#/sites`);
      const tile = page.getByTestId('tile-west/plaza');
      await tile.waitFor({ timeout: 20_000 });
      const canvas = tile.locator('canvas');
      // The west site's detector (a model loading on a shared machine) first finds people on its own, as its own
      // realtime socket says ...
      await new Promise<void>((resolve, reject) => {
        const ws = new NodeWebSocket(`ws://127.0.0.1:${west.port}/api/ws?cameras=plaza`, {
          headers: { authorization: `Bearer ${west.token}` },
        });
        const timer = setTimeout(() => {
          ws.close();
          reject(new Error(`the west site's detector found no person in 180 s (load ${os.loadavg()[0]})`));
        }, 180_000);
        ws.on('message', (data: Buffer) => {
          const m = JSON.parse(data.toString()) as {
            kind: string;
            data: { detections?: { label: string }[] };
          };
          if (m.kind === 'detections' && m.data.detections?.some((d) => d.label === 'person')) {
            clearTimeout(timer);
            ws.close();
            resolve();
          }
        });
        ws.on('error', reject);
      });
      // ... then its detection sets reach the tile through the relay, with the video ...
      const stats = async () =>
        JSON.parse(
          await page.evaluate(() =>
            JSON.stringify(
              (window as unknown as { vigilTiles?: Map<string, unknown> }).vigilTiles?.get('west/plaza') ??
                {},
            ),
          ),
        ) as { detectionLagMs?: number; state?: string };
      await expect.poll(async () => (await stats()).detectionLagMs, { timeout: 60_000 }).toBeGreaterThan(0);
      // ... and are drawn on the frames they belong to. The wall holds the picture back at most 2 s for its boxes
      // (docs/ARCHITECTURE.md); on a machine so loaded that detection takes longer, boxes arrive after their frame
      // and are rightly not drawn, on a site's own wall as here.
      const lag = (await stats()).detectionLagMs!;
      if (lag > 1800) {
        console.warn(
          `west/plaza: detections arrive ${lag} ms after capture, beyond the 2 s hold; boxes not checked`,
        );
        await context.close();
        return;
      }
      await expect
        .poll(() => canvas.getAttribute('data-labels'), { timeout: 60_000, interval: 250 })
        .toContain('person')
        .catch(async (err: unknown) => {
          throw new Error(`no person box on the tile; tile figures: ${JSON.stringify(await stats())}`, {
            cause: err,
          });
        });
      expect(Number(await canvas.getAttribute('data-boxes'))).toBeGreaterThan(0);
      await page.screenshot({ path: path.join(SHOTS, 'sites-boxes.png') });
      await context.close();
    } finally {
      relay!.remove('west');
      await west.backend?.stop();
      fs.rmSync(west.home, { recursive: true, force: true });
    }
  }, 360_000);
});
