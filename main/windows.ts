import type { DesktopDisplay } from '../backend/src/contract/desktop.js';
import { arrangementKey, mainWindowBounds, wallsFor } from './displays.js';
import type { AppWindow, DisplayInfo, ElectronAdapter, WindowOptions } from './electron-adapter.js';
import type { IpcEvent } from './ipc-channels.js';
import { createMainLogger } from './log.js';
import { DesktopSettings, type SettingsStore } from './settings.js';
import type { ShellPage } from './shell-pages.js';
import { hardenWebContents, secureWebPreferences, type SecurityPolicy } from './window-security.js';

const BACKGROUND = '#11151b';

/** Options of the main window. */
export function mainWindowOptions(
  preload: string,
  bounds: { x?: number; y?: number; width: number; height: number },
  icon?: string,
): WindowOptions {
  return {
    title: 'Vigil',
    ...bounds,
    minWidth: 960,
    minHeight: 600,
    show: false,
    backgroundColor: BACKGROUND,
    autoHideMenuBar: true,
    ...(icon ? { icon } : {}),
    webPreferences: secureWebPreferences(preload),
  };
}

/**
 * Options of a wall window: covering one display, full screen, kiosk unless turned off. Full screen is asked for
 * with the display's bounds, so that where positions count (Windows, macOS, X11) it fills that display; on Wayland
 * the compositor picks the output (see windowPlacementFor).
 */
export function wallWindowOptions(
  preload: string,
  display: DisplayInfo,
  kiosk: boolean,
  icon?: string,
): WindowOptions {
  return {
    title: `Vigil wall — ${display.label || `display ${display.id}`}`,
    ...display.bounds,
    show: false,
    fullscreen: true,
    kiosk,
    backgroundColor: BACKGROUND,
    autoHideMenuBar: true,
    ...(icon ? { icon } : {}),
    webPreferences: secureWebPreferences(preload),
  };
}

/**
 * The renderer route of a wall window. The renderer routes by hash (renderer/src/lib/route.ts), so the wall is
 * `#/wall`; each display keeps its own saved layout under its own window name.
 */
export function wallUrl(appUrl: string, displayId: number): string {
  return `${appUrl}/#/wall?display=${displayId}&name=display-${displayId}`;
}

/**
 * The main window and the wall windows (one per display at most). Walls are remembered per display arrangement:
 * opening or closing one updates the settings; a change of monitors closes walls whose display is gone and opens
 * the ones remembered for the new arrangement.
 */
export class WindowManager {
  readonly #log = createMainLogger('main.windows');
  #main: AppWindow | undefined;
  readonly #walls = new Map<number, AppWindow>();
  #appUrl: string | undefined;
  #shellPage: ShellPage | undefined;
  #disposed = false;
  #saveBounds: NodeJS.Timeout | undefined;

  constructor(
    private readonly electron: ElectronAdapter,
    private readonly policy: SecurityPolicy,
    private readonly settings: SettingsStore,
    private readonly preload: string,
    private readonly icon?: string,
  ) {}

  get main(): AppWindow | undefined {
    return this.#main;
  }

  /** Open wall windows by display id. */
  get walls(): ReadonlyMap<number, AppWindow> {
    return this.#walls;
  }

  /** The shell page on show in the main window, if any (its URL is trusted for IPC). */
  get shellPage(): ShellPage | undefined {
    return this.#shellPage;
  }

