/**
 * The preload of every window (sandboxed, so CommonJS and only `electron` may be required). It exposes ONE frozen
 * object, `window.vigil`, whose methods each call one allowlisted channel; `ipcRenderer` itself never reaches the
 * page. The channel names are repeated here because a sandboxed preload cannot load other files; the types bind them
 * to the allowlist in ipc-channels.ts, and a test checks them.
 */
import type {
  DesktopConnectionStatus,
  DesktopConnectionUpdate,
  DesktopAlertNotification,
  DesktopOpenDialogRequest,
  DesktopSaveDialogRequest,
  DesktopSaveDownloadRequest,
  DesktopSite,
  DesktopSiteInput,
  DesktopSiteLiveRequest,
  DesktopSiteRequest,
  DesktopSiteResponse,
  VigilDesktopApi,
} from '../../backend/src/contract/desktop.js';
import type { IpcChannel, IpcEvent } from '../ipc-channels.js';

interface PreloadElectron {
  contextBridge: { exposeInMainWorld(key: string, api: unknown): void };
  ipcRenderer: {
    invoke(channel: string, ...args: unknown[]): Promise<unknown>;
    on(channel: string, listener: (event: { ports?: unknown[] }, payload: unknown) => void): void;
    removeListener(channel: string, listener: (event: { ports?: unknown[] }, payload: unknown) => void): void;
  };
}

/** The page's window as the preload sees it (main/ is type-checked without the DOM library). */
declare const window: {
  postMessage(message: unknown, targetOrigin: string, transfer: unknown[]): void;
  location: { origin: string };
};

// A sandboxed preload is CommonJS and may only require 'electron'.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { contextBridge, ipcRenderer } = require('electron') as PreloadElectron;

const CHANNEL = {
  getBackend: 'vigil:get-backend',
  showOpenDialog: 'vigil:show-open-dialog',
  showSaveDialog: 'vigil:show-save-dialog',
  saveDownload: 'vigil:save-download',
  getDisplays: 'vigil:get-displays',
  openWallWindow: 'vigil:open-wall-window',
  closeWallWindow: 'vigil:close-wall-window',
  setKiosk: 'vigil:set-kiosk',
  notify: 'vigil:notify',
  getConnection: 'vigil:get-connection',
  setConnection: 'vigil:set-connection',
  restartBackend: 'vigil:restart-backend',
  sitesList: 'vigil:sites-list',
  sitesAdd: 'vigil:sites-add',
  sitesRemove: 'vigil:sites-remove',
  sitesRequest: 'vigil:sites-request',
  sitesLive: 'vigil:sites-live',
} as const satisfies Record<string, `${IpcChannel}`>;

const EVENT = {
  focusCamera: 'vigil:focus-camera',
  connectionStatus: 'vigil:connection-status',
  siteLivePort: 'vigil:site-live-port',
} as const satisfies Record<string, `${IpcEvent}`>;

function invoke<T>(channel: (typeof CHANNEL)[keyof typeof CHANNEL], ...args: unknown[]): Promise<T> {
  return ipcRenderer.invoke(channel, ...args) as Promise<T>;
}

function subscribe<T>(
  event: (typeof EVENT)[keyof typeof EVENT],
  accept: (payload: unknown) => payload is T,
  listener: (payload: T) => void,
): () => void {
  if (typeof listener !== 'function') throw new TypeError('listener must be a function');
  // The page gets the payload only, never the IPC event (it would expose the sender).
  const wrapped = (_event: unknown, payload: unknown): void => {
    if (accept(payload)) listener(payload);
  };
  ipcRenderer.on(event, wrapped);
  return () => ipcRenderer.removeListener(event, wrapped);
}

const isString = (p: unknown): p is string => typeof p === 'string';
const isStatus = (p: unknown): p is DesktopConnectionStatus =>
  typeof p === 'object' && p !== null && typeof (p as { state?: unknown }).state === 'string';

const api: VigilDesktopApi = Object.freeze({
  isDesktop: true as const,
  backend: () => invoke(CHANNEL.getBackend),
  showOpenDialog: (request: DesktopOpenDialogRequest) => invoke<string[]>(CHANNEL.showOpenDialog, request),
  showSaveDialog: (request: DesktopSaveDialogRequest) =>
    invoke<string | undefined>(CHANNEL.showSaveDialog, request),
  saveDownload: (request: DesktopSaveDownloadRequest) =>
    invoke<string | undefined>(CHANNEL.saveDownload, request),
  displays: () => invoke(CHANNEL.getDisplays),
  openWallWindow: (displayId: number) => invoke<void>(CHANNEL.openWallWindow, displayId),
  closeWallWindow: (displayId: number) => invoke<void>(CHANNEL.closeWallWindow, displayId),
  setKiosk: (on: boolean) => invoke<void>(CHANNEL.setKiosk, on),
  notify: (alert: DesktopAlertNotification) => invoke<void>(CHANNEL.notify, alert),
  connection: () => invoke(CHANNEL.getConnection),
  setConnection: (update: DesktopConnectionUpdate) => invoke(CHANNEL.setConnection, update),
  restartBackend: () => invoke<void>(CHANNEL.restartBackend),
  onFocusCamera: (listener: (cameraId: string) => void) => subscribe(EVENT.focusCamera, isString, listener),
  onConnectionStatus: (listener: (status: DesktopConnectionStatus) => void) =>
    subscribe(EVENT.connectionStatus, isStatus, listener),
  // Further sites: the main process holds their list and tokens and relays a few routes (main/sites.ts).
  sites: Object.freeze({
    list: () => invoke<DesktopSite[]>(CHANNEL.sitesList),
    add: (site: DesktopSiteInput) => invoke<DesktopSite[]>(CHANNEL.sitesAdd, site),
    remove: (id: string) => invoke<DesktopSite[]>(CHANNEL.sitesRemove, id),
    request: (request: DesktopSiteRequest) => invoke<DesktopSiteResponse>(CHANNEL.sitesRequest, request),
    openLive: (request: DesktopSiteLiveRequest) => invoke<void>(CHANNEL.sitesLive, request),
  }),
} satisfies VigilDesktopApi);

contextBridge.exposeInMainWorld('vigil', api);

// A site camera's live stream comes as a MessagePort (main/site-live.ts). The context bridge does not carry ports, so
// the preload hands it to the page with window.postMessage, as Electron's MessagePorts tutorial does ("Communicating
// directly between the main process and the main world of a context-isolated page",
// https://www.electronjs.org/docs/latest/tutorial/message-ports). Only the page's own origin can receive it, and the
// page knows its port by the nonce it chose (DESKTOP_SITE_LIVE_MESSAGE in contract/desktop.ts).
ipcRenderer.on(EVENT.siteLivePort, (event, payload) => {
  const nonce = (payload as { nonce?: unknown } | null)?.nonce;
  const port = event.ports?.[0];
  if (typeof nonce !== 'string' || !port) return;
  window.postMessage({ type: EVENT.siteLivePort, nonce }, window.location.origin, [port]);
});
