/**
 * The few Electron calls the desktop shell makes, behind one interface. `electron-real.ts` implements it over the
 * `electron` module; everything else in main/ depends only on this file, so its logic runs (and is tested) in plain
 * Node.
 */
import type { BackendChild, BackendLaunchOptions } from './backend-child.js';

/** A rectangle in screen coordinates (device-independent pixels). */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One monitor as the screen API reports it. */
export interface DisplayInfo {
  id: number;
  bounds: Rect;
  workArea: Rect;
  scaleFactor: number;
  primary: boolean;
  label: string;
}

/** The webPreferences the shell sets on every window (see window-security.ts). */
export interface SecureWebPreferences {
  preload: string;
  sandbox: true;
  contextIsolation: true;
  nodeIntegration: false;
  nodeIntegrationInWorker: false;
  nodeIntegrationInSubFrames: false;
  webSecurity: true;
  allowRunningInsecureContent: false;
  webviewTag: false;
  experimentalFeatures: false;
  navigateOnDragDrop: false;
  safeDialogs: true;
  spellcheck: false;
}

/** BrowserWindow constructor options the shell uses. */
export interface WindowOptions {
  title: string;
  x?: number;
  y?: number;
  width: number;
  height: number;
  minWidth?: number;
  minHeight?: number;
  show: boolean;
  fullscreen?: boolean;
  kiosk?: boolean;
  autoHideMenuBar?: boolean;
  backgroundColor: string;
  icon?: string;
  webPreferences: SecureWebPreferences;
}

/** Answer of a window-open handler. */
export type WindowOpenAction = { action: 'deny' };

/** The event object of will-navigate / will-redirect. */
export interface NavigationEvent {
  url: string;
  preventDefault(): void;
}

/** The parts of webContents the shell uses. */
export interface AppWebContents {
  readonly id: number;
  setWindowOpenHandler(handler: (details: { url: string }) => WindowOpenAction): void;
  onWillNavigate(listener: (event: NavigationEvent) => void): void;
  onWillRedirect(listener: (event: NavigationEvent) => void): void;
  onWillAttachWebview(listener: (event: { preventDefault(): void }) => void): void;
  send(channel: string, payload: unknown): void;
  getURL(): string;
}

/** The parts of BrowserWindow the shell uses. */
export interface AppWindow {
  readonly id: number;
  readonly webContents: AppWebContents;
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
  getBounds(): Rect;
  /** 'close': the window is about to close and its bounds can still be read. Not emitted by destroy(). */
  onClose(listener: () => void): void;
  onClosed(listener: () => void): void;
  /** 'moved' / 'resized': emitted on macOS and Windows only (docs/api/browser-window.md), never on Linux. */
  onMovedOrResized(listener: () => void): void;
}

/** A permission request (session.setPermissionRequestHandler). */
export interface PermissionRequest {
  permission: string;
  requestingUrl: string;
  isMainFrame: boolean;
}

/** A response's headers as seen by session.webRequest.onHeadersReceived. */
export interface HeadersReceivedDetails {
  url: string;
  resourceType: string;
  responseHeaders: Record<string, string[]>;
}

/** A cookie the shell sets for the backend origin. */
export interface CookieSpec {
  url: string;
  name: string;
  value: string;
  httpOnly: true;
  secure: boolean;
  sameSite: 'strict';
  path: string;
}

/** The parts of the default session the shell uses. */
export interface AppSession {
  setPermissionRequestHandler(handler: (request: PermissionRequest) => boolean): void;
  setPermissionCheckHandler(handler: (request: PermissionRequest) => boolean): void;
  onHeadersReceived(
    handler: (details: HeadersReceivedDetails) => { responseHeaders: Record<string, string[]> },
  ): void;
  setCookie(cookie: CookieSpec): Promise<void>;
  removeCookie(url: string, name: string): Promise<void>;
}

/** What an IPC handler learns about the caller. */
export interface IpcSender {
  /** URL of the frame that sent the message; empty when the frame is gone. */
  frameUrl: string;
  /** Whether the sender is the top frame of its page (subframes such as Kibana never call the shell). */
  isMainFrame: boolean;
  /** The webContents id, to map the caller back to a window. */
  webContentsId: number;
}