  #create(options: WindowOptions): AppWindow {
    const win = this.electron.createWindow(options);
    hardenWebContents(win.webContents, this.policy, (url) => this.electron.openExternal(url));
    return win;
  }

  /** Creates the main window (once) and shows it when its first page is loaded. */
  createMainWindow(): AppWindow {
    if (this.#main && !this.#main.isDestroyed()) return this.#main;
    const displays = this.electron.displays();
    const bounds = mainWindowBounds(this.settings.value, displays);
    // On Wayland a position is ignored (and getBounds() cannot report one): only the size is restored.
    const placed =
      this.electron.windowPlacement === 'compositor'
        ? { width: bounds.width, height: bounds.height }
        : bounds;
    const win = this.#create(mainWindowOptions(this.preload, placed, this.icon));
    this.#main = win;
    win.onClosed(() => {
      if (this.#main === win) this.#main = undefined;
    });
    // 'moved'/'resized' exist on macOS and Windows only: on Linux the bounds are saved when the window closes
    // (and when the app quits, see dispose()). Dragging fires many events: written once still for half a second.
    win.onClose(() => this.#writeBounds(win));
    win.onMovedOrResized(() => {
      if (this.#saveBounds) clearTimeout(this.#saveBounds);
      this.#saveBounds = setTimeout(() => {
        this.#saveBounds = undefined;
        this.#writeBounds(win);
      }, 500);
    });
    return win;
  }

  #writeBounds(win: AppWindow): void {
    if (win.isDestroyed()) return;
    const displays = this.electron.displays();
    const key = arrangementKey(displays);
    let bounds = win.getBounds();
    if (this.electron.windowPlacement === 'compositor') {
      // Wayland reports no position: keep the size, centred where the window would open anyway.
      const centred = mainWindowBounds(DesktopSettings.parse({}), displays);
      bounds = {
        x: centred.x + Math.round((centred.width - bounds.width) / 2),
        y: centred.y + Math.round((centred.height - bounds.height) / 2),
        width: bounds.width,
        height: bounds.height,
      };
    }
    const saved = this.settings.value.mainWindow[key];
    if (
      saved &&
      saved.x === bounds.x &&
      saved.y === bounds.y &&
      saved.width === bounds.width &&
      saved.height === bounds.height
    )
      return;
    this.settings.update((s) => {
      s.mainWindow[key] = bounds;
    });
  }

  async #load(win: AppWindow, url: string): Promise<void> {
    try {
      await win.loadURL(url);
    } catch (err) {
      // A reload racing another one aborts the first; the newer load wins.
      this.#log.debug({ err }, 'page load interrupted');
    }
    if (!win.isDestroyed()) win.show();
  }

  /** Shows a shell page (starting, error) in the main window; walls keep their last picture. */
  async showShellPage(page: ShellPage): Promise<void> {
    this.#shellPage = page;
    const win = this.createMainWindow();
    await this.#load(win, page.url);
  }

  /** Loads the app from the backend in every window (after start, restart or a switch of backend). */
  async showApp(appUrl: string): Promise<void> {
    this.#appUrl = appUrl;
    this.#shellPage = undefined;
    const win = this.createMainWindow();
    const loads = [this.#load(win, `${appUrl}/`)];
    for (const [displayId, wall] of this.#walls) loads.push(this.#load(wall, wallUrl(appUrl, displayId)));
    await Promise.all(loads);
  }

  /** Displays with whether a wall is open on each. */
  displays(): DesktopDisplay[] {
    return this.electron.displays().map((d) => ({
      id: d.id,
      label: d.label,
      bounds: d.bounds,
      primary: d.primary,
      hasWall: this.#walls.has(d.id),
      wallPlacement: this.electron.windowPlacement,
    }));
  }

  /** Opens (or focuses) the wall on a display and remembers it for this arrangement. */
  async openWall(displayId: number, kiosk = true, remember = true): Promise<AppWindow> {
    const displays = this.electron.displays();
    const display = displays.find((d) => d.id === displayId);
    if (!display)
      throw new Error(
        `There is no display ${displayId}; choose one of ${displays.map((d) => d.id).join(', ')}.`,
      );
    const existing = this.#walls.get(displayId);
    if (existing && !existing.isDestroyed()) {
      existing.focus();
      return existing;
    }
    const win = this.#create(wallWindowOptions(this.preload, display, kiosk, this.icon));
    this.#walls.set(displayId, win);
    win.onClosed(() => {
      if (this.#walls.get(displayId) === win) this.#walls.delete(displayId);
    });
    if (remember) this.#remember(displays, displayId, kiosk);
    if (this.#appUrl) await this.#load(win, wallUrl(this.#appUrl, displayId));
    return win;
  }

  /** Closes the wall on a display and forgets it for this arrangement. */
  closeWall(displayId: number): void {
    const win = this.#walls.get(displayId);
    this.#walls.delete(displayId);
    if (win && !win.isDestroyed()) win.close();
    const key = arrangementKey(this.electron.displays());
    this.settings.update((s) => {
      const list = (s.walls[key] ?? []).filter((p) => p.displayId !== displayId);
      if (list.length) s.walls[key] = list;
      else delete s.walls[key];
    });
  }

  #remember(displays: readonly DisplayInfo[], displayId: number, kiosk: boolean): void {
    const key = arrangementKey(displays);
    this.settings.update((s) => {
      const list = (s.walls[key] ?? []).filter((p) => p.displayId !== displayId);
      s.walls[key] = [...list, { displayId, kiosk }];
    });
  }

  /** Opens the walls remembered for the current arrangement and closes walls whose display is gone. */
  async restoreWalls(): Promise<void> {
    if (this.#disposed) return;
    const displays = this.electron.displays();
    const present = new Set(displays.map((d) => d.id));
    const wanted = wallsFor(this.settings.value, displays);
    const wantedIds = new Set(wanted.map((p) => p.displayId));
    for (const [id, win] of [...this.#walls]) {
      if (!present.has(id) || !wantedIds.has(id)) {
        this.#walls.delete(id);
        if (!win.isDestroyed()) win.close();
      }
    }
    for (const p of wanted) await this.openWall(p.displayId, p.kiosk, false);
  }

  /**
   * Brings the main window to the front. When it was closed (macOS keeps running without windows; the tray's "Show
   * Vigil"; walls left open), a new one is created and loaded with the app, or the shell page on show.
   */
  focusMain(): void {
    if (this.#disposed) return;
    const existing = this.#main && !this.#main.isDestroyed() ? this.#main : undefined;
    if (existing) {
      if (existing.isMinimized()) existing.restore();
      existing.show();
      existing.focus();
      return;
    }
    const win = this.createMainWindow();
    const url = this.#appUrl ? `${this.#appUrl}/` : this.#shellPage?.url;
    if (url) void this.#load(win, url).then(() => win.isDestroyed() || win.focus());
  }

  /** Kiosk on or off for the window that holds a webContents. */
  setKiosk(webContentsId: number, on: boolean): void {
    const win = this.windowOf(webContentsId);
    if (!win) throw new Error('That window is gone.');
    win.setKiosk(on);
  }

  windowOf(webContentsId: number): AppWindow | undefined {
    return [this.#main, ...this.#walls.values()].find(
      (w) => w && !w.isDestroyed() && w.webContents.id === webContentsId,
    );
  }

  /** Sends an allowlisted event to every window. */
  broadcast(event: IpcEvent, payload: unknown): void {
    for (const win of [this.#main, ...this.#walls.values()]) {
      if (win && !win.isDestroyed()) win.webContents.send(event, payload);
    }
  }

  /** Closes every window. */
  dispose(): void {
    this.#disposed = true;
    if (this.#saveBounds) clearTimeout(this.#saveBounds);
    // destroy() emits no 'close' (docs/api/browser-window.md, win.destroy()): the bounds are saved here.
    if (this.#main && !this.#main.isDestroyed()) this.#writeBounds(this.#main);
    for (const win of [...this.#walls.values(), this.#main]) if (win && !win.isDestroyed()) win.destroy();
    this.#walls.clear();
    this.#main = undefined;
  }
}
