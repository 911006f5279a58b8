import { z } from 'zod';
import { SESSION_COOKIE } from '../backend/src/contract/api.js';
import type { DesktopBackendInfo, DesktopConnectionStatus } from '../backend/src/contract/desktop.js';
import { envNamesInConfig, sanitizeEnv } from './backend-env.js';
import {
  BROWSER_SESSION_REFRESH_MS,
  BrowserSessionError,
  openBrowserSession,
  sessionIsValid,
} from './browser-session.js';
import type { BackendChild, BackendLaunchOptions } from './backend-child.js';
import { BackendSupervisor, type SupervisorOptions } from './backend-supervisor.js';
import { ConnectionManager } from './connection.js';
import type { ElectronAdapter } from './electron-adapter.js';
import { IpcRouter } from './ipc.js';
import { IpcChannel, IpcEvent } from './ipc-channels.js';
import { saveBackendFile } from './downloads.js';
import { createMainLogger } from './log.js';
import { AlertNotifier } from './notifications.js';
import { backendSecretKey, SecretStore, type BackendKeyAnswer } from './secret-store.js';
import { SettingsStore } from './settings.js';
import { errorPage, startingPage } from './shell-pages.js';
import { StatusTray } from './tray.js';
import { SiteLiveRelay, validateLiveRequest } from './site-live.js';
import { SiteRelay, SiteRequestError } from './sites.js';
import { WindowManager } from './windows.js';
import { installSessionSecurity, originOf, type SecurityPolicy } from './window-security.js';

/**
 * The app's identity on Windows: electron-builder gives the installer's shortcuts this AppUserModelID (its `appId`),
 * and Windows shows a toast only for an app whose process declares the same id (docs/tutorial/notifications.md).
 * A test checks it against electron-builder.yml.
 */
export const APP_USER_MODEL_ID = 'org.vigil.desktop';

/** How the desktop app is put together; index.ts fills it from Electron, the tests from a fake. */
export interface DesktopAppOptions {
  electron: ElectronAdapter;
  /** The compiled, sandboxed preload script. */
  preloadPath: string;
  /** Folder with vigil.png and the tray-*.png status icons. */
  iconDir: string;
  /** Starts one backend process (plain Node child in development, utilityProcess when packaged). */
  launchBackend: (options: BackendLaunchOptions) => BackendChild;
  /** The backend entry point and how to run it. */
  backend: { modulePath: string; execArgv: string[]; execPath?: string; cwd: string };
  /** --config from the command line; else the settings' configPath; else the backend's default. */
  configPath?: string;
  /** The environment the backend's is derived from. */
  env: NodeJS.ProcessEnv;
  supervisor?: Partial<Omit<SupervisorOptions, 'launch' | 'launchOptions'>>;
}

const DialogFilters = z
  .array(z.strictObject({ name: z.string().max(200), extensions: z.array(z.string().max(20)).max(50) }))
  .max(20);
const OpenDialogRequest = z.strictObject({
  title: z.string().max(200).optional(),
  filters: DialogFilters.optional(),
  directory: z.boolean().optional(),
  multiple: z.boolean().optional(),
});
const SaveDialogRequest = z.strictObject({
  title: z.string().max(200).optional(),
  defaultPath: z.string().max(4096).optional(),
  filters: DialogFilters.optional(),
});
const SaveDownloadRequest = z.strictObject({
  url: z.string().min(1).max(4096),
  title: z.string().max(200).optional(),
  defaultPath: z.string().max(4096).optional(),
  filters: DialogFilters.optional(),
});
const AlertNotification = z.strictObject({
  title: z.string().min(1).max(200),
  body: z.string().max(1000),
  cameraId: z.string().min(1).max(200),
  alertId: z.string().max(200).optional(),
});
const ConnectionUpdate = z.strictObject({
  mode: z.enum(['local', 'remote']),
  remoteUrl: z.string().max(2048).optional(),
  remoteToken: z.string().max(4096).optional(),
  kibanaUrl: z.string().max(2048).optional(),
});

/** Parses an IPC argument; a bad one is refused with the reason in words. */
function arg<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(`${what}: ${issue ? `${issue.path.join('.') || 'value'}: ${issue.message}` : 'invalid'}`);
  }
  return r.data;
}

/**
 * The desktop application: single instance, secure session, supervised (or remote) backend, main and wall windows,
 * tray, notifications and the IPC surface for the preload. `quit()` stops the backend within its deadline.
 */
