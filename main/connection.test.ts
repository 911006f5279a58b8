import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DesktopConnectionStatus } from '../backend/src/contract/desktop.js';
import { forkNodeBackend } from './backend-child.js';
import { BackendSupervisor } from './backend-supervisor.js';
import { ConnectionManager, validateOrigin } from './connection.js';
import { SecretStore } from './secret-store.js';
import { SettingsStore } from './settings.js';
import { FakeElectron } from './test-fixtures/fake-electron.js';

const FIXTURE = path.join(import.meta.dirname, 'test-fixtures', 'fake-backend.mjs');
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A real HTTP server standing in for a remote Vigil API: /healthz, and /api/session checking the Bearer token. */
async function remoteApi(token: string, port = 0) {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    if (req.url === '/healthz') return res.end('{"status":"ok"}');
    if (req.url === '/api/session') {
      res.statusCode = req.headers.authorization === `Bearer ${token}` ? 200 : 401;
      return res.end('{}');
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  cleanup.push(close);
  return { url, close, port: (server.address() as AddressInfo).port, requests: () => requests };
}

function manager() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-conn-'));
  const electron = new FakeElectron(dir);
  const settings = new SettingsStore(dir);
  const secrets = new SecretStore(dir, electron.safeStorage);
  const statuses: DesktopConnectionStatus[] = [];
  const connection = new ConnectionManager({
    settings,
    secrets,
    createSupervisor: () =>
      new BackendSupervisor({
        launch: forkNodeBackend,
        launchOptions: {
          modulePath: FIXTURE,
          args: [],
          cwd: dir,
          execArgv: [],
          env: { PATH: process.env.PATH ?? '' },
        },
      }),
    healthIntervalMs: 200,
    requestTimeoutMs: 500,
    backoffBaseMs: 100,
    backoffMaxMs: 400,
  });
  connection.onChange((s) => statuses.push(s));
  cleanup.push(async () => {
    await connection.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { dir, electron, settings, secrets, connection, statuses };
}

function until(
  c: ConnectionManager,
  state: DesktopConnectionStatus['state'],
  ms = 10_000,
): Promise<DesktopConnectionStatus> {
  return new Promise((resolve, reject) => {
    if (c.status.state === state) return resolve(c.status);
    const timer = setTimeout(
      () => reject(new Error(`no "${state}" within ${ms} ms (now ${JSON.stringify(c.status)})`)),
      ms,
    );
    const off = c.onChange((s) => {
      if (s.state === state) {
        clearTimeout(timer);
        off();
        resolve(s);
      }
    });
  });
}

describe('connection modes', () => {
  it('local mode runs the bundled backend (a real child) and reports it connected', async () => {
    const { connection } = manager();
    connection.start();
    await until(connection, 'connected');
    expect(connection.backend?.mode).toBe('local');
    expect((await fetch(`${connection.backend!.url}/healthz`)).status).toBe(200);
  });

  it('switches to remote: the token goes to the OS secret store (fake safeStorage), never into a plain file', async () => {
    const { connection, dir, settings } = manager();
    const token = 'remote-api-token-0123456789abcdef';
    const remote = await remoteApi(token);
    connection.start();
    await until(connection, 'connected');
    const localUrl = connection.backend!.url;
    const view = await connection.apply({
      mode: 'remote',
      remoteUrl: `${remote.url}/some/path`,
      remoteToken: token,
    });
    expect(view).toMatchObject({
      mode: 'remote',
      remoteUrl: remote.url,
      hasRemoteToken: true,
      canStoreSecrets: true,
    });
    expect(view).not.toHaveProperty('remoteToken');
    await until(connection, 'connected');
    expect(connection.backend).toMatchObject({ mode: 'remote', url: remote.url, token });
    // The local backend was stopped.
    await expect(fetch(`${localUrl}/healthz`)).rejects.toThrow();
    for (const file of fs.readdirSync(dir)) {
      expect(fs.readFileSync(path.join(dir, file), 'utf8')).not.toContain(token);
    }
    expect(JSON.parse(fs.readFileSync(settings.file, 'utf8'))).toMatchObject({
      mode: 'remote',
      remoteUrl: remote.url,
    });
    // A new run (new stores over the same folder) finds the token again.
    const again = new SecretStore(dir, new FakeElectron(dir).safeStorage);
    expect(again.get('remoteToken')).toBe(token);
  });

  it('reconnects by itself when the remote API goes away and comes back', async () => {
    const { connection } = manager();
    const token = 'remote-api-token-0123456789abcdef';
    const remote = await remoteApi(token);
    await connection.apply({ mode: 'remote', remoteUrl: remote.url, remoteToken: token });
    await until(connection, 'connected');
    await remote.close();
    const lost = await until(connection, 'reconnecting');
    expect(lost.detail).toContain('not reachable');
    // The windows keep their page while reconnecting.
    expect(connection.backend?.url).toBe(remote.url);
    const again = await remoteApi(token, remote.port);
    await until(connection, 'connected');
    // Stopping ends the health checks: the server hears nothing more.
    await connection.stop();
    const heard = again.requests();
    await new Promise((r) => setTimeout(r, 700));
    expect(again.requests()).toBe(heard);
  });

  it('says so when the remote rejects the token, and rejects insecure or malformed addresses', async () => {
    const { connection, settings } = manager();
    const remote = await remoteApi('the-right-token-0123456789');
    await connection.apply({
      mode: 'remote',
      remoteUrl: remote.url,
      remoteToken: 'a-wrong-token-0123456789',
    });
    const failed = await until(connection, 'failed');
    expect(failed.detail).toContain('rejected the API token');
    await expect(connection.apply({ mode: 'remote', remoteUrl: 'http://vigil.example.org' })).rejects.toThrow(
      /use https/,
    );
    await expect(connection.apply({ mode: 'remote', remoteUrl: 'not a url' })).rejects.toThrow(/not a URL/);
    await expect(
      connection.apply({ mode: 'remote', remoteUrl: 'https://user:pw@vigil.example.org' }),
    ).rejects.toThrow(/no credentials/);
    expect(settings.value.remoteUrl).toBe(remote.url);
    expect(validateOrigin('https://vigil.example.org:8443/x?y', 'remoteUrl')).toBe(
      'https://vigil.example.org:8443',
    );
  });

  it('without an OS secret store the token is kept in memory only and the settings say so', async () => {
    const { connection, electron, dir } = manager();
    electron.backend = 'basic_text';
    const token = 'remote-api-token-0123456789abcdef';
    const view = await connection.apply({
      mode: 'remote',
      remoteUrl: 'https://vigil.example.org',
      remoteToken: token,
    });
    expect(view).toMatchObject({ canStoreSecrets: false, hasRemoteToken: true });
    for (const file of fs.readdirSync(dir))
      expect(fs.readFileSync(path.join(dir, file), 'utf8')).not.toContain(token);
    expect(new SecretStore(dir, electron.safeStorage).get('remoteToken')).toBeUndefined();
  });
});

describe('settings file', () => {
  it('rejects unknown keys (a token cannot be put there) and sets a damaged file aside', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-settings-'));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ mode: 'remote', remoteToken: 'x' }));
    const store = new SettingsStore(dir);
    expect(store.value.mode).toBe('local');
    expect(fs.existsSync(path.join(dir, 'settings.json.bad'))).toBe(true);
    expect(() => store.update((s) => Object.assign(s, { token: 'x' }))).toThrow();
  });
});
