import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** An executable Vigil needs or can use, and where it was found. */
export interface FoundBinary {
  path: string;
  /** How it was found, in words for the start-up log. */
  source: string;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Looks a program up on PATH like a shell would. */
export function whichSync(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD').split(';') : [''];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

function optionalModule(name: string): unknown {
  try {
    return require(name);
  } catch {
    return undefined;
  }
}

/** Finds ffmpeg: `FFMPEG_PATH`, then the `ffmpeg-static` package, then `ffmpeg` on PATH. */
export function findFfmpeg(env: NodeJS.ProcessEnv = process.env): FoundBinary | undefined {
  if (env.FFMPEG_PATH) {
    return isExecutable(env.FFMPEG_PATH) ? { path: env.FFMPEG_PATH, source: 'FFMPEG_PATH' } : undefined;
  }
  const reported = optionalModule('ffmpeg-static');
  // In the packaged app the module reports a path inside app.asar, where nothing can be executed; electron-builder
  // keeps the binary (asarUnpack) in app.asar.unpacked.
  const bundled =
    typeof reported === 'string' ? reported.replace(/\.asar([\\/])/, '.asar.unpacked$1') : undefined;
  if (bundled && isExecutable(bundled)) return { path: bundled, source: 'ffmpeg-static' };
  const onPath = whichSync('ffmpeg', env);
  return onPath ? { path: onPath, source: 'system ffmpeg on PATH' } : undefined;
}

/** Finds ffprobe: `FFPROBE_PATH`, next to the chosen ffmpeg, then on PATH. */
export function findFfprobe(env: NodeJS.ProcessEnv = process.env): FoundBinary | undefined {
  if (env.FFPROBE_PATH && isExecutable(env.FFPROBE_PATH))
    return { path: env.FFPROBE_PATH, source: 'FFPROBE_PATH' };
  const ffmpeg = findFfmpeg(env);
  if (ffmpeg) {
    const sibling = path.join(
      path.dirname(ffmpeg.path),
      process.platform === 'win32' ? 'ffprobe.exe' : 'ffprobe',
    );
    if (isExecutable(sibling)) return { path: sibling, source: `next to ${ffmpeg.source}` };
  }
  const onPath = whichSync('ffprobe', env);
  return onPath ? { path: onPath, source: 'system ffprobe on PATH' } : undefined;
}

/** Whether the native TensorFlow binding loads (its install downloads libtensorflow, which can fail offline). */
export function hasTfjsNode(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

/** The Electron binary, when the `electron` package installed it. */
export function findElectron(): string | undefined {
  const electron = optionalModule('electron');
  return typeof electron === 'string' && isExecutable(electron) ? electron : undefined;
}

/** What the app found at start-up, and what it uses instead of what is missing. */
export interface RuntimeReport {
  ffmpeg: FoundBinary | undefined;
  ffprobe: FoundBinary | undefined;
  tensorflow: 'tfjs-node' | 'wasm';
  electron: string | undefined;
  lines: string[];
}

/** Checks the optional native pieces and describes the choice made for each. */
export function inspectRuntime(env: NodeJS.ProcessEnv = process.env): RuntimeReport {
  const ffmpeg = findFfmpeg(env);
  const ffprobe = findFfprobe(env);
  const tfNode = hasTfjsNode();
  const electron = findElectron();
  const lines = [
    ffmpeg ? `ffmpeg: ${ffmpeg.path} (${ffmpeg.source})` : 'ffmpeg: not found',
    ffprobe ? `ffprobe: ${ffprobe.path} (${ffprobe.source})` : 'ffprobe: not found (clip probing disabled)',
    tfNode
      ? 'TensorFlow.js: native backend (@tensorflow/tfjs-node)'
      : 'TensorFlow.js: WebAssembly backend (@tensorflow/tfjs-node is not installed)',
    electron
      ? `desktop: Electron at ${electron}`
      : 'desktop: browser mode (the Electron binary is not installed)',
  ];
  return { ffmpeg, ffprobe, tensorflow: tfNode ? 'tfjs-node' : 'wasm', electron, lines };
}

/** What to tell a user who has no ffmpeg at all. */
export const FFMPEG_INSTALL_HELP = [
  'Vigil needs ffmpeg to read cameras and it found none.',
  'Install one of:',
  '  Debian/Ubuntu:  sudo apt-get install ffmpeg',
  '  Fedora:         sudo dnf install ffmpeg',
  '  macOS:          brew install ffmpeg',
  '  Windows:        winget install ffmpeg',
  'or set FFMPEG_PATH to an ffmpeg executable, or `npm install ffmpeg-static` where github.com is reachable.',
].join('\n');