export class DesktopApp {
  readonly #log = createMainLogger('main.app');
  readonly #o: DesktopAppOptions;
  #settings!: SettingsStore;
  #connection!: ConnectionManager;
  #sites!: SiteRelay;
  #siteLive!: SiteLiveRelay;
  #windows!: WindowManager;
  #ipc!: IpcRouter;
  #tray: StatusTray | undefined;
  #notifier!: AlertNotifier;
  #quitting: Promise<void> | undefined;
  #wallsRestored = false;
  /** Set once the backend has stopped: Electron may then quit. */
  #stopped = false;
  /** The remote connection form is on show while the server is being retried. */
  #remoteSetupShown = false;
  /** The backend the windows were last loaded from. */
  #lastBackend: DesktopBackendInfo | undefined;
  /** Renews the windows' session cookie before it can idle out or reach its lifetime. */
  #sessionRefresh: NodeJS.Timeout | undefined;
  /** The backend's camera-password key, read from the OS secret store once per run. */
  #backendKey: BackendKeyAnswer | undefined;

  constructor(options: DesktopAppOptions) {
    this.#o = options;
  }

  get windows(): WindowManager {
    return this.#windows;
  }
  get connection(): ConnectionManager {
    return this.#connection;
  }
  get settings(): SettingsStore {
    return this.#settings;
  }

  /** Starts the app. False when another instance runs (it is brought forward instead, and this one quits). */
  async run(): Promise<boolean> {
    const { electron } = this.#o;
    if (!electron.requestSingleInstanceLock()) {
      this.#log.info('Vigil is already running: focusing it');
      electron.quit();
      return false;
    }
    if (electron.platform === 'win32') electron.setAppUserModelId(APP_USER_MODEL_ID);
    electron.onSecondInstance(() => this.#windows?.focusMain());
    electron.onBeforeQuit((event) => {
      // Quitting waits for the backend to stop; Electron quits when quit() calls exit().
      if (!this.#stopped) {
        event.preventDefault();
        void this.quit();
      }
    });
    electron.onWindowAllClosed(() => {
      if (electron.platform !== 'darwin') void this.quit();
    });
    electron.onActivate(() => this.#windows?.focusMain());
    await electron.whenReady();

    this.#settings = new SettingsStore(electron.userDataPath);
    const secrets = new SecretStore(electron.userDataPath, electron.safeStorage);
    this.#connection = new ConnectionManager({
      settings: this.#settings,
      secrets,
      createSupervisor: () => this.#createSupervisor(),
    });
    this.#sites = new SiteRelay({ settings: this.#settings, secrets });
    this.#sites.start();
    this.#siteLive = new SiteLiveRelay({ connection: (id) => this.#sites.connection(id) });
    const policy: SecurityPolicy = {
      appOrigin: () => originOf(this.#connection.backend?.url),
      kibanaOrigin: () => originOf(this.#settings.value.kibanaUrl),
      externalOrigins: () =>
        this.#settings.value.externalLinks.map((u) => originOf(u)).filter((o) => o !== undefined),
      isShellPage: (url) => url === this.#windows.shellPage?.url,
    };
    installSessionSecurity(electron.session, policy);
    this.#windows = new WindowManager(
      electron,
      policy,
      this.#settings,
      this.#o.preloadPath,
      `${this.#o.iconDir}/vigil.png`,
    );
    this.#notifier = new AlertNotifier(electron, (cameraId) => {
      this.#windows.focusMain();
      this.#windows.main?.webContents.send(IpcEvent.FocusCamera, cameraId);
    });
    this.#ipc = new IpcRouter(electron, policy);
    this.#registerIpc();

