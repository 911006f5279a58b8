import type { VigilDesktopApi } from '../../../backend/src/contract/desktop';

/**
 * The desktop shell's bridge (`window.vigil`, set by the preload), or undefined in a plain browser. Every desktop
 * feature checks for it and the UI works without it.
 */
export function desktopApi(): VigilDesktopApi | undefined {
  const candidate = (window as unknown as { vigil?: unknown }).vigil;
  if (!candidate || typeof candidate !== 'object') return undefined;
  return (candidate as { isDesktop?: unknown }).isDesktop === true
    ? (candidate as VigilDesktopApi)
    : undefined;
}

/**
 * The message of an error from the bridge. Electron prefixes an IPC handler's error with
 * "Error invoking remote method '<channel>': <name>: "; the person needs only what follows.
 */
export function bridgeErrorMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^Error invoking remote method '[^']*': (\w*Error: )?/, '');
}
