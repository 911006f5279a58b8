import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { freeTcpPort } from '../test/fixtures/ports.js';
import { skipWithout } from '../test/fixtures/require.js';
import { RTSP_INSTALL_HINT, RtspFixture, rtspFixtureAvailable } from '../test/fixtures/rtsp.js';
import { waitFor } from '../test/helpers/video.js';
import { forkNodeBackend, type BackendLaunchOptions } from './backend-child.js';
import { sanitizeEnv } from './backend-env.js';
import { BackendSupervisor } from './backend-supervisor.js';
import { BACKEND_KEY_FILE, backendSecretKey } from './secret-store.js';
import { FakeElectron } from './test-fixtures/fake-electron.js';

// The desktop shell keeps the key of the backend's camera-password store in the OS secret store (Electron
// safeStorage, https://www.electronjs.org/docs/api/safe-storage) and hands it to the backend over the supervisor's
// message channel. Electron cannot run here: safeStorage is FakeElectron's (its comments cite the docs for each
// behaviour it stands in for); the backend is the real one (backend/src/roles/cli.ts), a forked child process.

const ROOT = path.resolve(import.meta.dirname, '..');
const PASSWORD = 'Gate-Cam-Pw:91#x';
/** Where the backend keeps its secrets, inside `<data>/secrets` (backend/src/platform/secret-store.ts). */
const SECRET_NAME = 'camera/gate/main/password';
const SECRETS_FILE = 'secrets.enc.json';
const KEY_FILE = 'secret.key';

/**
 * Opens one entry of the backend's secrets file with a key, the way the file is documented: JSON `entries`, each
 * base64(iv ‖ tag ‖ ciphertext) of AES-256-GCM with the entry's name as associated data. Undefined when the key
 * does not open it.
 */
