import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../backend/src/contract/api.js';
import { childPids } from '../test/helpers/leaks.js';
import { DesktopApp, type DesktopAppOptions } from './app.js';
import { forkNodeBackend, type BackendChild } from './backend-child.js';
import { IpcChannel, IpcEvent } from './ipc-channels.js';
import { display, FakeElectron } from './test-fixtures/fake-electron.js';
import { cleanupAfterEach, FIXTURE, ROOT, waitFor } from './test-fixtures/shell-test.js';

const cleanup = cleanupAfterEach();

function makeApp(overrides: Partial<DesktopAppOptions> = {}, fixtureEnv: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-app-'));
  const electron = new FakeElectron(dir);
  const children: BackendChild[] = [];
  const app = new DesktopApp({
    electron,
    preloadPath: path.join(dir, 'preload.cjs'),
    iconDir: path.join(ROOT, 'assets', 'icons'),
    launchBackend: (o) => {
      const child = forkNodeBackend(o);
      children.push(child);
      return child;
    },
    backend: { modulePath: FIXTURE, execArgv: [], cwd: dir },
    env: { PATH: process.env.PATH, VIGIL_TEST_COUNTER: path.join(dir, 'count'), ...fixtureEnv },
    supervisor: { backoffBaseMs: 50, backoffMaxMs: 200 },
    ...overrides,
  });
  cleanup.push(async () => {
    await app.quit();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { app, electron, dir, children };
}

describe('desktop app (fake Electron adapter, real backend processes)', () => {
  it('loads the app from the supervised backend with the session cookie set for its origin', async () => {
    const { app, electron } = makeApp({}, { VIGIL_TEST_MODES: 'healthy' });
    expect(await app.run()).toBe(true);
    const main = electron.windows[0]!;
    expect(main.loaded[0]).toMatch(/^data:text\/html/);
    const url = await waitFor('app page', () => main.loaded.find((u) => u.startsWith('http://127.0.0.1')));
    const origin = new URL(url).origin;
    expect(url).toBe(`${origin}/`);
    // The cookie holds a session the backend opened for the shell's token, never the token itself.
    expect(electron.cookies[0]?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(electron.cookies[0]?.value).not.toBe(app.connection.backend!.token);
    expect(electron.cookies).toEqual([
      {
        url: origin,
        name: SESSION_COOKIE,
        value: electron.cookies[0]?.value,
        httpOnly: true,
        secure: false,
        sameSite: 'strict',
        path: '/',
      },
    ]);
    // The renderer asks for the backend through the bridge, from the app's origin.
    await expect(electron.invoke(IpcChannel.GetBackend, [], { frameUrl: url })).resolves.toMatchObject({
      url: origin,
      mode: 'local',
    });
    expect(electron.trays[0]!.tooltip).toBe('Vigil — connected to the local backend');
    expect(electron.trays[0]!.icon).toMatch(/tray-ok\.png$/);
    const statuses = main.sent
      .filter((m) => m.channel === IpcEvent.ConnectionStatus)
      .map((m) => (m.payload as { state: string }).state);
    expect(statuses.at(-1)).toBe('connected');
  });

  it('a crash loop shows the error view with the last log lines; its restart button brings the app back', async () => {
    const { app, electron, children } = makeApp(
      {},
      { VIGIL_TEST_MODES: 'crash,crash,crash,crash,crash,healthy' },
    );
    await app.run();
    const main = electron.windows[0]!;
    const errorUrl = await waitFor('error view', () => {
      const last = main.loaded.at(-1);
      return last &&
        Buffer.from(last.split(',')[1] ?? '', 'base64')
          .toString()
          .includes('backend stopped')
        ? last
        : undefined;
    });
    const html = Buffer.from(errorUrl.split(',')[1]!, 'base64').toString();
    expect(html).toContain('5 times within 60 s');
    expect(html).toContain('fatal: the event database is corrupt');
    expect(html).toContain('id="restart"');
    expect(electron.trays[0]!.icon).toMatch(/tray-error\.png$/);
    expect(children.length).toBe(5);
    // The button calls window.vigil.restartBackend() from the error page: trusted because it is that exact page.
    await electron.invoke(IpcChannel.RestartBackend, [], { frameUrl: errorUrl });
    await waitFor('app page', () => main.loaded.at(-1)?.startsWith('http://127.0.0.1'));
    expect(children.length).toBe(6);
    // Another data: page is not trusted.
    await expect(
      electron.invoke(IpcChannel.RestartBackend, [], { frameUrl: 'data:text/html,<h1>x</h1>' }),
    ).rejects.toThrow(/refused/);
  });

  it('a notification click focuses the main window and tells it which camera to show', async () => {
    const { app, electron } = makeApp({}, { VIGIL_TEST_MODES: 'healthy' });
    await app.run();
    const main = electron.windows[0]!;
    const url = await waitFor('app page', () => main.loaded.find((u) => u.startsWith('http://')));
    await electron.invoke(
      IpcChannel.Notify,
      [{ title: 'Person at the gate', body: '22:14, zone A', cameraId: 'gate' }],
      { frameUrl: url },
    );
    expect(electron.notifications.map((n) => n.title)).toEqual(['Person at the gate']);
    const focusedBefore = main.focused;
    electron.notifications[0]!.onClick();
    expect(main.focused).toBe(focusedBefore + 1);
    expect(main.sent.filter((m) => m.channel === IpcEvent.FocusCamera)).toEqual([
      { channel: IpcEvent.FocusCamera, payload: 'gate' },
    ]);
    await expect(
      electron.invoke(
        IpcChannel.Notify,
        [{ title: 'x', body: 'y', cameraId: 'gate', html: '<img onerror=x>' }],
        { frameUrl: url },
      ),
    ).rejects.toThrow(/notification/);
  });

  it("a site camera's live stream: the port goes to the calling window with its nonce, the token never does", async () => {
    const { app, electron } = makeApp({}, { VIGIL_TEST_MODES: 'healthy' });
    await app.run();
    const main = electron.windows[0]!;
    const url = await waitFor('app page', () => main.loaded.find((u) => u.startsWith('http://')));
    // A site on a port where nothing listens: the stream opens and then says the site did not answer.
    const token = 'east-site-token-4c2d';
    await electron.invoke(
      IpcChannel.SitesAdd,
      [{ id: 'east', name: 'East', url: 'http://127.0.0.1:9', token }],
      { frameUrl: url },
    );
    const request = { site: 'east', camera: 'gate', nonce: 'tile-east-gate-1' };
    await electron.invoke(IpcChannel.SitesLive, [request], { frameUrl: url, webContentsId: 7 });
    expect(
      electron.windowPorts.map(({ webContentsId, channel, message }) => ({
        webContentsId,
        channel,
        message,
      })),
    ).toEqual([{ webContentsId: 7, channel: IpcEvent.SiteLivePort, message: { nonce: 'tile-east-gate-1' } }]);
    const got = await new Promise<unknown>((resolve) =>
      electron.windowPorts[0]!.port.once('message', resolve),
    );
    expect(got).toEqual({
      type: 'closed',
      reason: expect.stringMatching(/^East did not answer \(/) as unknown,
    });
    expect(JSON.stringify(got)).not.toContain(token);
    // Refused: another frame (Kibana), an unknown site, a camera id that is a path; no port is made for them.
    await expect(
      electron.invoke(IpcChannel.SitesLive, [request], {
        frameUrl: 'http://kibana.example:5601/app',
        isMainFrame: false,
      }),
    ).rejects.toThrow(/refused/);
    await expect(
      electron.invoke(IpcChannel.SitesLive, [{ ...request, site: 'west' }], { frameUrl: url }),
    ).rejects.toThrow('no site "west"');
    await expect(
      electron.invoke(IpcChannel.SitesLive, [{ ...request, camera: '../api/backup' }], { frameUrl: url }),
    ).rejects.toThrow(/^camera:/);
    expect(electron.windowPorts).toHaveLength(1);
  });

  it('wall windows: opened per display, remembered per display arrangement, restored on the next start', async () => {
    const first = makeApp({}, { VIGIL_TEST_MODES: 'healthy' });
    first.electron.screens = [display(1, 0, 1920, 1080, true), display(2, 1920), display(3, 3840)];
    await first.app.run();
    const url = await waitFor('app page', () =>
      first.electron.windows[0]!.loaded.find((u) => u.startsWith('http://')),
    );
    const origin = new URL(url).origin;
    await first.electron.invoke(IpcChannel.OpenWallWindow, [2], { frameUrl: url });
    await first.electron.invoke(IpcChannel.OpenWallWindow, [3], { frameUrl: url });
    await expect(first.electron.invoke(IpcChannel.OpenWallWindow, [9], { frameUrl: url })).rejects.toThrow(
      /no display 9/,
    );
    const walls = first.electron.windows.slice(1);
    expect(walls.map((w) => [w.options.x, w.options.fullscreen, w.options.kiosk, w.loaded.at(-1)])).toEqual([
      [1920, true, true, `${origin}/#/wall?display=2&name=display-2`],
      [3840, true, true, `${origin}/#/wall?display=3&name=display-3`],
    ]);
    const displays = (await first.electron.invoke(IpcChannel.GetDisplays, [], { frameUrl: url })) as {
      id: number;
      hasWall: boolean;
    }[];
    expect(displays.map((d) => [d.id, d.hasWall])).toEqual([
      [1, false],
      [2, true],
      [3, true],
    ]);
    await first.app.quit();

    // Same monitors → the walls come back. The settings folder is shared by a second run.
    const second = makeApp({}, { VIGIL_TEST_MODES: 'healthy' });
    fs.copyFileSync(path.join(first.dir, 'settings.json'), path.join(second.dir, 'settings.json'));
    second.electron.screens = first.electron.screens;
    await second.app.run();
    await waitFor('walls restored', () => second.electron.openWindows.length === 3);
    expect(second.electron.openWindows.slice(1).map((w) => w.options.x)).toEqual([1920, 3840]);

    // Monitor 3 unplugged: a different arrangement, nothing remembered for it → its walls close.
    second.electron.screens = [display(1, 0, 1920, 1080, true), display(2, 1920)];
    second.electron.emit('displays-changed');
    await waitFor('walls closed', () => second.electron.openWindows.length === 1);
    // Plugged back in: the remembered walls return.
    second.electron.screens = first.electron.screens;
    second.electron.emit('displays-changed');
    await waitFor('walls back', () => second.electron.openWindows.length === 3);
  });

  it('a second launch brings the main window forward; kiosk can be switched per window', async () => {
    const { app, electron } = makeApp({}, { VIGIL_TEST_MODES: 'healthy' });
    electron.screens = [display(1, 0, 1920, 1080, true), display(2, 1920)];
    await app.run();
    const main = electron.windows[0]!;
    const url = await waitFor('app page', () => main.loaded.find((u) => u.startsWith('http://')));
    const before = main.focused;
    electron.emit('second-instance');
    expect(main.focused).toBe(before + 1);
    await electron.invoke(IpcChannel.OpenWallWindow, [2], { frameUrl: url });
    const wall = electron.windows[1]!;
    expect(wall.kiosk).toBe(true);
    await electron.invoke(IpcChannel.SetKiosk, [false], {
      frameUrl: `${url}wall?display=2`,
      webContentsId: wall.webContents.id,
    });
    expect(wall.kiosk).toBe(false);
    expect(main.kiosk).toBe(false);
    await expect(
      electron.invoke(IpcChannel.SetKiosk, ['yes'], { frameUrl: url, webContentsId: wall.webContents.id }),
    ).rejects.toThrow(/kiosk/);
  });

  it('a second instance quits at once and the first one comes to the front', async () => {
    const { app, electron } = makeApp();
    electron.lockAvailable = false;
    expect(await app.run()).toBe(false);
    expect(electron.quitCalls).toBe(1);
    expect(electron.windows).toEqual([]);
  });

  it('quit stops the backend (stop message) before exiting, leaving no process (no ffmpeg) behind', async () => {
    const { app, electron, children } = makeApp(
      {},
      { VIGIL_TEST_MODES: 'healthy', VIGIL_TEST_GRANDCHILD: 'ffmpeg' },
    );
    await app.run();
    await waitFor('app page', () => electron.windows[0]!.loaded.find((u) => u.startsWith('http://')));
    const pid = children[0]!.pid!;
    const descendants = childPids(pid);
    expect(descendants.length).toBe(1);
    // app.quit() from the tray or the menu: before-quit is held until the backend stopped.
    expect(electron.quit()).toBe(false);
    expect(await electron.exited).toBe(0);
    expect(childPids(process.pid)).not.toContain(pid);
    for (const d of descendants)
      expect(fs.existsSync(`/proc/${d}`) && !fs.readFileSync(`/proc/${d}/stat`, 'utf8').includes(') Z')).toBe(
        false,
      );
    expect(electron.cookies).toEqual([]);
    expect(electron.openWindows).toEqual([]);
    expect(electron.trays[0]!.destroyed).toBe(true);
  });
});

describe('desktop app with the real Vigil backend (fake Electron adapter)', () => {
  it('starts backend/src/roles/cli.ts, whose API accepts the cookie the shell set, and quits cleanly', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-app-home-'));
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    const configPath = path.join(home, 'config.yaml');
    fs.writeFileSync(configPath, YAML.stringify({ server: { port: 0 }, cameras: [] }));
    const { app, electron, children } = makeApp({
      backend: {
        modulePath: path.join(ROOT, 'backend/src/roles/cli.ts'),
        execArgv: ['--import', 'tsx'],
        cwd: ROOT,
      },
      configPath,
      env: { ...process.env, VIGIL_HOME: home, VIGIL_API_TOKEN: 'must-not-be-inherited-0123456789' },
    });
    await app.run();
    const url = await waitFor(
      'app page',
      () => electron.windows[0]!.loaded.find((u) => u.startsWith('http://')),
      40_000,
    );
    const cookie = electron.cookies[0]!;
    expect(cookie.value).not.toBe('must-not-be-inherited-0123456789');
    expect(cookie.value).not.toBe(app.connection.backend!.token);
    const ok = await fetch(new URL('/api/session', url), {
      headers: { cookie: `${cookie.name}=${cookie.value}` },
    });
    expect(ok.status).toBe(200);
    expect((await fetch(new URL('/api/session', url))).status).toBe(401);
    const pid = children[0]!.pid!;
    const t0 = Date.now();
    electron.quit();
    await electron.exited;
    expect(Date.now() - t0).toBeLessThan(5500);
    expect(childPids(process.pid)).not.toContain(pid);
    await expect(fetch(new URL('/healthz', url))).rejects.toThrow();
  });
});
