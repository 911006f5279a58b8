/**
 * The ElectronAdapter over the real `electron` module: the only file that touches Electron's API. The module is
 * loaded at run time and typed by the small interface below (the `electron` package is an optional dependency, so
 * main/ type-checks without it).
 */
import { createRequire } from 'node:module';
import type { BackendChild, BackendLaunchOptions } from './backend-child.js';
import { windowPlacementFor } from './displays.js';
import { wrapUtilityProcess, type UtilityProcessLike } from './utility-backend.js';
import type {
  AppSession,
  AppTray,
  AppWindow,
  DisplayInfo,
  ElectronAdapter,
  NavigationEvent,
  WindowOptions,
} from './electron-adapter.js';

interface ElectronEvent {
  preventDefault(): void;
  url?: string;
}
interface Emitter {
  on(event: string, listener: (...args: never[]) => void): unknown;
}
interface WebFrameMain {
  url: string;
  parent: WebFrameMain | null;
}
interface WebContents extends Emitter {
  id: number;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
  send(channel: string, ...args: unknown[]): void;
  /** docs/api/web-contents.md: postMessage(channel, message, [transfer]) sends MessagePortMain objects along. */
  postMessage(channel: string, message: unknown, transfer?: MessagePortMain[]): void;
  isDestroyed(): boolean;
  getURL(): string;
}
/** docs/api/message-port-main.md */
interface MessagePortMain {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  on(event: 'close', listener: () => void): void;
  start(): void;
  close(): void;
}
interface BrowserWindow extends Emitter {
  id: number;
  webContents: WebContents;
  loadURL(url: string): Promise<void>;
  show(): void;
  focus(): void;
  restore(): void;
  isMinimized(): boolean;
  isDestroyed(): boolean;
  close(): void;
  destroy(): void;
  setKiosk(on: boolean): void;
  setFullScreen(on: boolean): void;
  getBounds(): { x: number; y: number; width: number; height: number };
}
interface ElectronDisplay {
  id: number;
  label?: string;
  bounds: DisplayInfo['bounds'];
  workArea: DisplayInfo['workArea'];
  scaleFactor: number;
}
interface ElectronModule {
  app: Emitter & {
    isPackaged: boolean;
    getAppPath(): string;
    getPath(name: 'userData'): string;
    requestSingleInstanceLock(): boolean;
    whenReady(): Promise<void>;
    quit(): void;
    exit(code: number): void;
    setAppUserModelId(id: string): void;
    commandLine: { getSwitchValue(name: string): string };
  };
  BrowserWindow: new (options: WindowOptions) => BrowserWindow;
  session: {
    defaultSession: {
      setPermissionRequestHandler(
        handler: (
          wc: WebContents | null,
          permission: string,
          callback: (granted: boolean) => void,
          details: { requestingUrl?: string; isMainFrame?: boolean },
        ) => void,
      ): void;
      setPermissionCheckHandler(
        handler: (
          wc: WebContents | null,
          permission: string,
          requestingOrigin: string,
          details: { requestingUrl?: string; isMainFrame?: boolean },
        ) => boolean,
      ): void;
      webRequest: {
        onHeadersReceived(
          handler: (
            details: { url: string; resourceType: string; responseHeaders?: Record<string, string[]> },
            callback: (response: { responseHeaders: Record<string, string[]> }) => void,
          ) => void,
        ): void;
      };
      cookies: {
        set(details: Record<string, unknown>): Promise<void>;
        remove(url: string, name: string): Promise<void>;
      };
    };
  };
  screen: Emitter & { getAllDisplays(): ElectronDisplay[]; getPrimaryDisplay(): ElectronDisplay };
  /** docs/api/message-channel-main.md: a pair of connected MessagePortMain. */
  MessageChannelMain: new () => { port1: MessagePortMain; port2: MessagePortMain };
  webContents: { fromId(id: number): WebContents | undefined };
  ipcMain: {
    handle(
      channel: string,
      handler: (
        event: { sender: WebContents; senderFrame: WebFrameMain | null },
        ...args: unknown[]
      ) => unknown,
    ): void;
    removeHandler(channel: string): void;
  };
  dialog: {
    showOpenDialog(
      window: BrowserWindow | undefined,
      options: Record<string, unknown>,
    ): Promise<{ canceled: boolean; filePaths: string[] }>;
    showSaveDialog(
      window: BrowserWindow | undefined,
      options: Record<string, unknown>,
    ): Promise<{ canceled: boolean; filePath?: string }>;
    showErrorBox(title: string, content: string): void;
  };
  shell: { openExternal(url: string): Promise<void> };
  Tray: new (icon: string) => {
    setToolTip(text: string): void;
    setImage(icon: string): void;
    setContextMenu(menu: unknown): void;
    destroy(): void;
  };
  Menu: { buildFromTemplate(items: Record<string, unknown>[]): unknown };
  Notification: (new (options: { title: string; body: string; silent: boolean }) => Emitter & {
    show(): void;
  }) & { isSupported(): boolean };
  safeStorage: {
    isEncryptionAvailable(): boolean;
    encryptString(plain: string): Buffer;
    decryptString(encrypted: Buffer): string;
    getSelectedStorageBackend?(): string;
  };
  utilityProcess: {
    fork(modulePath: string, args: string[], options: Record<string, unknown>): UtilityProcessLike;
  };
}

