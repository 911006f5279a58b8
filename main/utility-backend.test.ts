/**
 * The packaged app's backend as an Electron utilityProcess — played by FakeUtilityProcess (a real Node process with
 * Electron's events and per-platform kill(), see its header for the sources each rule comes from), since the
 * Electron binary cannot run here. The backend processes and their ffmpeg are real.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { childPids } from '../test/helpers/leaks.js';
import { DesktopApp } from './app.js';
import { isAlive, type BackendChild } from './backend-child.js';
import { BackendSupervisor } from './backend-supervisor.js';
import { backendWorkingDirectory } from './packaged-paths.js';
import { FakeElectron } from './test-fixtures/fake-electron.js';
import { FakeUtilityProcess } from './test-fixtures/fake-utility-process.js';
import { wrapUtilityProcess } from './utility-backend.js';
import { cleanupAfterEach, FIXTURE, ROOT, waitFor } from './test-fixtures/shell-test.js';

const cleanup = cleanupAfterEach();

/** A packaged layout: resources/app.asar is a file (as electron-builder writes it), userData a real folder. */
function packagedLayout() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-packaged-'));
  const resources = path.join(dir, 'resources');
  fs.mkdirSync(resources);
  const asar = path.join(resources, 'app.asar');
  fs.writeFileSync(asar, 'asar archive stand-in');
  const userData = path.join(dir, 'user-data');
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return { dir, asar, userData };
}

function packagedApp(options: {
  cwd: string;
  env?: Record<string, string>;
  platform?: NodeJS.Platform;
  modulePath?: string;
  execArgv?: string[];
  configPath?: string;
  readyTimeoutMs?: number;
  stopDeadlineMs?: number;
}) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-packaged-home-'));
  const electron = new FakeElectron(home);
  electron.isPackaged = true;
  if (options.platform) electron.platform = options.platform;
  const children: BackendChild[] = [];
  const app = new DesktopApp({
    electron,
    preloadPath: path.join(home, 'preload.cjs'),
    iconDir: path.join(ROOT, 'assets', 'icons'),
    launchBackend: (o) => {
      const child = electron.forkUtilityProcess(o);
      children.push(child);
      return child;
    },
    backend: {
      modulePath: options.modulePath ?? FIXTURE,
      execArgv: options.execArgv ?? [],
      cwd: options.cwd,
    },
    configPath: options.configPath,
    env: { PATH: process.env.PATH, VIGIL_TEST_COUNTER: path.join(home, 'count'), ...options.env },
    supervisor: {
      backoffBaseMs: 50,
      backoffMaxMs: 200,
      ...(options.readyTimeoutMs ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
      ...(options.stopDeadlineMs ? { stopDeadlineMs: options.stopDeadlineMs } : {}),
    },
  });
  cleanup.push(async () => {
    await app.quit();
    fs.rmSync(home, { recursive: true, force: true });
  });
  return { app, electron, children };
}

const shellHtml = (url: string | undefined): string =>
  url?.startsWith('data:') ? Buffer.from(url.split(',')[1] ?? '', 'base64').toString() : '';

