import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * The Vigil installation folder (the package root); bundled assets are resolved against it. Compiled, this file
 * lives in dist/backend/backend/src/platform (the packaged app), two folders further down.
 */
export const INSTALL_DIR =
  path.basename(SOURCE_ROOT) === 'backend' && path.basename(path.dirname(SOURCE_ROOT)) === 'dist'
    ? path.resolve(SOURCE_ROOT, '../..')
    : SOURCE_ROOT;

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
  if (path.isAbsolute(p)) return p;
  // Packaged app: files that external programs (ffmpeg) open by path are unpacked next to app.asar.
  const unpacked = path.join(INSTALL_DIR.replace(/app\.asar$/, 'app.asar.unpacked'), p);
  return unpacked !== path.join(INSTALL_DIR, p) && fs.existsSync(unpacked)
    ? unpacked
    : path.join(INSTALL_DIR, p);
}
