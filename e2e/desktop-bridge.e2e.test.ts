/**
 * The renderer with and without the desktop shell, in headless Chromium against the real backend. The Electron
 * binary cannot run here, so the desktop app's preload is played by a stand-in `window.vigil` injected before the
 * page loads (page.addInitScript), with the shape of VigilDesktopApi (backend/src/contract/desktop.ts) and the
 * preload's behaviour (main/preload/index.cts): each method resolves or rejects like ipcRenderer.invoke, whose
 * rejections Electron prefixes with "Error invoking remote method '<channel>': ". It records what the page asked.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../backend/src/contract/index.js';
import type { BackendProcess } from '../test/fixtures/backend.js';
import { skipWithoutChromium, useE2e, type E2eSession } from './harness.js';

const skip = skipWithoutChromium();

/** The stand-in for the preload's window.vigil; `window.desktop` lets the test play the main process. */
function installStandIn(): void {
  type Listener = (v: unknown) => void;
  const calls: unknown[][] = [];
  const focus: Listener[] = [];
  const status: Listener[] = [];
  const walls = new Set<number>();
  let settings = {
    mode: 'local',
    remoteUrl: '',
    kibanaUrl: '',
    hasRemoteToken: false,
    canStoreSecrets: true,
  };
  const refused = (channel: string, error: string) =>
    new Error(`Error invoking remote method '${channel}': ${error}`);
  const display = (id: number, x: number, label: string, primary: boolean) => ({
    id,
    label,
    bounds: { x, y: 0, width: 1920, height: 1080 },
    primary,
    hasWall: walls.has(id),
    wallPlacement: 'exact',
  });
  (window as unknown as { desktop: object }).desktop = {
    calls,
    focusCamera: (id: string) => focus.forEach((l) => l(id)),
    connectionStatus: (s: unknown) => status.forEach((l) => l(s)),
  };
  (window as unknown as { vigil: object }).vigil = Object.freeze({
    isDesktop: true,
    backend: async () => ({ url: location.origin, token: '', mode: settings.mode }),
    showOpenDialog: async () => [],
    showSaveDialog: async () => undefined,
    saveDownload: async (request: { url: string }) => {
      // The main process fetches the URL from the backend: so does the stand-in, to show it is a real file.
      const res = await fetch(request.url);
      calls.push(['saveDownload', request, res.status, res.headers.get('content-type')]);
      return '/var/lib/operator/exports/case.zip';
    },
    displays: async () => [display(1, 0, 'Built-in', true), display(7, 1920, 'DELL U2720Q', false)],
    openWallWindow: async (id: number) => {
      calls.push(['openWallWindow', id]);
      walls.add(id);
    },
    closeWallWindow: async (id: number) => {
      calls.push(['closeWallWindow', id]);
      walls.delete(id);
    },
    setKiosk: async () => {},
    notify: async (alert: unknown) => {
      calls.push(['notify', alert]);
    },
    connection: async () => settings,
    setConnection: async (update: { mode: string; remoteUrl?: string; remoteToken?: string }) => {
      calls.push(['setConnection', update]);
      if (update.mode === 'remote' && !update.remoteUrl?.startsWith('https://'))
        throw refused(
          'vigil:set-connection',
          'ConnectionSettingsError: remoteUrl: use https:// (plain http is only allowed for this machine, so the token is never sent unencrypted)',
        );
      settings = {
        ...settings,
        mode: update.mode,
        remoteUrl: update.remoteUrl ?? settings.remoteUrl,
        hasRemoteToken: settings.hasRemoteToken || Boolean(update.remoteToken),
      };
      return settings;
    },
    restartBackend: async () => {},
    onFocusCamera: (l: Listener) => {
      focus.push(l);
      return () => focus.splice(focus.indexOf(l), 1);
    },
    onConnectionStatus: (l: Listener) => {
      status.push(l);
      return () => status.splice(status.indexOf(l), 1);
    },
  });
}

