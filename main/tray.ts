import path from 'node:path';
import type { DesktopConnectionStatus } from '../backend/src/contract/desktop.js';
import type { AppTray, ElectronAdapter, TrayMenuItem } from './electron-adapter.js';

/** The tray icon's look for a connection state: green connected, amber on the way, red failed. */
export function trayIconFor(iconDir: string, status: DesktopConnectionStatus): string {
  const name =
    status.state === 'connected'
      ? 'tray-ok'
      : status.state === 'failed' || status.state === 'stopped'
        ? 'tray-error'
        : 'tray-busy';
  return path.join(iconDir, `${name}.png`);
}

/** The tray tooltip: the overall status in words. */
export function trayTooltipFor(status: DesktopConnectionStatus): string {
  const where = status.mode === 'local' ? 'local backend' : 'Vigil server';
  const state = {
    starting: `starting the ${where}`,
    connected: `connected to the ${where}`,
    reconnecting: `reconnecting to the ${where}`,
    failed: `the ${where} is not available`,
    stopped: 'stopped',
  }[status.state];
  return `Vigil — ${state}${status.detail ? `: ${status.detail}` : ''}`;
}

export interface TrayActions {
  show(): void;
  openWalls(): void;
  restartBackend(): void;
  quit(): void;
}

/** The tray icon with the overall status and a short menu. */
export class StatusTray {
  readonly #tray: AppTray;

  constructor(
    electron: Pick<ElectronAdapter, 'createTray'>,
    private readonly iconDir: string,
    private readonly actions: TrayActions,
    status: DesktopConnectionStatus,
  ) {
    this.#tray = electron.createTray(trayIconFor(iconDir, status), trayTooltipFor(status));
    this.update(status);
  }

  update(status: DesktopConnectionStatus): void {
    this.#tray.setImage(trayIconFor(this.iconDir, status));
    this.#tray.setToolTip(trayTooltipFor(status));
    const items: TrayMenuItem[] = [
      { label: trayTooltipFor(status).replace(/^Vigil — /, ''), enabled: false },
      { label: '', separator: true },
      { label: 'Show Vigil', click: () => this.actions.show() },
      { label: 'Open the remembered walls', click: () => this.actions.openWalls() },
      {
        label: status.mode === 'local' ? 'Restart the backend' : 'Reconnect now',
        click: () => this.actions.restartBackend(),
      },
      { label: '', separator: true },
      { label: 'Quit Vigil', click: () => this.actions.quit() },
    ];
    this.#tray.setMenu(items);
  }

  dispose(): void {
    this.#tray.destroy();
  }
}
