/**
 * The one typed list of IPC channels between the Electron main process and the preload. The preload and every
 * main-process handler refuse a channel that is not listed here.
 */
export enum IpcChannel {
  GetBackend = 'vigil:get-backend',
  ShowOpenDialog = 'vigil:show-open-dialog',
  ShowSaveDialog = 'vigil:show-save-dialog',
  GetDisplays = 'vigil:get-displays',
  OpenWallWindow = 'vigil:open-wall-window',
  Notify = 'vigil:notify',
}

/** Allowlist used by the preload and the handlers. */
export const IPC_CHANNELS: readonly string[] = Object.values(IpcChannel);

/** Whether a channel name is one of ours. */
export function isIpcChannel(name: unknown): name is IpcChannel {
  return typeof name === 'string' && IPC_CHANNELS.includes(name);
}