let e2e: E2eSession;
let backend: BackendProcess | undefined;

/** A page signed in as an administrator (a session id in the cookie, never the token itself), with the stand-in. */
async function newContext(desktop: boolean): Promise<{ context: BrowserContext; page: Page }> {
  const opened = await e2e.signedIn();
  if (desktop) await opened.context.addInitScript(installStandIn);
  return opened;
}

const calls = (page: Page) =>
  page.evaluate(() => (window as unknown as { desktop: { calls: unknown[][] } }).desktop.calls);

/** Exports evidence from the Backup view (the real backend writes a zip, with a warning: no footage). */
async function exportEvidence(page: Page): Promise<void> {
  await page.goto(`${backend!.url}/#/backup`);
  await page.getByRole('button', { name: 'Export evidence…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export evidence' });
  await dialog.getByLabel('Case number (required)').fill('D-1');
  await dialog.getByLabel(/^Reason \(required/).fill('desktop download check');
  await dialog.getByRole('button', { name: 'Export' }).click();
  await page.getByText(/Exported \d+ files/).waitFor({ timeout: 30_000 });
}

describe.skipIf(skip)(
  'the renderer with and without the desktop bridge (headless Chromium, real backend)',
  () => {
    e2e = useE2e({
      // A camera that is listed but not connected: exports and names work, no ffmpeg runs.
      config: { cameras: [{ id: 'gate', name: 'Gate', enabled: false, main: { kind: 'testPattern' } }] },
      page: false,
    });
    beforeAll(() => {
      backend = e2e.backend;
    });

    it('browser mode: no Desktop view, exports are a plain download link', async () => {
      const { context, page } = await newContext(false);
      await page.goto(`${backend!.url}/#/desktop`);
      await page.getByRole('navigation', { name: 'Views' }).waitFor();
      expect(await page.getByRole('button', { name: 'Desktop' }).count()).toBe(0);
      // An unknown view falls back to the live wall.
      await expect(page.getByRole('button', { name: 'Live' }).getAttribute('aria-current')).resolves.toBe(
        'page',
      );
      await exportEvidence(page);
      const link = page.getByRole('link', { name: 'Download the export' });
      expect(await link.getAttribute('href')).toMatch(/^\/api\/export\/.+\/download$/);
      expect(await link.getAttribute('download')).toMatch(/\.zip$/);
      await context.close();
    });

    it('desktop: remote mode is set up with server address and API token; a refused address says why', async () => {
      const { context, page } = await newContext(true);
      await page.goto(`${backend!.url}/#/live`);
      await page.getByRole('button', { name: 'Desktop' }).click();
      const connection = page.getByRole('region', { name: 'Connection' });
      await connection.getByRole('radio', { name: /A Vigil server/ }).check();
      await connection.getByLabel('Server address').fill('http://vigil.example.org');
      await connection.getByLabel('API token').fill('tok-0123456789');
      await connection.getByRole('button', { name: 'Save and connect' }).click();
      await expect(connection.getByRole('alert').textContent()).resolves.toBe(
        'remoteUrl: use https:// (plain http is only allowed for this machine, so the token is never sent unencrypted)',
      );
      await connection.getByLabel('Server address').fill('https://vigil.example.org');
      await connection.getByRole('button', { name: 'Save and connect' }).click();
      await connection.getByText('Saved. Vigil reconnects with these settings.').waitFor();
      // The token is never shown again; the field says one is stored.
      expect(await connection.getByLabel('API token').inputValue()).toBe('');
      expect(await connection.getByLabel('API token').getAttribute('placeholder')).toMatch(/stored/);
      expect((await calls(page)).filter((c) => c[0] === 'setConnection').map((c) => c[1])).toEqual([
        {
          mode: 'remote',
          remoteUrl: 'http://vigil.example.org',
          remoteToken: 'tok-0123456789',
          kibanaUrl: '',
        },
        {
          mode: 'remote',
          remoteUrl: 'https://vigil.example.org',
          remoteToken: 'tok-0123456789',
          kibanaUrl: '',
        },
      ]);
      // The main process reports the connection: the navigation bar shows it.
      await page.evaluate(() =>
        (window as unknown as { desktop: { connectionStatus(s: object): void } }).desktop.connectionStatus({
          mode: 'remote',
          state: 'reconnecting',
          detail: 'https://vigil.example.org is not reachable; retrying in 2 s',
        }),
      );
      await expect(page.getByTestId('desktop-connection').textContent()).resolves.toBe(
        'server · reconnecting',
      );
      await context.close();
    });

    it('desktop: a wall opens on display N; a notification click shows its camera', async () => {
      const { context, page } = await newContext(true);
      await page.goto(`${backend!.url}/#/desktop`);
      const walls = page.getByRole('region', { name: 'Wall displays' });
      await walls.getByText('Display 2 — DELL U2720Q (1920×1080)').waitFor();
      await walls.getByRole('button', { name: 'Open wall on display 2' }).click();
      await walls.getByRole('button', { name: 'Close the wall on display 2' }).waitFor();
      expect((await calls(page)).filter((c) => c[0] === 'openWallWindow')).toEqual([['openWallWindow', 7]]);
      await page.evaluate(() =>
        (window as unknown as { desktop: { focusCamera(id: string): void } }).desktop.focusCamera('gate'),
      );
      await expect.poll(() => page.evaluate(() => location.hash), { timeout: 5000 }).toBe('#/live');
      await context.close();
    });

    it('desktop: a new incident becomes a desktop notification (older ones do not)', async () => {
      const { context, page } = await newContext(true);
      // Raising a real incident needs footage and the detector (incidents.e2e.test.ts and ui.e2e.test.ts cover
      // that); here the backend's list of open incidents is answered with one fresh and one hour-old incident.
      const incident = (id: string, startTs: number): Incident => ({
        id,
        cameraId: 'gate',
        zone: 'driveway',
        startTs,
        lastTs: startTs,
        severity: 'critical',
        ruleIds: ['r1'],
        ruleNames: ['Person at the gate'],
        labels: ['person'],
        eventIds: [`e-${id}`],
        objectCount: 1,
        snapshots: [],
        state: 'new',
        notifications: [],
        updatedTs: startTs,
      });
      await page.route('**/api/incidents?state=*', (route) =>
        route.fulfill({
          json: [incident('fresh', Date.now()), incident('old', Date.now() - 3_600_000)],
        }),
      );
      await page.goto(`${backend!.url}/#/live`);
      await expect
        .poll(async () => (await calls(page)).filter((c) => c[0] === 'notify').map((c) => c[1]))
        .toEqual([
          {
            title: 'Person at the gate',
            body: 'person · Gate · driveway',
            cameraId: 'gate',
            alertId: 'fresh',
          },
        ]);
      await context.close();
    });

    it('desktop: an export is saved through the native save dialog, not a browser download', async () => {
      const { context, page } = await newContext(true);
      await exportEvidence(page);
      expect(await page.getByRole('link', { name: 'Download the export' }).count()).toBe(0);
      await page.getByRole('button', { name: 'Download the export' }).click();
      await page.getByText('Saved to /var/lib/operator/exports/case.zip').waitFor();
      const [save] = (await calls(page)).filter((c) => c[0] === 'saveDownload');
      const [, request, status, type] = save as [
        string,
        { url: string; defaultPath: string },
        number,
        string,
      ];
      expect(request.url).toMatch(/^\/api\/export\/.+\/download$/);
      expect(request.defaultPath).toBe(`${request.url.split('/')[3]}.zip`);
      expect([status, type]).toEqual([200, 'application/zip']);
      await context.close();
    });
  },
);
