import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Vigil installation folder (the package root); bundled assets are resolved against it. */
export const INSTALL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * The per-user application data folder, where the config file and (by default) the data live.
 * `VIGIL_HOME` overrides it (tests, portable installs).
 */
export function appDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VIGIL_HOME) return path.resolve(env.VIGIL_HOME);
  const home = os.homedir();
  switch (process.platform) {
    case 'win32':
      return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Vigil');
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'Vigil');
    default:
      return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'vigil');
  }
}

/** Resolves a path from the config: absolute stays, relative is taken from the installation folder. */
export function resolveInstallPath(p: string): string {
  return path.isAbsolute(p) ? p : path.join(INSTALL_DIR, p);
}