/** Native dialogs offered to the renderer. */
export interface OpenDialogRequest {
  title?: string;
  filters?: { name: string; extensions: string[] }[];
  directory?: boolean;
  multiple?: boolean;
}
export interface SaveDialogRequest {
  title?: string;
  defaultPath?: string;
  filters?: { name: string; extensions: string[] }[];
}

/** A tray menu entry. */
export interface TrayMenuItem {
  label: string;
  enabled?: boolean;
  click?: () => void;
  separator?: boolean;
}

/** The tray icon. */
export interface AppTray {
  setToolTip(text: string): void;
  setImage(iconPath: string): void;
  setMenu(items: TrayMenuItem[]): void;
  destroy(): void;
}

/** A native notification to show. */
export interface NotificationSpec {
  title: string;
  body: string;
  silent: boolean;
  onClick: () => void;
}

/** Electron's safeStorage: OS-keychain-backed encryption of small secrets. */
export interface SafeStorage {
  isEncryptionAvailable(): boolean;
  /** Linux only: which secret store backs the encryption ('basic_text' means none, i.e. not really secret). */
  storageBackend(): string | undefined;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

/**
 * The main-process end of a channel whose other end went to a window: MessagePortMain
 * (https://www.electronjs.org/docs/latest/api/message-port-main), Node-style events.
 */
export interface MainPort {
  postMessage(message: unknown): void;
  /** `data` of each message from the window. */
  onMessage(listener: (data: unknown) => void): void;
  /** 'close': the window's end was closed or went away. */
  onClose(listener: () => void): void;
  start(): void;
  close(): void;
}

/** Everything the desktop shell asks of Electron. */
export interface ElectronAdapter {
  readonly isPackaged: boolean;
  /** Folder holding the application (app.getAppPath()). */
  readonly appPath: string;
  /** Per-user folder for settings and secrets (app.getPath('userData')). */
  readonly userDataPath: string;
  readonly platform: NodeJS.Platform;
  /**
   * Who decides where a window goes: 'exact' where x/y are honoured (Windows, macOS, X11), 'compositor' on Wayland,
   * where a client cannot position its windows (Electron 38+ runs natively on Wayland by default).
   */
  readonly windowPlacement: 'exact' | 'compositor';

  requestSingleInstanceLock(): boolean;
  onSecondInstance(listener: () => void): void;
  whenReady(): Promise<void>;
  /** before-quit; the listener may call preventDefault() to finish work first. */
  onBeforeQuit(listener: (event: { preventDefault(): void }) => void): void;
  onWindowAllClosed(listener: () => void): void;
  onActivate(listener: () => void): void;
  quit(): void;
  exit(code: number): void;
  /** Windows: the AppUserModelID toasts are attributed to; must equal the installer's appId. */
  setAppUserModelId(id: string): void;

  createWindow(options: WindowOptions): AppWindow;
  readonly session: AppSession;

  displays(): DisplayInfo[];
  onDisplaysChanged(listener: () => void): void;

  handleIpc(channel: string, handler: (sender: IpcSender, args: unknown[]) => unknown): void;
  removeIpcHandler(channel: string): void;
  /**
   * Creates a channel (MessageChannelMain), posts one end to a window's webContents with `message`
   * (webContents.postMessage(channel, message, [port]); the preload receives it in `event.ports`) and returns the
   * other end; undefined when the window is gone.
   */
  openWindowPort(webContentsId: number, channel: string, message: unknown): MainPort | undefined;

  showOpenDialog(window: AppWindow | undefined, request: OpenDialogRequest): Promise<string[]>;
  showSaveDialog(window: AppWindow | undefined, request: SaveDialogRequest): Promise<string | undefined>;
  showErrorBox(title: string, text: string): void;
  openExternal(url: string): Promise<void>;

  createTray(iconPath: string, tooltip: string): AppTray;
  notificationsSupported(): boolean;
  showNotification(spec: NotificationSpec): void;

  readonly safeStorage: SafeStorage;

  /** Starts the backend as an Electron utilityProcess (packaged app). */
  forkUtilityProcess(options: BackendLaunchOptions): BackendChild;
}