describe('packaged backend as a utilityProcess (fake Electron utilityProcess, real processes)', () => {
  it('a cwd inside app.asar never launches (no spawn, no exit): the start fails after the ready time-out with the error view', async () => {
    const { asar } = packagedLayout();
    const { app, electron } = packagedApp({
      cwd: asar,
      env: { VIGIL_TEST_MODES: 'healthy' },
      readyTimeoutMs: 1500,
    });
    const t0 = Date.now();
    await app.run();
    const main = electron.windows[0]!;
    const html = await waitFor('error view', () => {
      const h = shellHtml(main.loaded.at(-1));
      return h.includes('could not be launched') ? h : undefined;
    });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(html).toContain(asar);
    expect(html).toContain('was not launched within 2 s (no spawn, no exit)');
    // Electron gave no pid and will never report an exit; no second attempt was made.
    expect(electron.utilityProcesses.map((u) => [u.launched, u.pid])).toEqual([[false, undefined]]);
    expect(app.connection.status.state).toBe('failed');
  });

  it('the working directory the packaged app uses is a real folder: the same backend launches and the app loads', async () => {
    const { asar, userData } = packagedLayout();
    const cwd = backendWorkingDirectory(asar, userData);
    expect(cwd).toBe(userData);
    expect(fs.statSync(cwd).isDirectory()).toBe(true);
    const { app, electron } = packagedApp({ cwd, env: { VIGIL_TEST_MODES: 'healthy' } });
    await app.run();
    await waitFor('app page', () =>
      electron.windows[0]!.loaded.find((u) => u.startsWith('http://127.0.0.1')),
    );
    const out = app.connection.supervisor!.logLines().join('\n');
    expect(out).toContain(`cwd ${userData}`);
    expect(out).toContain('talking over process.parentPort');
  });

  it('quit asks the backend to stop over the message port; it stops its ffmpeg and exits before any kill', async () => {
    const { userData, asar } = packagedLayout();
    const { app, electron, children } = packagedApp({
      cwd: backendWorkingDirectory(asar, userData),
      env: { VIGIL_TEST_MODES: 'healthy', VIGIL_TEST_GRANDCHILD: 'ffmpeg' },
    });
    await app.run();
    await waitFor('app page', () => electron.windows[0]!.loaded.find((u) => u.startsWith('http://')));
    const pid = children[0]!.pid!;
    const ffmpeg = childPids(pid);
    expect(ffmpeg.length).toBe(1);
    const t0 = Date.now();
    expect(electron.quit()).toBe(false);
    expect(await electron.exited).toBe(0);
    // Well inside the 5 s deadline: nothing had to be killed.
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(isAlive(pid)).toBe(false);
    for (const p of ffmpeg) expect(isAlive(p)).toBe(false);
  });

  it('Windows: kill() is TerminateProcess and orphans ffmpeg, so a stubborn backend is ended with its whole tree', async () => {
    // What the fake encodes: on Windows a utilityProcess kill() ends the process only.
    const raw = new FakeUtilityProcess(
      FIXTURE,
      [],
      {
        env: { PATH: process.env.PATH ?? '', VIGIL_TEST_GRANDCHILD: '1' },
      },
      'win32',
    );
    const ready = new Promise((r) => raw.on('message', r));
    await ready;
    const rawPid = raw.pid!;
    const orphan = childPids(rawPid);
    expect(orphan.length).toBe(1);
    const exited = new Promise<number>((r) => raw.on('exit', r));
    raw.kill();
    expect(await exited).toBe(0);
    expect(isAlive(orphan[0]!)).toBe(true);
    process.kill(orphan[0]!, 'SIGKILL');

    // The shell never calls that kill(): it asks first, then ends the tree while the backend still lives.
    const { userData, asar } = packagedLayout();
    const { app, electron, children } = packagedApp({
      platform: 'win32',
      cwd: backendWorkingDirectory(asar, userData),
      env: { VIGIL_TEST_MODES: 'stubborn', VIGIL_TEST_GRANDCHILD: 'ffmpeg' },
      stopDeadlineMs: 1000,
    });
    await app.run();
    await waitFor('app page', () => electron.windows[0]!.loaded.find((u) => u.startsWith('http://')));
    const pid = children[0]!.pid!;
    const ffmpeg = childPids(pid);
    expect(ffmpeg.length).toBe(1);
    expect(children[0]!.kill('SIGTERM')).toBe(false);
    expect(isAlive(pid)).toBe(true);
    electron.quit();
    expect(await electron.exited).toBe(0);
    expect(app.connection.supervisor?.logLines().join('\n') ?? '').not.toContain('stopping on');
    await waitFor('backend and ffmpeg gone', () => !isAlive(pid) && ffmpeg.every((p) => !isAlive(p)), 5000);
  });

  it('a backend that dies on its own leaves no ffmpeg behind: the shell ends the processes it reported', async () => {
    const { userData, asar } = packagedLayout();
    const electron = new FakeElectron(userData);
    electron.platform = 'win32';
    const children: BackendChild[] = [];
    const supervisor = new BackendSupervisor({
      launch: (o) => {
        const c = electron.forkUtilityProcess(o);
        children.push(c);
        return c;
      },
      launchOptions: {
        modulePath: FIXTURE,
        args: [],
        cwd: backendWorkingDirectory(asar, userData),
        execArgv: [],
        env: {
          PATH: process.env.PATH ?? '',
          VIGIL_TEST_MODES: 'crashlate,healthy',
          VIGIL_TEST_GRANDCHILD: '1',
          VIGIL_TEST_REPORT_CHILDREN: '1',
          VIGIL_TEST_COUNTER: path.join(userData, 'count'),
        },
      },
      backoffBaseMs: 2000,
    });
    cleanup.push(() => supervisor.stop());
    supervisor.start();
    await supervisor.waitUntilRunning();
    const pid = children[0]!.pid!;
    const sleeper = await waitFor('grandchild', () => childPids(pid)[0]);
    await waitFor('crash', () => supervisor.state.kind === 'backoff', 5000);
    // The backend is gone; its child would live on (no process group on Windows) but was reported and ended.
    await waitFor('reported child ended', () => !isAlive(sleeper), 3000);
  });

  it("an 'error' from the utility process (a V8 FatalError) is listened to and lands in the log lines", async () => {
    const utility = new FakeUtilityProcess(FIXTURE, [], { env: { PATH: process.env.PATH ?? '' } }, 'linux');
    const child = wrapUtilityProcess(utility, { platform: 'linux' });
    const lines: string[] = [];
    child.onOutput((t) => lines.push(t));
    await new Promise((r) => child.onSpawn(() => r(undefined)));
    // Without a listener an EventEmitter throws on 'error' — in the main process.
    expect(() => utility.emit('error', 'FatalError', 'v8::internal::Heap', '{}')).not.toThrow();
    expect(lines.join('')).toContain('FatalError at v8::internal::Heap');
    const exited = new Promise((r) => child.onExit(r));
    expect(child.kill('SIGKILL')).toBe(true);
    await exited;
  });
});

