import type { Logger } from './log.js';
import { addKnownSecret } from './redact.js';
import { onSupervisorMessage, postToSupervisor } from './shutdown.js';

/** The backend asks the desktop shell for the secret-store key with this message … */
export const SECRET_KEY_REQUEST = { type: 'secret-key-request' } as const;
/**
 * … and the shell answers with `{ type: 'secret-key', key }`: the base64 of a 32-byte key it keeps in the OS secret
 * store, or `key: null` with a `reason` when the OS secret store is not available (the key file is used then).
 */
export const SECRET_KEY_MESSAGE = 'secret-key';

/** How long the backend waits for the shell's answer. */
export const SHELL_KEY_TIMEOUT_MS = 15_000;

/** The desktop shell did not supply a usable key: the backend cannot open its secret store. */
export class ShellKeyError extends Error {}

/**
 * The secret-store key from the desktop shell, asked for over the supervisor's message channel (never argv or the
 * environment). Only under the shell (`VIGIL_DESKTOP_SHELL=1`); otherwise, and when the shell has no OS secret store,
 * undefined: the store then keeps its key in a file. Rejects with a ShellKeyError on a time-out or a malformed key.
 */
export function shellSecretKey(
  log: Logger,
  timeoutMs = SHELL_KEY_TIMEOUT_MS,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Buffer | undefined> {
  if (env.VIGIL_DESKTOP_SHELL !== '1') return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      reject(
        new ShellKeyError(
          `The desktop shell did not hand over the key of the camera-password store within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`}; the backend cannot start without it. Restart Vigil.`,
        ),
      );
    }, timeoutMs);
    onSupervisorMessage((message) => {
      const m = message as { type?: unknown; key?: unknown; reason?: unknown } | null;
      if (done || m?.type !== SECRET_KEY_MESSAGE) return;
      done = true;
      clearTimeout(timer);
      if (m.key === null) {
        log.warn(
          { reason: typeof m.reason === 'string' ? m.reason : undefined },
          'the OS keychain was not available: camera passwords are encrypted with the key file in the data folder',
        );
        return resolve(undefined);
      }
      const key = typeof m.key === 'string' ? Buffer.from(m.key, 'base64') : Buffer.alloc(0);
      if (key.length !== 32) {
        return reject(new ShellKeyError('The desktop shell handed over a malformed secret-store key.'));
      }
      addKnownSecret(m.key as string);
      log.info('the secret-store key comes from the OS keychain (desktop shell)');
      resolve(key);
    });
    postToSupervisor(SECRET_KEY_REQUEST);
  });
}
