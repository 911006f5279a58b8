/**
 * Entry point of the Electron main process (package.json "main" → dist/main/main/index.js). It wires the real
 * Electron adapter into the desktop app; everything else lives in testable modules behind that adapter.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { forkNodeBackend } from './backend-child.js';
import { DesktopApp } from './app.js';
import { createElectronAdapter } from './electron-real.js';
import { createMainLogger } from './log.js';
import { backendWorkingDirectory, bundledFfmpeg } from './packaged-paths.js';

const electron = createElectronAdapter();
const log = createMainLogger('main.index');
const root = electron.appPath;
const { values } = parseArgs({
  args: process.argv.slice(electron.isPackaged ? 1 : 2),
  options: { config: { type: 'string', short: 'c' } },
  strict: false,
  allowPositionals: true,
});

/** The backend's environment source: the desktop's, plus the bundled ffmpeg once it is known to run. */
async function backendEnv(): Promise<NodeJS.ProcessEnv> {
  const env = { ...process.env };
  if (electron.isPackaged && !env.FFMPEG_PATH) {
    // ffmpeg-static reports its binary inside app.asar, where nothing can be executed: the unpacked copy is used.
    const ffmpeg = await bundledFfmpeg(() => createRequire(import.meta.url)('ffmpeg-static'));
    log.info(ffmpeg.report);
    if (ffmpeg.path) env.FFMPEG_PATH = ffmpeg.path;
  }
  return env;
}

async function main(): Promise<void> {
  const app = new DesktopApp({
    electron,
    preloadPath: path.join(root, 'dist', 'main', 'main', 'preload', 'index.cjs'),
    iconDir: path.join(root, 'assets', 'icons'),
    configPath: typeof values.config === 'string' ? path.resolve(values.config) : undefined,
    env: await backendEnv(),
    ...(electron.isPackaged
      ? {
          // Packaged: the compiled backend in an Electron utilityProcess (no separate Node, RunAsNode stays off).
          launchBackend: (o) => electron.forkUtilityProcess(o),
          backend: {
            modulePath: path.join(root, 'dist', 'backend', 'backend', 'src', 'roles', 'cli.js'),
            execArgv: [],
            // app.asar is a file: no process can start with its working directory there.
            cwd: backendWorkingDirectory(root, electron.userDataPath),
          },
        }
      : {
          // Development: the TypeScript sources with the system's Node (npm start passes its path in VIGIL_NODE).
          launchBackend: forkNodeBackend,
          backend: {
            modulePath: path.join(root, 'backend', 'src', 'roles', 'cli.ts'),
            execArgv: ['--import', 'tsx'],
            execPath: process.env.VIGIL_NODE || 'node',
            cwd: root,
          },
        }),
  });
  // Ctrl-C in the terminal of `npm start`, or a service manager's stop: the same orderly quit as the tray's.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void app.quit());
  await app.run();
}

main().catch((err: unknown) => {
  electron.showErrorBox('Vigil could not start', err instanceof Error ? err.message : String(err));
  electron.exit(1);
});
