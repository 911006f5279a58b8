/**
 * The one typed list of IPC channels between the Electron main process and the preload. The preload and every
 * main-process handler refuse a channel that is not listed here.
 */
export enum IpcChannel {
  GetBackend = 'vigil:get-backend',
  ShowOpenDialog = 'vigil:show-open-dialog',
  ShowSaveDialog = 'vigil:show-save-dialog',
  SaveDownload = 'vigil:save-download',
  GetDisplays = 'vigil:get-displays',
  OpenWallWindow = 'vigil:open-wall-window',
  CloseWallWindow = 'vigil:close-wall-window',
  SetKiosk = 'vigil:set-kiosk',
  Notify = 'vigil:notify',
  GetConnection = 'vigil:get-connection',
  SetConnection = 'vigil:set-connection',
  RestartBackend = 'vigil:restart-backend',
  SitesList = 'vigil:sites-list',
  SitesAdd = 'vigil:sites-add',
  SitesRemove = 'vigil:sites-remove',
  SitesRequest = 'vigil:sites-request',
  SitesLive = 'vigil:sites-live',
}

/** Messages the main process sends to windows (the preload subscribes only to these). */
export enum IpcEvent {
  FocusCamera = 'vigil:focus-camera',
  ConnectionStatus = 'vigil:connection-status',
  /** Carries a MessagePort (a site camera's live stream); the preload hands it to the page, see preload/index.cts. */
  SiteLivePort = 'vigil:site-live-port',
}

/** Allowlist used by the preload and the handlers. */
export const IPC_CHANNELS: readonly string[] = Object.values(IpcChannel);
/** Allowlist of main-to-window messages. */
export const IPC_EVENTS: readonly string[] = Object.values(IpcEvent);

/** Whether a channel name is one of ours. */
export function isIpcChannel(name: unknown): name is IpcChannel {
  return typeof name === 'string' && IPC_CHANNELS.includes(name);
}

/** Whether a main-to-window message name is one of ours. */
export function isIpcEvent(name: unknown): name is IpcEvent {
  return typeof name === 'string' && IPC_EVENTS.includes(name);
}
