import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Walks up from this file to the folder holding Vigil's package.json (works from source and from dist/). */
function findInstallDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if ((JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'vigil') return dir;
      } catch {
        // Not ours; keep walking.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the Vigil installation folder (package.json)');
    dir = parent;
  }
}

/** The Vigil installation folder (the package root); bundled assets are resolved against it. */
export const INSTALL_DIR = findInstallDir();

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