describe('the real backend as a utilityProcess (fake Electron utilityProcess)', () => {
  it('prints no login link under the shell, talks over parentPort (ready, secret-store key), and stops on the stop message', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-packaged-real-'));
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    const configPath = path.join(home, 'config.yaml');
    fs.writeFileSync(configPath, YAML.stringify({ server: { port: 0 }, cameras: [] }));
    const { app, electron, children } = packagedApp({
      cwd: home,
      modulePath: path.join(ROOT, 'backend/src/roles/cli.ts'),
      // The cwd is not the project folder here, so tsx is named by its file.
      execArgv: ['--import', pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href],
      configPath,
      env: { VIGIL_HOME: home, ...(process.env.FFMPEG_PATH ? { FFMPEG_PATH: process.env.FFMPEG_PATH } : {}) },
    });
    await app.run();
    // Its ready message can only have come over process.parentPort: a utilityProcess has no process.send.
    await waitFor('app page', () => electron.windows[0]!.loaded.find((u) => u.startsWith('http://')), 40_000);
    const pid = children[0]!.pid!;
    const t0 = Date.now();
    electron.quit();
    await electron.exited;
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(isAlive(pid)).toBe(false);
    const out = app.connection.supervisor?.logLines().join('\n') ?? '';
    expect(out).toContain('stop requested by the supervisor');
    expect(out).toContain('Vigil is running.');
    expect(out).not.toMatch(/login\?code=|log in/);
    // The camera-password key also came over parentPort, from the (fake) safeStorage.
    expect(out).toContain('the secret-store key comes from the OS keychain (desktop shell)');
  }, 60_000);
});
