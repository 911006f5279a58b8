/**
 * The desktop app end to end, driven by Playwright's Electron support: the real Electron binary, the compiled main
 * process, the real backend. They run wherever the optional `electron` package installed its binary (on Linux under
 * a display server, e.g. `xvfb-run npm test -- e2e/desktop`). Where it is missing they are reported as skipped with
 * that reason: this is the one suite allowed to skip, in CI too, because the binary is downloaded at install time.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { childPids } from '../test/helpers/leaks.js';

const ROOT = path.resolve(import.meta.dirname, '..');

/** The Electron binary, when the optional package installed it. */
function electronBinary(): string | undefined {
  try {
    const p = createRequire(import.meta.url)('electron') as unknown;
    return typeof p === 'string' && fs.existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

const ELECTRON = electronBinary();
const SKIPPED = ELECTRON ? '' : ' (skipped: Electron binary not installed)';
if (!ELECTRON) console.warn('desktop end-to-end tests skipped: Electron binary not installed');

let app: ElectronApplication | undefined;
let home = '';

afterEach(async () => {
  await app?.close().catch(() => {});
  app = undefined;
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

/** Every descendant of a process. */
function descendants(pid: number): number[] {
  const out: number[] = [];
  for (const child of childPids(pid)) out.push(child, ...descendants(child));
  return out;
}

async function launch(): Promise<{ app: ElectronApplication; page: Page; url: string }> {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-desktop-e2e-'));
  const config = path.join(home, 'config.yaml');
  fs.writeFileSync(config, YAML.stringify({ server: { port: 0 } }));
  app = await _electron.launch({
    executablePath: ELECTRON,
    args: [ROOT, '--config', config, ...(process.env.CI ? ['--no-sandbox'] : [])],
    cwd: ROOT,
    env: {
      ...process.env,
      VIGIL_HOME: home,
      VIGIL_NODE: process.execPath,
      XDG_CONFIG_HOME: home,
    } as Record<string, string>,
    timeout: 60_000,
  });
  const page = await app.firstWindow();
  await page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\//, { timeout: 60_000 });
  return { app, page, url: new URL(page.url()).origin };
}

describe('desktop app end to end (Playwright _electron)', () => {
  beforeAll(() => {
    if (ELECTRON) {
      // The main process is compiled JavaScript (package.json "main").
      execFileSync(
        process.execPath,
        [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.main.json'],
        {
          cwd: ROOT,
        },
      );
    }
  });

  it.skipIf(!ELECTRON)(
    `launches: the window shows the app from the backend, sandboxed${SKIPPED}`,
    async () => {
      const { app, page } = await launch();
      const bridge = await page.evaluate(() => {
        const w = window as unknown as {
          vigil?: Record<string, unknown>;
          require?: unknown;
          process?: unknown;
        };
        return { keys: Object.keys(w.vigil ?? {}), require: typeof w.require, process: typeof w.process };
      });
      expect(bridge.keys).toContain('backend');
      expect(bridge.require).toBe('undefined');
      expect(bridge.process).toBe('undefined');
      const prefs = await app.evaluate(({ BrowserWindow }) => {
        const p = BrowserWindow.getAllWindows()[0]!.webContents.getLastWebPreferences();
        return (
          p && {
            sandbox: p.sandbox,
            contextIsolation: p.contextIsolation,
            nodeIntegration: p.nodeIntegration,
          }
        );
      });
      expect(prefs).toEqual({ sandbox: true, contextIsolation: true, nodeIntegration: false });
      const session = await page.evaluate(async () => (await fetch('/api/session')).status);
      expect(session).toBe(200);
    },
  );

  it.skipIf(!ELECTRON)(`opens a wall window on a display${SKIPPED}`, async () => {
    const { app, page, url } = await launch();
    const displayId = await page.evaluate(async () => {
      const v = (window as unknown as { vigil: { displays(): Promise<{ id: number }[]> } }).vigil;
      return (await v.displays())[0]!.id;
    });
    const wallPromise = app.waitForEvent('window');
    await page.evaluate(
      (id) =>
        (window as unknown as { vigil: { openWallWindow(id: number): Promise<void> } }).vigil.openWallWindow(
          id,
        ),
      displayId,
    );
    const wall = await wallPromise;
    await wall.waitForURL(`${url}/#/wall?display=${displayId}&name=display-${displayId}`);
    expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(2);
  });

  it.skipIf(!ELECTRON)(
    `shows an alert as a native notification; a click focuses the camera${SKIPPED}`,
    async () => {
      const { app, page } = await launch();
      // Record notifications instead of needing a notification daemon on the test machine.
      await app.evaluate(({ Notification }) => {
        const g = globalThis as unknown as { shown: InstanceType<typeof Notification>[] };
        g.shown = [];
        Notification.isSupported = () => true;
        Notification.prototype.show = function (this: InstanceType<typeof Notification>) {
          g.shown.push(this);
        };
      });
      await page.evaluate(() => {
        const v = (window as unknown as { vigil: { onFocusCamera(l: (id: string) => void): void } }).vigil;
        v.onFocusCamera((id) => ((window as unknown as { focused: string }).focused = id));
      });
      await page.evaluate(() =>
        (window as unknown as { vigil: { notify(a: object): Promise<void> } }).vigil.notify({
          title: 'Person at the gate',
          body: 'zone A',
          cameraId: 'gate',
        }),
      );
      const title = await app.evaluate(() => {
        const g = globalThis as unknown as { shown: { title: string; emit(e: string): void }[] };
        g.shown[0]!.emit('click');
        return g.shown[0]!.title;
      });
      expect(title).toBe('Person at the gate');
      await expect
        .poll(() => page.evaluate(() => (window as unknown as { focused?: string }).focused))
        .toBe('gate');
    },
  );

  it.skipIf(!ELECTRON)(`quit leaves no process behind${SKIPPED}`, async () => {
    const { app } = await launch();
    const pid = app.process().pid!;
    const tree = descendants(pid);
    expect(tree.length).toBeGreaterThan(0);
    await app.close();
    await expect
      .poll(
        () =>
          tree.filter(
            (p) => fs.existsSync(`/proc/${p}`) && !/\) Z /.test(fs.readFileSync(`/proc/${p}/stat`, 'utf8')),
          ),
        {
          timeout: 10_000,
        },
      )
      .toEqual([]);
  });
});
