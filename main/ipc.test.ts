import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { IpcRouter } from './ipc.js';
import { DESKTOP_SITE_LIVE_MESSAGE } from '../backend/src/contract/desktop.js';
import { IPC_CHANNELS, IPC_EVENTS, IpcChannel, IpcEvent, isIpcChannel } from './ipc-channels.js';
import { FakeElectron } from './test-fixtures/fake-electron.js';
import type { SecurityPolicy } from './window-security.js';

const APP = 'http://127.0.0.1:8470';
const SHELL_PAGE = 'data:text/html;charset=utf-8;base64,PGgxPkVycm9yPC9oMT4=';

function router() {
  const electron = new FakeElectron('/tmp');
  const policy: SecurityPolicy = {
    appOrigin: () => APP,
    kibanaOrigin: () => 'https://kibana.example.org',
    externalOrigins: () => [],
    isShellPage: (url) => url === SHELL_PAGE,
  };
  const ipc = new IpcRouter(electron, policy);
  let calls = 0;
  ipc.handle(IpcChannel.GetBackend, () => {
    calls++;
    return { url: APP };
  });
  return { electron, ipc, calls: () => calls };
}

describe('IPC router (fake Electron adapter plays the renderer)', () => {
  it("answers the app's own top frame and a shell page", async () => {
    const { electron, calls } = router();
    await expect(electron.invoke(IpcChannel.GetBackend, [], { frameUrl: `${APP}/live` })).resolves.toEqual({
      url: APP,
    });
    await expect(electron.invoke(IpcChannel.GetBackend, [], { frameUrl: SHELL_PAGE })).resolves.toEqual({
      url: APP,
    });
    expect(calls()).toBe(2);
  });

  it('refuses other origins, subframes (Kibana), lookalike hosts and unknown pages without running the handler', async () => {
    const { electron, calls } = router();
    const refused = [
      { frameUrl: 'https://kibana.example.org/app/dashboards', isMainFrame: false },
      { frameUrl: `${APP}/embedded`, isMainFrame: false },
      { frameUrl: 'http://127.0.0.1:8471/' },
      { frameUrl: 'http://127.0.0.1.evil.com:8470/' },
      { frameUrl: 'https://evil.example.com/' },
      { frameUrl: 'file:///tmp/x.html' },
      { frameUrl: 'data:text/html,<script>1</script>' },
      { frameUrl: '' },
    ];
    for (const from of refused) {
      await expect(electron.invoke(IpcChannel.GetBackend, [], from)).rejects.toThrow(
        /refused .* not the Vigil app/,
      );
    }
    expect(calls()).toBe(0);
  });

  it('registers only allowlisted channels, once, and removes them on dispose', () => {
    const { electron, ipc } = router();
    expect(() => ipc.handle('vigil:run-shell' as IpcChannel, () => 0)).toThrow(
      /not on the IPC channel allowlist/,
    );
    expect(() => ipc.handle(IpcChannel.GetBackend, () => 0)).toThrow(/already has a handler/);
    expect(isIpcChannel('vigil:get-backend')).toBe(true);
    expect(isIpcChannel('vigil:eval')).toBe(false);
    ipc.dispose();
    expect(electron.ipcHandlers.size).toBe(0);
  });
});

/** Runs the preload the way Electron's sandbox does: CommonJS with a `require` that only knows 'electron'. */
function runPreload() {
  const source = fs.readFileSync(path.join(import.meta.dirname, 'preload', 'index.cts'), 'utf8');
  const js = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const exposed: Record<string, unknown> = {};
  const invoked: { channel: string; args: unknown[] }[] = [];
  const listeners = new Map<string, ((event: unknown, payload: unknown) => void)[]>();
  const fakeElectron = {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
    ipcRenderer: {
      invoke: async (channel: string, ...args: unknown[]) => {
        invoked.push({ channel, args });
        return null;
      },
      on: (channel: string, l: (event: unknown, payload: unknown) => void) =>
        listeners.set(channel, [...(listeners.get(channel) ?? []), l]),
      removeListener: (channel: string, l: (event: unknown, payload: unknown) => void) =>
        listeners.set(
          channel,
          (listeners.get(channel) ?? []).filter((x) => x !== l),
        ),
    },
  };
  const required: string[] = [];
  const sandboxRequire = (name: string) => {
    required.push(name);
    if (name !== 'electron') throw new Error(`a sandboxed preload cannot require '${name}'`);
    return fakeElectron;
  };
  // The page's window, as far as the preload uses it (handing a site's live port to the page).
  const posted: { message: unknown; targetOrigin: string; transfer: unknown[] }[] = [];
  const window = {
    location: { origin: 'http://127.0.0.1:8080' },
    postMessage: (message: unknown, targetOrigin: string, transfer: unknown[]) =>
      posted.push({ message, targetOrigin, transfer }),
  };
  vm.runInNewContext(js, { require: sandboxRequire, exports: {}, module: { exports: {} }, window });
  return { exposed, invoked, listeners, required, posted };
}

