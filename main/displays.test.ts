import { describe, expect, it } from 'vitest';
import type { DesktopConnectionStatus } from '../backend/src/contract/desktop.js';
import { arrangementKey, isVisible, mainWindowBounds, wallsFor } from './displays.js';
import { AlertNotifier } from './notifications.js';
import { DesktopSettings } from './settings.js';
import { display, FakeElectron } from './test-fixtures/fake-electron.js';
import { StatusTray, trayTooltipFor } from './tray.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SettingsStore } from './settings.js';
import { WindowManager } from './windows.js';
import type { SecurityPolicy } from './window-security.js';

describe('display arrangements', () => {
  it('the key depends on which monitors are where, not on their order', () => {
    const a = [display(1, 0, 1920, 1080, true), display(2, 1920)];
    expect(arrangementKey(a)).toBe(arrangementKey([...a].reverse()));
    expect(arrangementKey(a)).not.toBe(arrangementKey([display(1, 0, 1920, 1080, true)]));
    expect(arrangementKey(a)).not.toBe(
      arrangementKey([display(1, 0, 1920, 1080, true), display(2, 1920, 2560, 1440)]),
    );
    expect(arrangementKey(a)).not.toBe(arrangementKey([display(1, 0, 1920, 1080, true), display(2, -1920)]));
  });

  it('restores only walls whose display is present, and the main window only where it is visible', () => {
    const screens = [display(1, 0, 1920, 1080, true), display(2, 1920)];
    const settings = DesktopSettings.parse({
      walls: { [arrangementKey(screens)]: [{ displayId: 2 }, { displayId: 7 }] },
      mainWindow: { [arrangementKey(screens)]: { x: 2000, y: 100, width: 1200, height: 800 } },
    });
    expect(wallsFor(settings, screens)).toEqual([{ displayId: 2, kiosk: true }]);
    expect(mainWindowBounds(settings, screens)).toEqual({ x: 2000, y: 100, width: 1200, height: 800 });
    // On the laptop alone, nothing from the control room applies; the window is centred on the primary display.
    const laptop = [display(1, 0, 1366, 768, true)];
    expect(wallsFor(settings, laptop)).toEqual([]);
    expect(mainWindowBounds(settings, laptop)).toEqual({ x: 0, y: 0, width: 1366, height: 728 });
    expect(isVisible({ x: 5000, y: 0, width: 800, height: 600 }, laptop)).toBe(false);
  });
});

describe('main window placement (fake Electron adapter)', () => {
  it('remembers where the main window was moved, per arrangement, and reopens it there', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bounds-'));
    try {
      const policy: SecurityPolicy = {
        appOrigin: () => undefined,
        kibanaOrigin: () => undefined,
        externalOrigins: () => [],
        isShellPage: () => false,
      };
      const electron = new FakeElectron(dir);
      electron.screens = [display(1, 0, 1920, 1080, true), display(2, 1920)];
      const windows = new WindowManager(electron, policy, new SettingsStore(dir), '/p.cjs');
      windows.createMainWindow();
      const win = electron.windows[0]!;
      for (let x = 0; x < 10; x++) win.moveTo({ x: 2000 + x, y: 50, width: 1280, height: 720 });
      await new Promise((r) => setTimeout(r, 700));
      windows.dispose();

      const next = new FakeElectron(dir);
      next.screens = electron.screens;
      new WindowManager(next, policy, new SettingsStore(dir), '/p.cjs').createMainWindow();
      expect(next.windows[0]!.options).toMatchObject({ x: 2009, y: 50, width: 1280, height: 720 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('alert notifications (fake Electron adapter)', () => {
  it('folds a burst into one summary after 5 alerts in 10 s', async () => {
    const electron = new FakeElectron('/tmp');
    const focused: string[] = [];
    const notifier = new AlertNotifier(electron, (id) => focused.push(id), { count: 5, windowMs: 300 });
    for (let i = 0; i < 12; i++) notifier.notify({ title: `Alert ${i}`, body: '', cameraId: `cam${i}` });
    expect(electron.notifications.length).toBe(5);
    await new Promise((r) => setTimeout(r, 450));
    expect(electron.notifications.map((n) => n.title).at(-1)).toBe('7 more alerts');
    electron.notifications[2]!.onClick();
    expect(focused).toEqual(['cam2']);
    notifier.dispose();
  });
});

describe('tray (fake Electron adapter)', () => {
  it('shows the overall status as icon and tooltip, and offers restart and quit', () => {
    const electron = new FakeElectron('/tmp');
    const calls: string[] = [];
    const status = (state: DesktopConnectionStatus['state'], detail?: string): DesktopConnectionStatus => ({
      mode: 'local',
      state,
      ...(detail ? { detail } : {}),
    });
    const tray = new StatusTray(
      electron,
      '/icons',
      {
        show: () => calls.push('show'),
        openWalls: () => calls.push('walls'),
        restartBackend: () => calls.push('restart'),
        quit: () => calls.push('quit'),
      },
      status('starting'),
    );
    const t = electron.trays[0]!;
    expect(t.icon).toBe('/icons/tray-busy.png');
    tray.update(status('failed', 'the backend exited with code 1'));
    expect(t.icon).toBe('/icons/tray-error.png');
    expect(t.tooltip).toBe('Vigil — the local backend is not available: the backend exited with code 1');
    tray.update(status('connected'));
    expect(t.icon).toBe('/icons/tray-ok.png');
    for (const item of t.menu) item.click?.();
    expect(calls).toEqual(['show', 'walls', 'restart', 'quit']);
    expect(trayTooltipFor({ mode: 'remote', state: 'reconnecting' })).toBe(
      'Vigil — reconnecting to the Vigil server',
    );
    tray.dispose();
    expect(t.destroyed).toBe(true);
  });
});
