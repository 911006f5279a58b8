/**
 * A fake ElectronAdapter for tests in plain Node (the Electron binary cannot run here). It records the options the
 * shell passes to Electron and lets a test play the renderer (IPC calls from a given frame URL), the user (clicks on
 * notifications, the tray) and the OS (displays changing). Where Electron behaves differently per platform, the
 * fake does too (see `platform` and `windowPlacement`), following Electron's docs:
 * - docs/api/browser-window.md: 'moved' and 'resized' are emitted on macOS and Windows only; `win.destroy()` emits
 *   'closed' but not 'close'; x/y are ignored on Wayland, where the compositor places windows.
 * - docs/api/utility-process.md and its sources: see fake-utility-process.ts.
 */
import crypto from 'node:crypto';
import { MessageChannel, type MessagePort as WorkerMessagePort } from 'node:worker_threads';
import type { BackendChild, BackendLaunchOptions } from '../backend-child.js';
import { wrapUtilityProcess } from '../utility-backend.js';
import { FakeUtilityProcess } from './fake-utility-process.js';
import type {
  AppSession,
  AppTray,
  AppWindow,
  CookieSpec,
  DisplayInfo,
  ElectronAdapter,
  HeadersReceivedDetails,
  IpcSender,
  MainPort,
  NavigationEvent,
  NotificationSpec,
  PermissionRequest,
  TrayMenuItem,
  WindowOptions,
} from '../electron-adapter.js';

export interface FakeWindow extends AppWindow {
  options: WindowOptions;
  loaded: string[];
  sent: { channel: string; payload: unknown }[];
  kiosk: boolean;
  closed: boolean;
  focused: number;
  windowOpenHandler?: (details: { url: string }) => { action: 'deny' };
  navigate(url: string): boolean;
  /** Plays the user closing the window ('close', then 'closed'). */
  userClose(): void;
  /** Plays the user moving or resizing the window. */
  moveTo(bounds: { x: number; y: number; width: number; height: number }): void;
  redirect(url: string): boolean;
  attachWebview(): boolean;
}

/** The one OS secret store of the fake machine (see FakeElectron.keychain). */
const FAKE_KEYCHAIN = crypto.randomBytes(32);

export function display(id: number, x: number, width = 1920, height = 1080, primary = false): DisplayInfo {
  const bounds = { x, y: 0, width, height };
  return {
    id,
    bounds,
    workArea: { ...bounds, height: height - 40 },
    scaleFactor: 1,
    primary,
    label: `Monitor ${id}`,
  };
}

export class FakeElectron implements ElectronAdapter {
  isPackaged = false;
  appPath: string;
  userDataPath: string;
  platform: NodeJS.Platform = 'linux';
  windowPlacement: 'exact' | 'compositor' = 'exact';
  appUserModelId: string | undefined;
  /** The utility processes forked, for tests that check what Electron was asked. */
  utilityProcesses: FakeUtilityProcess[] = [];
  lockAvailable = true;
  screens: DisplayInfo[] = [display(1, 0, 1920, 1080, true)];
  windows: FakeWindow[] = [];
  cookies: CookieSpec[] = [];
  notifications: NotificationSpec[] = [];
  opened: string[] = [];
  exitCode: number | undefined;
  quitCalls = 0;
  trays: { icon: string; tooltip: string; menu: TrayMenuItem[]; destroyed: boolean }[] = [];
  encryptionAvailable = true;
  backend = 'gnome_libsecret';
  readonly ipcHandlers = new Map<string, (sender: IpcSender, args: unknown[]) => unknown>();
  headersHandler?: (details: HeadersReceivedDetails) => { responseHeaders: Record<string, string[]> };
  permissionRequestHandler?: (request: PermissionRequest) => boolean;
  permissionCheckHandler?: (request: PermissionRequest) => boolean;
  #listeners = new Map<string, (() => void)[]>();
  #beforeQuit: ((event: { preventDefault(): void }) => void)[] = [];
  #nextId = 1;
  exited: Promise<number>;
  #resolveExit!: (code: number) => void;