    this.#tray = new StatusTray(
      electron,
      this.#o.iconDir,
      {
        show: () => this.#windows.focusMain(),
        openWalls: () => void this.#windows.restoreWalls(),
        restartBackend: () => void this.#connection.restartBackend(),
        quit: () => void this.quit(),
      },
      this.#connection.status,
    );
    electron.onDisplaysChanged(() => {
      if (this.#connection.backend) void this.#windows.restoreWalls();
    });

    this.#connection.onChange((status, backend) => void this.#onConnection(status, backend));
    await this.#windows.showShellPage(startingPage('Connecting to the backend.'));
    this.#connection.start();
    return true;
  }

  #createSupervisor(): BackendSupervisor {
    const configPath = this.#o.configPath || this.#settings.value.configPath || undefined;
    // VIGIL_DESKTOP_SHELL: the backend then prints no login link (the shell logs the window in with a cookie, and
    // the link would end up in the error view's log lines).
    const env = { ...sanitizeEnv(this.#o.env, envNamesInConfig(configPath)), VIGIL_DESKTOP_SHELL: '1' };
    return new BackendSupervisor({
      launch: this.#o.launchBackend,
      launchOptions: {
        ...this.#o.backend,
        // Port 0 would change the origin on every restart; the configured port (8470) keeps it stable.
        args: ['local', ...(configPath ? ['--config', configPath] : [])],
        env,
      },
      secretKey: () =>
        (this.#backendKey ??= backendSecretKey(this.#o.electron.userDataPath, this.#o.electron.safeStorage)),
      ...this.#o.supervisor,
    });
  }

  async #onConnection(
    status: DesktopConnectionStatus,
    backend: DesktopBackendInfo | undefined,
  ): Promise<void> {
    this.#tray?.update(status);
    this.#windows.broadcast(IpcEvent.ConnectionStatus, status);
    if (status.state !== 'reconnecting' || status.mode !== 'remote') this.#remoteSetupShown = false;
    // A switch of backend (local ↔ remote, another server): the page of the previous one is no longer the app.
    const last = this.#lastBackend;
    if (
      !backend &&
      last &&
      (last.mode !== status.mode || (status.mode === 'remote' && last.url !== this.#settings.value.remoteUrl))
    )
      this.#lastBackend = undefined;
    if (backend && (backend.url !== this.#lastBackend?.url || backend.token !== this.#lastBackend?.token)) {
      this.#lastBackend = backend;
      // The renderer's requests carry a session of their own as an HttpOnly cookie set here; the page never sees
      // it, and the bearer token never leaves the main process. It is renewed before it can expire.
      await this.#setSessionCookie(backend);
      clearInterval(this.#sessionRefresh);
      // A session the shell opened that has ended (idled out) is replaced; one that still works is left alone,
      // so a person signed in on the page keeps their own.
      this.#sessionRefresh = setInterval(() => {
        if (this.#lastBackend !== backend) return;
        const current = this.#windowSession;
        void (current ? sessionIsValid(backend, current).catch(() => true) : Promise.resolve(false)).then(
          (valid) => {
            if (!valid) return this.#setSessionCookie(backend);
          },
        );
      }, BROWSER_SESSION_REFRESH_MS);
      this.#sessionRefresh.unref();
      await this.#windows.showApp(backend.url);
      if (!this.#wallsRestored) {
        this.#wallsRestored = true;
        await this.#windows.restoreWalls();
      }
      return;
    }
    if (backend) return;
    if (status.state === 'failed') {
      this.#lastBackend = undefined;
      const lines = this.#connection.supervisor?.logLines().slice(-40) ?? [];
      const { mode, remoteUrl } = this.#settings.value;
      await this.#windows.showShellPage(
        errorPage(status.detail ?? 'The backend is not available.', lines, { mode, remoteUrl }),
      );
    } else if (
      status.state === 'reconnecting' &&
      status.mode === 'remote' &&
      this.#lastBackend === undefined
    ) {
      // A server that was never reached: keep trying, and offer to change it or to go back to local mode. Shown
      // once per streak of retries, so that the form is not reloaded under the user's fingers.
      if (this.#remoteSetupShown) return;
      this.#remoteSetupShown = true;
      const { mode, remoteUrl } = this.#settings.value;
      await this.#windows.showShellPage(
        errorPage(status.detail ?? 'The server is not reachable.', [], { mode, remoteUrl }),
      );
    } else if (status.state === 'starting' && this.#lastBackend === undefined) {
      await this.#windows.showShellPage(startingPage(status.detail ?? 'Connecting to the backend.'));
    }
  }

  /** The session the shell last opened for its windows (undefined: people sign in on the page). */
  #windowSession: string | undefined;

  async #setSessionCookie(backend: DesktopBackendInfo): Promise<void> {
    try {
      const sessionId = await openBrowserSession(backend);
      this.#windowSession = sessionId;
      await this.#o.electron.session.setCookie({
        url: backend.url,
        name: SESSION_COOKIE,
        value: sessionId,
        httpOnly: true,
        secure: backend.url.startsWith('https:'),
        sameSite: 'strict',
        path: '/',
      });
    } catch (err) {
      this.#windowSession = undefined;
      // The window then shows the sign-in page.
      if (err instanceof BrowserSessionError && err.signInRequired) return;
      this.#log.warn({ err: (err as Error).message }, 'could not open a session for the app windows');
    }
  }

  #registerIpc(): void {
    const ipc = this.#ipc;
    const { electron } = this.#o;
    ipc.handle(IpcChannel.GetBackend, () => {
      const backend = this.#connection.backend;
      if (!backend) throw new Error('Vigil is not connected to a backend right now.');
      return backend;
    });
    ipc.handle(IpcChannel.ShowOpenDialog, (args, sender) =>
      electron.showOpenDialog(
        this.#windows.windowOf(sender.webContentsId),
        arg(OpenDialogRequest, args[0], 'open dialog'),
      ),
    );
    ipc.handle(IpcChannel.ShowSaveDialog, (args, sender) =>
      electron.showSaveDialog(
        this.#windows.windowOf(sender.webContentsId),
        arg(SaveDialogRequest, args[0], 'save dialog'),
      ),
    );
    ipc.handle(IpcChannel.SaveDownload, async (args, sender) => {
      const { url, ...dialog } = arg(SaveDownloadRequest, args[0], 'save download');
      const backend = this.#connection.backend;
      if (!backend) throw new Error('Vigil is not connected to a backend right now.');
      const destination = await electron.showSaveDialog(this.#windows.windowOf(sender.webContentsId), dialog);
      if (!destination) return undefined;
      const { bytes } = await saveBackendFile(backend, url, destination);
      this.#log.info({ bytes }, 'backend file saved');
      return destination;
    });
    ipc.handle(IpcChannel.GetDisplays, () => this.#windows.displays());
    ipc.handle(IpcChannel.OpenWallWindow, async (args) => {
      await this.#windows.openWall(arg(z.int(), args[0], 'display id'));
    });
    ipc.handle(IpcChannel.CloseWallWindow, (args) =>
      this.#windows.closeWall(arg(z.int(), args[0], 'display id')),
    );
    ipc.handle(IpcChannel.SetKiosk, (args, sender) =>
      this.#windows.setKiosk(sender.webContentsId, arg(z.boolean(), args[0], 'kiosk')),
    );
    ipc.handle(IpcChannel.Notify, (args) => {
      this.#notifier.notify(arg(AlertNotification, args[0], 'notification'));
    });
    ipc.handle(IpcChannel.GetConnection, () => this.#connection.settingsView());
    ipc.handle(IpcChannel.SetConnection, (args) =>
      this.#connection.apply(arg(ConnectionUpdate, args[0], 'connection')),
    );
    ipc.handle(IpcChannel.SitesList, () => this.#sites.list());
    ipc.handle(IpcChannel.SitesAdd, (args) => this.#sites.add(args[0]));
    ipc.handle(IpcChannel.SitesRemove, (args) => {
      const list = this.#sites.remove(args[0]);
      this.#siteLive.closeSite(String(args[0]));
      return list;
    });
    ipc.handle(IpcChannel.SitesRequest, (args) => this.#sites.request(args[0]));
    // A site camera's live stream: the main process holds the site's sockets (and token); the window gets one end
    // of a MessageChannelMain. The port's 'close' event ends the stream when the window goes away.
    ipc.handle(IpcChannel.SitesLive, (args, sender) => {
      const request = validateLiveRequest(args[0]);
      this.#sites.connection(request.site);
      const port = this.#o.electron.openWindowPort(sender.webContentsId, IpcEvent.SiteLivePort, {
        nonce: request.nonce,
      });
      if (!port) throw new SiteRequestError('the window is gone');
      this.#siteLive.open(request, port, sender.webContentsId);
    });
    ipc.handle(IpcChannel.RestartBackend, async () => {
      await this.#windows.showShellPage(startingPage('Restarting the backend.'));
      await this.#connection.restartBackend();
    });
  }

  /** Stops everything: the backend (SIGTERM, 5 s, then killed with its children), windows, tray; then exits. */
  quit(): Promise<void> {
    this.#quitting ??= (async () => {
      this.#log.info('quitting');
      try {
        clearInterval(this.#sessionRefresh);
        this.#ipc?.dispose();
        this.#notifier?.dispose();
        this.#sites?.stop();
        this.#siteLive?.dispose();
        await this.#connection?.stop();
        await this.#o.electron.session
          .removeCookie(this.#lastBackend?.url ?? 'http://127.0.0.1', SESSION_COOKIE)
          .catch(() => {});
      } catch (err) {
        this.#log.error({ err }, 'error while quitting');
      } finally {
        this.#tray?.dispose();
        this.#windows?.dispose();
        this.#stopped = true;
        this.#o.electron.exit(0);
      }
    })();
    return this.#quitting;
  }
}