function openSecret(file: string, key: Buffer, name = SECRET_NAME): string | undefined {
  const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { entries: Record<string, string> };
  const sealed = doc.entries[name];
  if (!sealed) return undefined;
  const buf = Buffer.from(sealed, 'base64');
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, buf.subarray(0, 12));
    decipher.setAAD(Buffer.from(name));
    decipher.setAuthTag(buf.subarray(12, 28));
    return Buffer.concat([decipher.update(buf.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
const skipRtsp = skipWithout('RTSP server', rtspFixtureAvailable(), RTSP_INSTALL_HINT);
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

/** A site: the backend's home (config, data folder) and the shell's settings folder, with the fake Electron. */
async function site(rtsp?: RtspFixture) {
  const home = tempDir('vigil-keyhook-home-');
  const shellDir = tempDir('vigil-keyhook-shell-');
  const dataDir = path.join(home, 'data');
  const cameraPort = rtsp?.port ?? (await freeTcpPort());
  const configPath = path.join(home, 'config.yaml');
  fs.writeFileSync(
    configPath,
    YAML.stringify({
      dataDir,
      server: { port: 0 },
      detect: { enabled: false },
      video: { networkSources: { loopbackPorts: [cameraPort] } },
      cameras: [],
    }),
  );
  const electron = new FakeElectron(shellDir);
  const launched: BackendLaunchOptions[] = [];
  /** Runs the backend under a supervisor, as the shell does, until `stop()`. */
  const start = async () => {
    const supervisor = new BackendSupervisor({
      launch: (o) => {
        launched.push(o);
        return forkNodeBackend(o);
      },
      launchOptions: {
        modulePath: path.join(ROOT, 'backend/src/roles/cli.ts'),
        execArgv: ['--import', 'tsx'],
        cwd: ROOT,
        args: ['local', '--config', configPath],
        env: { ...sanitizeEnv(process.env), VIGIL_HOME: home, VIGIL_DESKTOP_SHELL: '1' },
      },
      secretKey: () => backendSecretKey(shellDir, electron.safeStorage),
      readyTimeoutMs: 60_000,
    });
    cleanup.push(() => supervisor.stop());
    supervisor.start();
    const { url, token } = await supervisor.waitUntilRunning();
    const call = (method: string, p: string, body?: unknown): Promise<Response> =>
      fetch(`${url}${p}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const passwordSet = async (): Promise<boolean> => {
      const res = await call('GET', '/api/cameras/gate');
      const text = await res.text();
      expect(res.status, text).toBe(200);
      expect(text).not.toContain(PASSWORD);
      return (
        (JSON.parse(text) as { config: { main: { passwordSet?: boolean } } }).config.main.passwordSet === true
      );
    };
    const state = async (): Promise<string | undefined> =>
      ((await (await call('GET', '/api/cameras')).json()) as { id: string; state: string }[]).find(
        (c) => c.id === 'gate',
      )?.state;
    return { supervisor, call, passwordSet, state };
  };
  const addCamera = async (call: (m: string, p: string, b?: unknown) => Promise<Response>) => {
    const res = await call('POST', '/api/cameras', {
      id: 'gate',
      name: 'Gate',
      main: {
        kind: 'rtsp',
        url: rtsp?.secureUrl() ?? `rtsp://admin:${encodeURIComponent(PASSWORD)}@127.0.0.1:${cameraPort}/cam`,
      },
      analysis: { enabled: false },
    });
    const text = await res.text();
    expect(res.status, text).toBe(201);
    expect(text).not.toContain(PASSWORD);
  };
  const secretsDir = path.join(dataDir, 'secrets');
  return { home, shellDir, dataDir, secretsDir, electron, launched, start, addCamera };
}

describe('camera-password key from the OS secret store (fake Electron safeStorage, real backend child)', () => {
  it('stores a camera password that only the shell key opens, reads it back after a restart, and never passes the key on argv or in the environment', async () => {
    const s = await site();
    const first = await s.start();
    await s.addCamera(first.call);
    expect(await first.passwordSet()).toBe(true);
    await first.supervisor.stop();

    // The data folder has the encrypted secrets but no key to open them.
    expect(fs.readdirSync(s.secretsDir).sort()).toEqual([SECRETS_FILE]);
    for (const f of [...filesUnder(s.home), ...filesUnder(s.shellDir)])
      expect(fs.readFileSync(f).includes(Buffer.from(PASSWORD)), f).toBe(false);
    const file = path.join(s.secretsDir, SECRETS_FILE);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).entries).toHaveProperty([SECRET_NAME]);
    expect(openSecret(file, crypto.randomBytes(32))).toBeUndefined();
    // The shell's key (from the OS secret store) opens it.
    const shellKey = backendSecretKey(s.shellDir, s.electron.safeStorage).key!;
    expect(openSecret(file, shellKey)).toBe(PASSWORD);
    // The shell's settings folder holds that key only as safeStorage ciphertext: on another machine (another OS
    // secret store) it cannot be decrypted.
    const sealed = fs.readFileSync(path.join(s.shellDir, BACKEND_KEY_FILE), 'utf8');
    expect(sealed).not.toContain(shellKey.toString('base64'));
    const elsewhere = new FakeElectron(s.shellDir);
    elsewhere.keychain = crypto.randomBytes(32);
    expect(backendSecretKey(s.shellDir, elsewhere.safeStorage)).toMatchObject({ key: undefined });

    // The key travels over the message channel only.
    const b64 = shellKey.toString('base64');
    for (const o of s.launched) {
      expect(JSON.stringify([o.args, o.execArgv, o.env])).not.toContain(b64);
      expect(JSON.stringify([o.args, o.execArgv, o.env])).not.toContain(shellKey.toString('hex'));
    }
    expect(first.supervisor.logLines().join('\n')).not.toContain(b64);
    expect(first.supervisor.logLines().join('\n')).toContain('OS keychain (desktop shell)');

    // A restart with the same shell key reads the password back.
    const second = await s.start();
    expect(await second.passwordSet()).toBe(true);
    await second.supervisor.stop();
    expect(fs.existsSync(path.join(s.secretsDir, KEY_FILE))).toBe(false);
  }, 120_000);

  it('without a keychain the backend uses its key file and says so; once the keychain is there the store moves to its key and the key file goes', async () => {
    const s = await site();
    // Linux without a keyring: safeStorage is not available (or only 'basic_text').
    s.electron.encryptionAvailable = false;
    const first = await s.start();
    await s.addCamera(first.call);
    expect(await first.passwordSet()).toBe(true);
    await first.supervisor.stop();
    const out = first.supervisor.logLines().join('\n');
    expect(out).toContain('the OS keychain was not available');
    expect(fs.readdirSync(s.secretsDir).sort()).toEqual([KEY_FILE, SECRETS_FILE]);
    expect(fs.existsSync(path.join(s.shellDir, BACKEND_KEY_FILE))).toBe(false);

    // The keyring is back: the next start re-encrypts the store with the shell's key and removes the key file.
    s.electron.encryptionAvailable = true;
    const second = await s.start();
    expect(await second.passwordSet()).toBe(true);
    await second.supervisor.stop();
    expect(fs.readdirSync(s.secretsDir).sort()).toEqual([SECRETS_FILE]);
    const shellKey = backendSecretKey(s.shellDir, s.electron.safeStorage).key!;
    const file = path.join(s.secretsDir, SECRETS_FILE);
    expect(openSecret(file, shellKey)).toBe(PASSWORD);

    // And a third start (no key file any more) still reads it.
    const third = await s.start();
    expect(await third.passwordSet()).toBe(true);
  }, 180_000);

  it("treats Linux's basic_text backend (a hard-coded password) as no keychain", () => {
    const dir = tempDir('vigil-keyhook-basic-');
    const electron = new FakeElectron(dir);
    electron.backend = 'basic_text';
    expect(backendSecretKey(dir, electron.safeStorage)).toMatchObject({
      key: undefined,
      reason: /basic_text/,
    });
    expect(fs.readdirSync(dir)).toEqual([]);
    electron.backend = 'gnome_libsecret';
    const created = backendSecretKey(dir, electron.safeStorage).key!;
    expect(created).toHaveLength(32);
    // Created once: the same key on every later start.
    expect(backendSecretKey(dir, new FakeElectron(dir).safeStorage).key!.equals(created)).toBe(true);
  });

  it.skipIf(skipRtsp)(
    'the camera streams with its password after a restart (real RTSP server with authentication)',
    async () => {
      const rtsp = await RtspFixture.start({ user: 'admin', password: PASSWORD });
      cleanup.push(() => rtsp.dispose());
      const s = await site(rtsp);
      const first = await s.start();
      await s.addCamera(first.call);
      await waitFor('streaming with the password', async () => (await first.state()) === 'streaming', 30_000);
      await first.supervisor.stop();
      expect(fs.readdirSync(s.secretsDir).sort()).toEqual([SECRETS_FILE]);
      // The restarted backend can only log in to the camera if it opened the store with the shell's key.
      const second = await s.start();
      await waitFor(
        'streaming after the restart',
        async () => (await second.state()) === 'streaming',
        30_000,
      );
    },
    120_000,
  );
});
