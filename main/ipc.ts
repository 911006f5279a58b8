import type { ElectronAdapter, IpcSender } from './electron-adapter.js';
import { isIpcChannel, type IpcChannel } from './ipc-channels.js';
import { createMainLogger } from './log.js';
import { isTrustedSender, type SecurityPolicy } from './window-security.js';

/** A main-process IPC handler; `args` are untrusted and must be validated. */
export type IpcHandler = (args: unknown[], sender: IpcSender) => unknown;

/** Raised to the renderer when a call is refused; the message says why without revealing internals. */
export class IpcRefusedError extends Error {
  override readonly name = 'IpcRefusedError';
}

/**
 * Registers IPC handlers that check, on every call, that the channel is on the allowlist and that the sender is
 * the app's own top frame (or a page of the shell). Anything else is refused and logged.
 */
export class IpcRouter {
  readonly #log = createMainLogger('main.ipc');
  readonly #channels = new Set<IpcChannel>();

  constructor(
    private readonly electron: Pick<ElectronAdapter, 'handleIpc' | 'removeIpcHandler'>,
    private readonly policy: SecurityPolicy,
  ) {}

  handle(channel: IpcChannel, handler: IpcHandler): void {
    if (!isIpcChannel(channel)) throw new Error(`"${String(channel)}" is not on the IPC channel allowlist`);
    if (this.#channels.has(channel)) throw new Error(`IPC channel ${channel} already has a handler`);
    this.#channels.add(channel);
    this.electron.handleIpc(channel, (sender, args) => {
      if (!isTrustedSender(this.policy, sender)) {
        let origin = 'unknown';
        try {
          origin = new URL(sender.frameUrl).origin;
        } catch {
          // No URL.
        }
        this.#log.warn(
          { channel, origin, isMainFrame: sender.isMainFrame },
          'refused IPC from an untrusted frame',
        );
        throw new IpcRefusedError(`Vigil refused "${channel}": the caller is not the Vigil app.`);
      }
      return handler(args, sender);
    });
  }

  dispose(): void {
    for (const channel of this.#channels) this.electron.removeIpcHandler(channel);
    this.#channels.clear();
  }
}
