/**
 * Windows of the desktop app per platform, on the fake Electron adapter (which follows docs/api/browser-window.md:
 * 'moved'/'resized' only on macOS and Windows, destroy() emits 'closed' without 'close', no positions on Wayland)
 * with a real backend process.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_USER_MODEL_ID, DesktopApp } from './app.js';
import { forkNodeBackend } from './backend-child.js';
import { arrangementKey, windowPlacementFor } from './displays.js';
import { IpcChannel } from './ipc-channels.js';
import { display, FakeElectron } from './test-fixtures/fake-electron.js';
import { cleanupAfterEach, FIXTURE, ROOT, waitFor } from './test-fixtures/shell-test.js';

const cleanup = cleanupAfterEach();

function makeApp(setup: (e: FakeElectron) => void = () => {}, dir?: string) {
  const home = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-windows-'));
  const electron = new FakeElectron(home);
  setup(electron);
  const app = new DesktopApp({
    electron,
    preloadPath: path.join(home, 'preload.cjs'),
    iconDir: path.join(ROOT, 'assets', 'icons'),
    launchBackend: forkNodeBackend,
    backend: { modulePath: FIXTURE, execArgv: [], cwd: home },
    env: { PATH: process.env.PATH, VIGIL_TEST_MODES: 'healthy' },
  });
  cleanup.push(async () => {
    await app.quit();
    if (!dir) fs.rmSync(home, { recursive: true, force: true });
  });
  return { app, electron, home };
}

const appUrl = (e: FakeElectron, i = 0) =>
  waitFor('app page', () => e.windows[i]?.loaded.find((u) => u.startsWith('http://127.0.0.1')));

describe('windows per platform (fake Electron adapter, real backend process)', () => {
  it('macOS: the main window closed with walls left open comes back loaded with the app on activate and from the tray', async () => {
    const { app, electron } = makeApp((e) => {
      e.platform = 'darwin';
      e.screens = [display(1, 0, 1920, 1080, true), display(2, 1920)];
    });
    await app.run();
    const url = await appUrl(electron);
    await electron.invoke(IpcChannel.OpenWallWindow, [2], { frameUrl: url });
    electron.windows[0]!.userClose();
    expect(electron.openWindows.length).toBe(1);
    // The dock icon: a new main window, and it shows the app, not an empty page.
    electron.emit('activate');
    const reopened = electron.windows[2]!;
    await waitFor('reloaded', () => reopened.loaded.at(-1) === url);
    expect(reopened.options.webPreferences.sandbox).toBe(true);
    // The tray's "Show Vigil" after closing it again.
    reopened.userClose();
    electron.trays[0]!.menu.find((i) => /show/i.test(i.label))!.click!();
    await waitFor('reloaded from the tray', () => electron.windows[3]?.loaded.at(-1) === url);
    expect(electron.openWindows.length).toBe(2);
  });

  it('Linux: no moved/resized events, so the main window bounds are saved when it closes and when the app quits', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-windows-'));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const first = makeApp((e) => (e.platform = 'linux'), dir);
    await first.app.run();
    await appUrl(first.electron);
    const main = first.electron.windows[0]!;
    main.moveTo({ x: 100, y: 80, width: 1200, height: 700 });
    const key = arrangementKey(first.electron.screens);
    // Nothing written on the move itself (Linux has no such event)…
    await new Promise((r) => setTimeout(r, 700));
    expect(first.app.settings.value.mainWindow[key]).toBeUndefined();
    // …but on quit, although destroy() emits no 'close'.
    await first.app.quit();
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'settings.json'), 'utf8')) as {
      mainWindow: Record<string, unknown>;
    };
    expect(saved.mainWindow[key]).toEqual({ x: 100, y: 80, width: 1200, height: 700 });

    // The next start opens it there; closing it by hand saves the new place too.
    const second = makeApp((e) => (e.platform = 'linux'), dir);
    await second.app.run();
    await appUrl(second.electron);
    const again = second.electron.windows[0]!;
    expect([again.options.x, again.options.y, again.options.width, again.options.height]).toEqual([
      100, 80, 1200, 700,
    ]);
    again.moveTo({ x: 300, y: 90, width: 1000, height: 650 });
    again.userClose();
    expect(second.app.settings.value.mainWindow[key]).toEqual({ x: 300, y: 90, width: 1000, height: 650 });
  });

  it('Windows: moved/resized are emitted there and the bounds are saved once the window is still', async () => {
    const { app, electron } = makeApp((e) => (e.platform = 'win32'));
    await app.run();
    await appUrl(electron);
    electron.windows[0]!.moveTo({ x: 40, y: 30, width: 1100, height: 720 });
    const key = arrangementKey(electron.screens);
    await waitFor('saved', () => app.settings.value.mainWindow[key]?.x === 40, 3000);
    // Toasts are attributed to the installer's app id.
    expect(electron.appUserModelId).toBe(APP_USER_MODEL_ID);
  });

  it('Wayland: no position is asked for or saved (the compositor places windows), the size is kept; walls say so', async () => {
    const { app, electron } = makeApp((e) => {
      e.windowPlacement = 'compositor';
      e.screens = [display(1, 0, 1920, 1080, true), display(2, 1920)];
    });
    await app.run();
    const url = await appUrl(electron);
    const main = electron.windows[0]!;
    expect(main.options.x).toBeUndefined();
    expect(main.options.y).toBeUndefined();
    main.moveTo({ x: 500, y: 500, width: 1300, height: 760 });
    main.userClose();
    const key = arrangementKey(electron.screens);
    const saved = app.settings.value.mainWindow[key]!;
    expect([saved.width, saved.height]).toEqual([1300, 760]);
    // Saved centred on the primary display, since Wayland never tells where the window was.
    expect(saved.x + saved.width / 2).toBeCloseTo(960, -1);
    const displays = (await electron.invoke(IpcChannel.GetDisplays, [], { frameUrl: url })) as {
      wallPlacement?: string;
    }[];
    expect(displays.map((d) => d.wallPlacement)).toEqual(['compositor', 'compositor']);
  });

  it('placement is "compositor" only for Linux sessions on Wayland without --ozone-platform=x11', () => {
    expect(windowPlacementFor('linux', { XDG_SESSION_TYPE: 'wayland' }, undefined)).toBe('compositor');
    expect(windowPlacementFor('linux', { XDG_SESSION_TYPE: 'wayland' }, 'x11')).toBe('exact');
    expect(windowPlacementFor('linux', { XDG_SESSION_TYPE: 'x11', DISPLAY: ':0' }, undefined)).toBe('exact');
    expect(windowPlacementFor('linux', { WAYLAND_DISPLAY: 'wayland-0' }, undefined)).toBe('compositor');
    expect(windowPlacementFor('darwin', { XDG_SESSION_TYPE: 'wayland' }, undefined)).toBe('exact');
    expect(windowPlacementFor('win32', {}, undefined)).toBe('exact');
  });
});