/** Loads Electron; throws outside an Electron main process. */
function loadElectron(): ElectronModule {
  const require = createRequire(import.meta.url);
  const electron = require('electron') as ElectronModule | string;
  if (typeof electron === 'string') throw new Error('not running inside Electron (got the binary path)');
  return electron;
}

/** The real adapter; windows are wrapped once and the wrappers reused (so identity checks work). */
export function createElectronAdapter(): ElectronAdapter {
  const e = loadElectron();
  const { app } = e;
  const windows = new Map<BrowserWindow, AppWindow>();
  const notifications = new Set<unknown>();

  const wrapWindow = (win: BrowserWindow): AppWindow => {
    const known = windows.get(win);
    if (known) return known;
    const wc = win.webContents;
    const nav =
      (listener: (event: NavigationEvent) => void) =>
      (event: ElectronEvent, url?: string): void =>
        listener({ url: event.url ?? url ?? '', preventDefault: () => event.preventDefault() });
    const wrapped: AppWindow = {
      id: win.id,
      webContents: {
        id: wc.id,
        setWindowOpenHandler: (handler) => wc.setWindowOpenHandler(handler),
        onWillNavigate: (listener) => wc.on('will-navigate', nav(listener)),
        onWillRedirect: (listener) => wc.on('will-redirect', nav(listener)),
        onWillAttachWebview: (listener) =>
          wc.on('will-attach-webview', (event: ElectronEvent) => listener(event)),
        send: (channel, payload) => wc.send(channel, payload),
        getURL: () => wc.getURL(),
      },
      loadURL: (url) => win.loadURL(url),
      show: () => win.show(),
      focus: () => win.focus(),
      restore: () => win.restore(),
      isMinimized: () => win.isMinimized(),
      isDestroyed: () => win.isDestroyed(),
      close: () => win.close(),
      destroy: () => win.destroy(),
      setKiosk: (on) => win.setKiosk(on),
      setFullScreen: (on) => win.setFullScreen(on),
      getBounds: () => win.getBounds(),
      onClose: (listener) => {
        win.on('close', listener);
      },
      onClosed: (listener) => {
        win.on('closed', () => {
          windows.delete(win);
          listener();
        });
      },
      onMovedOrResized: (listener) => {
        win.on('moved', listener);
        win.on('resized', listener);
      },
    };
    windows.set(win, wrapped);
    return wrapped;
  };
  const unwrap = (w: AppWindow | undefined): BrowserWindow | undefined => {
    for (const [win, wrapped] of windows) if (wrapped === w) return win;
    return undefined;
  };

  // The session module may only be used once the app is ready, so it is looked up on each call.
  const ds = (): ElectronModule['session']['defaultSession'] => e.session.defaultSession;
  const session: AppSession = {
    setPermissionRequestHandler: (handler) =>
      ds().setPermissionRequestHandler((_wc, permission, callback, details) =>
        callback(
          handler({
            permission,
            requestingUrl: details.requestingUrl ?? '',
            isMainFrame: details.isMainFrame ?? false,
          }),
        ),
      ),
    setPermissionCheckHandler: (handler) =>
      ds().setPermissionCheckHandler((_wc, permission, requestingOrigin, details) =>
        handler({
          permission,
          requestingUrl: details.requestingUrl ?? requestingOrigin,
          isMainFrame: details.isMainFrame ?? false,
        }),
      ),
    onHeadersReceived: (handler) =>
      ds().webRequest.onHeadersReceived((details, callback) =>
        callback(
          handler({
            url: details.url,
            resourceType: details.resourceType,
            responseHeaders: details.responseHeaders ?? {},
          }),
        ),
      ),
    setCookie: (cookie) => ds().cookies.set({ ...cookie }),
    removeCookie: (url, name) => ds().cookies.remove(url, name),
  };

  const toDisplay = (d: ElectronDisplay, primaryId: number): DisplayInfo => ({
    id: d.id,
    bounds: d.bounds,
    workArea: d.workArea,
    scaleFactor: d.scaleFactor,
    primary: d.id === primaryId,
    label: d.label ?? '',
  });

  return {
    get isPackaged() {
      return app.isPackaged;
    },
    get appPath() {
      return app.getAppPath();
    },
    get userDataPath() {
      return app.getPath('userData');
    },
    platform: process.platform,
    windowPlacement: windowPlacementFor(
      process.platform,
      process.env,
      app.commandLine.getSwitchValue('ozone-platform') || undefined,
    ),
    requestSingleInstanceLock: () => app.requestSingleInstanceLock(),
    onSecondInstance: (listener) => app.on('second-instance', listener),
    whenReady: () => app.whenReady(),
    onBeforeQuit: (listener) => app.on('before-quit', (event: ElectronEvent) => listener(event)),
    onWindowAllClosed: (listener) => app.on('window-all-closed', listener),
    onActivate: (listener) => app.on('activate', listener),
    quit: () => app.quit(),
    exit: (code) => app.exit(code),
    setAppUserModelId: (id) => app.setAppUserModelId(id),

    createWindow: (options) => wrapWindow(new e.BrowserWindow(options)),
    session,

    displays: () => {
      const primary = e.screen.getPrimaryDisplay().id;
      return e.screen.getAllDisplays().map((d) => toDisplay(d, primary));
    },
    onDisplaysChanged: (listener) => {
      for (const event of ['display-added', 'display-removed', 'display-metrics-changed'])
        e.screen.on(event, listener);
    },

    handleIpc: (channel, handler) =>
      e.ipcMain.handle(channel, (event, ...args) =>
        handler(
          {
            frameUrl: event.senderFrame?.url ?? '',
            isMainFrame: event.senderFrame !== null && event.senderFrame.parent === null,
            webContentsId: event.sender.id,
          },
          args,
        ),
      ),
    removeIpcHandler: (channel) => e.ipcMain.removeHandler(channel),
    openWindowPort: (webContentsId, channel, message) => {
      const wc = e.webContents.fromId(webContentsId);
      if (!wc || wc.isDestroyed()) return undefined;
      const { port1, port2 } = new e.MessageChannelMain();
      wc.postMessage(channel, message, [port2]);
      return {
        postMessage: (m) => port1.postMessage(m),
        onMessage: (l) => port1.on('message', (event) => l(event.data)),
        onClose: (l) => port1.on('close', l),
        start: () => port1.start(),
        close: () => port1.close(),
      };
    },

    showOpenDialog: async (window, request) => {
      const properties = [request.directory ? 'openDirectory' : 'openFile'];
      if (request.multiple) properties.push('multiSelections');
      const r = await e.dialog.showOpenDialog(unwrap(window), {
        title: request.title,
        filters: request.filters,
        properties,
      });
      return r.canceled ? [] : r.filePaths;
    },
    showSaveDialog: async (window, request) => {
      const r = await e.dialog.showSaveDialog(unwrap(window), { ...request });
      return r.canceled ? undefined : r.filePath;
    },
    showErrorBox: (title, text) => e.dialog.showErrorBox(title, text),
    openExternal: (url) => e.shell.openExternal(url),

    createTray: (iconPath, tooltip): AppTray => {
      const tray = new e.Tray(iconPath);
      tray.setToolTip(tooltip);
      return {
        setToolTip: (text) => tray.setToolTip(text),
        setImage: (icon) => tray.setImage(icon),
        setMenu: (items) =>
          tray.setContextMenu(
            e.Menu.buildFromTemplate(
              items.map((i) =>
                i.separator
                  ? { type: 'separator' }
                  : { label: i.label, enabled: i.enabled ?? true, click: i.click },
              ),
            ),
          ),
        destroy: () => tray.destroy(),
      };
    },
    notificationsSupported: () => e.Notification.isSupported(),
    showNotification: (spec) => {
      const n = new e.Notification({ title: spec.title, body: spec.body, silent: spec.silent });
      // Kept referenced until closed: a collected notification loses its click handler.
      notifications.add(n);
      n.on('click', () => spec.onClick());
      n.on('close', () => notifications.delete(n));
      n.show();
    },

    safeStorage: {
      isEncryptionAvailable: () => e.safeStorage.isEncryptionAvailable(),
      storageBackend: () => e.safeStorage.getSelectedStorageBackend?.(),
      encryptString: (plain) => e.safeStorage.encryptString(plain),
      decryptString: (encrypted) => e.safeStorage.decryptString(encrypted),
    },

    forkUtilityProcess: (options: BackendLaunchOptions): BackendChild =>
      wrapUtilityProcess(
        e.utilityProcess.fork(options.modulePath, options.args, {
          env: options.env,
          cwd: options.cwd,
          execArgv: options.execArgv,
          stdio: 'pipe',
          serviceName: 'Vigil backend',
        }),
        { platform: process.platform },
      ),
  };
}
