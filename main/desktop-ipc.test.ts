/**
 * What the renderer reaches through window.vigil beyond the basics: saving a backend file where the user chooses,
 * and setting up remote mode from the error view when the server cannot be used. Fake Electron adapter (dialogs,
 * windows), real backend process.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DesktopApp } from './app.js';
import { forkNodeBackend } from './backend-child.js';
import { IpcChannel } from './ipc-channels.js';
import { FakeElectron } from './test-fixtures/fake-electron.js';
import { cleanupAfterEach, FIXTURE, ROOT, waitFor } from './test-fixtures/shell-test.js';

const cleanup = cleanupAfterEach();

function makeApp() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-ipc-'));
  const electron = new FakeElectron(dir);
  const app = new DesktopApp({
    electron,
    preloadPath: path.join(dir, 'preload.cjs'),
    iconDir: path.join(ROOT, 'assets', 'icons'),
    launchBackend: forkNodeBackend,
    backend: { modulePath: FIXTURE, execArgv: [], cwd: dir },
    env: { PATH: process.env.PATH, VIGIL_TEST_MODES: 'healthy' },
  });
  cleanup.push(async () => {
    await app.quit();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { app, electron, dir };
}

const html = (url: string | undefined): string =>
  url?.startsWith('data:') ? Buffer.from(url.split(',')[1] ?? '', 'base64').toString() : '';

describe('desktop IPC (fake Electron adapter, real backend process)', () => {
  it('saves an export where the user chose, only from the connected backend, never clobbering a file on failure', async () => {
    const { app, electron, dir } = makeApp();
    await app.run();
    const url = await waitFor('app page', () =>
      electron.windows[0]!.loaded.find((u) => u.startsWith('http://')),
    );
    const target = path.join(dir, 'case-7.zip');
    electron.saveDialogAnswer = target;
    const request = {
      url: '/api/export/case-7/download',
      title: 'Save the export',
      defaultPath: 'case-7.zip',
    };
    await expect(electron.invoke(IpcChannel.SaveDownload, [request], { frameUrl: url })).resolves.toBe(
      target,
    );
    expect(fs.readFileSync(target, 'utf8')).toBe('PK-evidence-export-case-7');
    expect(electron.dialogs.at(-1)).toEqual({ title: 'Save the export', defaultPath: 'case-7.zip' });

    // A file the backend does not have: the one already there stays as it was, no partial file is left.
    fs.writeFileSync(target, 'earlier export');
    await expect(
      electron.invoke(IpcChannel.SaveDownload, [{ url: '/api/export/other/download' }], { frameUrl: url }),
    ).rejects.toThrow(/answered 404/);
    expect(fs.readFileSync(target, 'utf8')).toBe('earlier export');
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.part'))).toEqual([]);

    // Nowhere but the backend's API, whatever the page asks.
    await expect(
      electron.invoke(IpcChannel.SaveDownload, [{ url: 'https://evil.example/x.zip' }], { frameUrl: url }),
    ).rejects.toThrow(/Only files of the connected Vigil backend/);
    // Cancelled dialog: nothing saved.
    electron.saveDialogAnswer = undefined;
    await expect(
      electron.invoke(IpcChannel.SaveDownload, [request], { frameUrl: url }),
    ).resolves.toBeUndefined();
  });

  it('remote mode that cannot connect shows the connection form once; from there the user goes back to local mode', async () => {
    const { app, electron } = makeApp();
    await app.run();
    const main = electron.windows[0]!;
    const url = await waitFor('app page', () => main.loaded.find((u) => u.startsWith('http://')));
    // The settings view sets a server that does not answer (port 9 on this machine).
    await electron.invoke(
      IpcChannel.SetConnection,
      [{ mode: 'remote', remoteUrl: 'http://127.0.0.1:9', remoteToken: 'token-0123456789' }],
      { frameUrl: url },
    );
    const formPage = await waitFor('connection form', () => {
      const last = main.loaded.at(-1);
      return html(last).includes('id="remote"') ? last : undefined;
    });
    const page = html(formPage);
    expect(page).toContain('value="http://127.0.0.1:9"');
    expect(page).not.toContain('token-0123456789');
    // Retries go on without reloading the form under the user's fingers.
    const loads = main.loaded.length;
    await new Promise((r) => setTimeout(r, 3500));
    expect(main.loaded.length).toBe(loads);
    // The form's "Use the backend on this computer" calls setConnection from that exact page.
    await electron.invoke(IpcChannel.SetConnection, [{ mode: 'local' }], { frameUrl: formPage });
    await waitFor(
      'app again',
      () => main.loaded.at(-1)?.startsWith('http://127.0.0.1:') && main.loaded.at(-1),
    );
    expect(app.settings.value.mode).toBe('local');
  });
});
