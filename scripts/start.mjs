#!/usr/bin/env node
// `npm start`: the desktop app when the Electron binary is installed, else browser mode (the backend serves the UI
// and prints a login link). Builds what is missing first.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile())
      newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

function run(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const built = path.join(root, 'dist', 'renderer', 'index.html');
if (!fs.existsSync(built) || fs.statSync(built).mtimeMs < newestMtime(path.join(root, 'renderer'))) {
  console.log('[vigil] building the UI…');
  run(process.execPath, [
    path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'),
    'build',
    '--logLevel',
    'warn',
  ]);
}

let electron;
try {
  const candidate = require('electron');
  if (typeof candidate === 'string' && fs.existsSync(candidate)) electron = candidate;
} catch {
  // The electron package is optional: its install downloads a binary, which fails on offline machines.
}

let child;
if (electron && process.env.VIGIL_BROWSER_MODE !== '1') {
  console.log(`[vigil] starting the desktop app (Electron at ${electron})`);
  run(process.execPath, [
    path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
    '-p',
    'tsconfig.main.json',
  ]);
  // The main process (package.json "main": dist/main/main/index.js) runs the backend from its TypeScript sources
  // with this Node; ELECTRON_RUN_AS_NODE would turn Electron into plain Node and is dropped.
  const { ELECTRON_RUN_AS_NODE: _runAsNode, ...env } = process.env;
  child = spawn(electron, [root, ...args], {
    cwd: root,
    stdio: 'inherit',
    env: { ...env, VIGIL_NODE: process.execPath },
  });
} else {
  console.log(
    electron
      ? '[vigil] browser mode (VIGIL_BROWSER_MODE=1)'
      : '[vigil] browser mode: the Electron binary is not installed, so the backend serves the UI to a browser',
  );
  child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'backend', 'src', 'roles', 'cli.ts'), ...args],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
}

// Ctrl-C reaches the child through the terminal's process group; a plain SIGTERM to this process is forwarded.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