describe('preload (run with a fake contextBridge and ipcRenderer, as in the sandbox)', () => {
  it('exposes exactly one frozen object, window.vigil, without ipcRenderer', () => {
    const { exposed, required } = runPreload();
    expect(Object.keys(exposed)).toEqual(['vigil']);
    const api = exposed.vigil as Record<string, unknown>;
    expect(Object.isFrozen(api)).toBe(true);
    expect(required).toEqual(['electron']);
    const sites = api.sites as Record<string, unknown>;
    expect(Object.isFrozen(sites)).toBe(true);
    expect(Object.keys(sites).sort()).toEqual(['add', 'list', 'openLive', 'remove', 'request']);
    for (const value of [...Object.values(api), ...Object.values(sites)]) {
      if (value === sites) continue;
      expect(value === true || typeof value === 'function').toBe(true);
      expect(value).not.toHaveProperty('invoke');
      expect(value).not.toHaveProperty('send');
    }
    expect(Object.keys(api).sort()).toEqual(
      [
        'isDesktop',
        'backend',
        'showOpenDialog',
        'showSaveDialog',
        'saveDownload',
        'displays',
        'openWallWindow',
        'closeWallWindow',
        'setKiosk',
        'notify',
        'connection',
        'setConnection',
        'restartBackend',
        'onFocusCamera',
        'onConnectionStatus',
        'sites',
      ].sort(),
    );
  });

  it('every method calls one allowlisted channel, and every channel has a method', async () => {
    const { exposed, invoked } = runPreload();
    const api = exposed.vigil as Record<string, (...a: unknown[]) => unknown>;
    const sites = api.sites as unknown as Record<string, (...a: unknown[]) => unknown>;
    for (const [name, fn] of [...Object.entries(api), ...Object.entries(sites)]) {
      if (typeof fn !== 'function' || name.startsWith('on')) continue;
      await fn({ title: 't' });
    }
    const used = invoked.map((i) => i.channel);
    for (const ch of used) expect(IPC_CHANNELS).toContain(ch);
    expect(new Set(used)).toEqual(new Set(IPC_CHANNELS));
  });

  it('subscriptions use allowlisted events, pass only the payload, and unsubscribe', () => {
    const { exposed, listeners } = runPreload();
    const api = exposed.vigil as {
      onFocusCamera(l: (id: string) => void): () => void;
      onConnectionStatus(l: (s: unknown) => void): () => void;
    };
    const seen: unknown[] = [];
    const off = api.onFocusCamera((...args: unknown[]) => seen.push(args));
    api.onConnectionStatus(() => {});
    expect([...listeners.keys()].sort()).toEqual([...IPC_EVENTS].sort());
    const fire = listeners.get(IpcEvent.FocusCamera)![0]!;
    fire({ sender: 'the IPC event must not leak' }, 'gate');
    fire({}, { not: 'a camera id' });
    expect(seen).toEqual([['gate']]);
    off();
    expect(listeners.get(IpcEvent.FocusCamera)).toEqual([]);
  });

  it("hands a site's live port to the page's own origin with its nonce, and nothing else", () => {
    const { listeners, posted } = runPreload();
    const deliver = listeners.get(IpcEvent.SiteLivePort)![0]!;
    const port = { a: 'MessagePort' };
    deliver({ ports: [port], sender: 'the IPC event must not leak' } as never, { nonce: 'tile-1234' });
    deliver({ ports: [] } as never, { nonce: 'tile-5678' });
    deliver({ ports: [port] } as never, { nonce: 42 });
    expect(posted).toEqual([
      {
        message: { type: DESKTOP_SITE_LIVE_MESSAGE, nonce: 'tile-1234' },
        targetOrigin: 'http://127.0.0.1:8080',
        transfer: [port],
      },
    ]);
    expect(IpcEvent.SiteLivePort).toBe(DESKTOP_SITE_LIVE_MESSAGE);
  });
});