  constructor(dir: string) {
    this.appPath = dir;
    this.userDataPath = dir;
    this.exited = new Promise((r) => (this.#resolveExit = r));
  }

  #on(name: string, listener: () => void): void {
    this.#listeners.set(name, [...(this.#listeners.get(name) ?? []), listener]);
  }
  emit(name: string): void {
    for (const l of this.#listeners.get(name) ?? []) l();
  }

  requestSingleInstanceLock = (): boolean => this.lockAvailable;
  onSecondInstance = (l: () => void): void => this.#on('second-instance', l);
  whenReady = async (): Promise<void> => {};
  onBeforeQuit = (l: (event: { preventDefault(): void }) => void): void => {
    this.#beforeQuit.push(l);
  };
  onWindowAllClosed = (l: () => void): void => this.#on('window-all-closed', l);
  onActivate = (l: () => void): void => this.#on('activate', l);
  /** Like app.quit(): before-quit listeners may prevent it. Returns whether the app would quit right away. */
  quit = (): boolean => {
    this.quitCalls++;
    let prevented = false;
    for (const l of this.#beforeQuit) l({ preventDefault: () => (prevented = true) });
    return !prevented;
  };
  setAppUserModelId = (id: string): void => {
    this.appUserModelId = id;
  };
  exit = (code: number): void => {
    this.exitCode = code;
    this.#resolveExit(code);
  };

  createWindow = (options: WindowOptions): FakeWindow => {
    const id = this.#nextId++;
    const listeners = {
      nav: [] as ((e: NavigationEvent) => void)[],
      redirect: [] as ((e: NavigationEvent) => void)[],
    };
    let webview: ((e: { preventDefault(): void }) => void) | undefined;
    const closing: (() => void)[] = [];
    const closed: (() => void)[] = [];
    const moved: (() => void)[] = [];
    // Wayland: the compositor places the window, and a client never learns where (getBounds() reports 0, 0).
    const wayland = this.windowPlacement === 'compositor';
    let bounds = {
      x: wayland ? 0 : (options.x ?? 0),
      y: wayland ? 0 : (options.y ?? 0),
      width: options.width,
      height: options.height,
    };
    const finish = (): void => {
      if (win.closed) return;
      win.closed = true;
      for (const l of closed) l();
    };
    const fire = (list: ((e: NavigationEvent) => void)[], url: string): boolean => {
      let prevented = false;
      for (const l of list) l({ url, preventDefault: () => (prevented = true) });
      return !prevented;
    };
    const win: FakeWindow = {
      id,
      options,
      loaded: [],
      sent: [],
      kiosk: options.kiosk ?? false,
      closed: false,
      focused: 0,
      webContents: {
        id: 100 + id,
        setWindowOpenHandler: (h) => (win.windowOpenHandler = h),
        onWillNavigate: (l) => listeners.nav.push(l),
        onWillRedirect: (l) => listeners.redirect.push(l),
        onWillAttachWebview: (l) => (webview = l),
        send: (channel, payload) => win.sent.push({ channel, payload }),
        getURL: () => win.loaded.at(-1) ?? '',
      },
      navigate: (url) => fire(listeners.nav, url),
      redirect: (url) => fire(listeners.redirect, url),
      attachWebview: () => {
        let prevented = false;
        webview?.({ preventDefault: () => (prevented = true) });
        return !prevented;
      },
      loadURL: async (url) => {
        win.loaded.push(url);
      },
      show: () => {},
      focus: () => {
        win.focused++;
      },
      restore: () => {},
      isMinimized: () => false,
      isDestroyed: () => win.closed,
      close: () => {
        if (win.closed) return;
        for (const l of closing) l();
        finish();
      },
      userClose: () => win.close(),
      destroy: () => finish(),
      setKiosk: (on) => (win.kiosk = on),
      setFullScreen: () => {},
      getBounds: () => bounds,
      moveTo: (b) => {
        bounds = wayland ? { ...b, x: 0, y: 0 } : b;
        if (this.platform === 'darwin' || this.platform === 'win32') for (const l of moved) l();
      },
      onClose: (l) => closing.push(l),
      onClosed: (l) => closed.push(l),
      onMovedOrResized: (l) => moved.push(l),
    };
    this.windows.push(win);
    return win;
  };

  get openWindows(): FakeWindow[] {
    return this.windows.filter((w) => !w.closed);
  }

  session: AppSession = {
    setPermissionRequestHandler: (h) => (this.permissionRequestHandler = h),
    setPermissionCheckHandler: (h) => (this.permissionCheckHandler = h),
    onHeadersReceived: (h) => (this.headersHandler = h),
    setCookie: async (c) => {
      this.cookies = this.cookies.filter((x) => !(x.url === c.url && x.name === c.name));
      this.cookies.push(c);
    },
    removeCookie: async (url, name) => {
      this.cookies = this.cookies.filter((x) => !(x.url === url && x.name === name));
    },
  };

  displays = (): DisplayInfo[] => this.screens;
  onDisplaysChanged = (l: () => void): void => this.#on('displays-changed', l);

  handleIpc = (channel: string, handler: (sender: IpcSender, args: unknown[]) => unknown): void => {
    this.ipcHandlers.set(channel, handler);
  };
  removeIpcHandler = (channel: string): void => {
    this.ipcHandlers.delete(channel);
  };

  /**
   * Ports posted to windows (webContents.postMessage with a MessageChannelMain end), the window's end played by
   * Node's MessagePort (node:worker_threads), which delivers the data itself where MessagePortMain gives `{ data }`.
   */
  windowPorts: { webContentsId: number; channel: string; message: unknown; port: WorkerMessagePort }[] = [];
  openWindowPort = (webContentsId: number, channel: string, message: unknown): MainPort | undefined => {
    const { port1, port2 } = new MessageChannel();
    this.windowPorts.push({ webContentsId, channel, message, port: port2 });
    return {
      postMessage: (m) => port1.postMessage(m),
      onMessage: (l) => port1.on('message', l),
      onClose: (l) => port1.on('close', l),
      start: () => port1.start(),
      close: () => port1.close(),
    };
  };

  /** Plays a renderer calling ipcRenderer.invoke(channel, ...args) from a frame. */
  async invoke(
    channel: string,
    args: unknown[],
    from: { frameUrl: string; isMainFrame?: boolean; webContentsId?: number },
  ): Promise<unknown> {
    const handler = this.ipcHandlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return handler(
      {
        frameUrl: from.frameUrl,
        isMainFrame: from.isMainFrame ?? true,
        webContentsId: from.webContentsId ?? 101,
      },
      args,
    );
  }

  dialogs: unknown[] = [];
  showOpenDialog = async (_w: AppWindow | undefined, request: unknown): Promise<string[]> => {
    this.dialogs.push(request);
    return ['/tmp/chosen.mp4'];
  };
  /** What the user picks in the next save dialogs (undefined: cancelled). */
  saveDialogAnswer: string | undefined = '/tmp/export.zip';
  showSaveDialog = async (_w: AppWindow | undefined, request: unknown): Promise<string | undefined> => {
    this.dialogs.push(request);
    return this.saveDialogAnswer;
  };
  errors: string[] = [];
  showErrorBox = (title: string, text: string): void => {
    this.errors.push(`${title}: ${text}`);
  };
  openExternal = async (url: string): Promise<void> => {
    this.opened.push(url);
  };

  createTray = (icon: string, tooltip: string): AppTray => {
    const t = { icon, tooltip, menu: [] as TrayMenuItem[], destroyed: false };
    this.trays.push(t);
    return {
      setToolTip: (text) => (t.tooltip = text),
      setImage: (i) => (t.icon = i),
      setMenu: (items) => (t.menu = items),
      destroy: () => (t.destroyed = true),
    };
  };
  notificationsSupported = (): boolean => true;
  showNotification = (spec: NotificationSpec): void => {
    this.notifications.push(spec);
  };

  /**
   * The user's OS secret store (Keychain, DPAPI, libsecret): a key that lives outside every folder of the app. The
   * same for every FakeElectron of this process (one user, one machine); another value plays another machine.
   */
  keychain: Buffer = FAKE_KEYCHAIN;

  /**
   * Stands in for Electron's safeStorage (https://www.electronjs.org/docs/api/safe-storage):
   * - isEncryptionAvailable(): false where there is no secret store to use (Linux: before 'ready' or without the
   *   secret key; macOS: no Keychain access).
   * - getSelectedStorageBackend() (Linux): the friendly name of the password manager in use, 'basic_text' when no
   *   secret store is available and a hard-coded password "encrypts" the data.
   * - encryptString(plainText): a Buffer of the encrypted bytes, made with a key kept in the OS secret store; throws
   *   when encryption fails (here: when it is not available).
   * - decryptString(encrypted): the string again, for a buffer obtained with encryptString; throws when decryption
   *   fails (here: a buffer made with another machine's secret store, or damaged).
   * Chromium's OSCrypt, which safeStorage uses, marks its ciphertext with a version prefix ('v10'/'v11') and uses
   * AES-GCM (Windows) or AES-CBC (macOS, Linux); the fake uses AES-256-GCM under the same kind of prefix.
   */
  safeStorage = {
    isEncryptionAvailable: () => this.encryptionAvailable,
    storageBackend: () => this.backend,
    encryptString: (plain: string): Buffer => {
      if (!this.encryptionAvailable) throw new Error('Encryption is not available.');
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', this.keychain, iv);
      const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return Buffer.concat([Buffer.from('v10'), iv, cipher.getAuthTag(), ct]);
    },
    decryptString: (enc: Buffer): string => {
      if (!this.encryptionAvailable) throw new Error('Decryption is not available.');
      if (enc.subarray(0, 3).toString() !== 'v10' || enc.length < 31)
        throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
      try {
        const decipher = crypto.createDecipheriv('aes-256-gcm', this.keychain, enc.subarray(3, 15));
        decipher.setAuthTag(enc.subarray(15, 31));
        return Buffer.concat([decipher.update(enc.subarray(31)), decipher.final()]).toString('utf8');
      } catch {
        throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
      }
    },
  };

  forkUtilityProcess = (o: BackendLaunchOptions): BackendChild => {
    const utility = new FakeUtilityProcess(
      o.modulePath,
      o.args,
      { env: o.env, cwd: o.cwd, execArgv: o.execArgv },
      this.platform,
    );
    this.utilityProcesses.push(utility);
    return wrapUtilityProcess(utility, { platform: this.platform });
  };
}
