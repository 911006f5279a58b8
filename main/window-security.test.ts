import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { display, FakeElectron } from './test-fixtures/fake-electron.js';
import { SettingsStore } from './settings.js';
import { WindowManager, mainWindowOptions, wallWindowOptions } from './windows.js';
import { buildCsp, installSessionSecurity, type SecurityPolicy } from './window-security.js';

const APP = 'http://127.0.0.1:8470';
const KIBANA = 'https://kibana.example.org';
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function setup(shellPage?: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-sec-'));
  dirs.push(dir);
  const electron = new FakeElectron(dir);
  electron.screens = [display(1, 0, 1920, 1080, true), display(2, 1920)];
  const policy: SecurityPolicy = {
    appOrigin: () => APP,
    kibanaOrigin: () => KIBANA,
    externalOrigins: () => ['https://docs.example.org'],
    isShellPage: (url) => url === shellPage,
  };
  installSessionSecurity(electron.session, policy);
  const windows = new WindowManager(electron, policy, new SettingsStore(dir), '/app/preload.cjs');
  return { electron, windows, policy };
}

const CHECKLIST = {
  sandbox: true,
  contextIsolation: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
};

describe('window security (fake Electron adapter records the real options)', () => {
  it('main and wall windows are sandboxed, isolated, without Node, with web security', async () => {
    const { electron, windows } = setup();
    windows.createMainWindow();
    await windows.openWall(2);
    expect(electron.windows.length).toBe(2);
    for (const w of electron.windows) {
      expect(w.options.webPreferences).toMatchObject(CHECKLIST);
      expect(w.options.webPreferences.preload).toBe('/app/preload.cjs');
    }
    // The pure builders say the same.
    expect(mainWindowOptions('/p', { x: 0, y: 0, width: 10, height: 10 }).webPreferences).toMatchObject(
      CHECKLIST,
    );
    expect(wallWindowOptions('/p', display(2, 1920), true).webPreferences).toMatchObject(CHECKLIST);
  });

  it("sets a strict CSP on the backend's responses, allowing only the backend and Kibana origins", () => {
    const { electron } = setup();
    const out = electron.headersHandler!({
      url: `${APP}/`,
      resourceType: 'mainFrame',
      responseHeaders: { 'content-security-policy': ['default-src *'], 'Content-Type': ['text/html'] },
    });
    const csp = out.responseHeaders['Content-Security-Policy'];
    expect(csp).toEqual([buildCsp(APP, KIBANA)]);
    expect(out.responseHeaders['content-security-policy']).toBeUndefined();
    expect(out.responseHeaders['Content-Type']).toEqual(['text/html']);
    const directives = Object.fromEntries(
      csp![0]!.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]),
    );
    expect(directives['default-src']).toEqual(["'none'"]);
    expect(directives['script-src']).toEqual([APP]);
    expect(directives['connect-src']).toEqual([APP, 'ws://127.0.0.1:8470', KIBANA]);
    expect(directives['frame-src']).toEqual([KIBANA]);
    expect(directives['object-src']).toEqual(["'none'"]);
    // Every source named in any directive is the backend, Kibana, or a keyword/scheme.
    const sources = Object.values(directives).flat() as string[];
    for (const s of sources)
      expect([APP, 'ws://127.0.0.1:8470', KIBANA].includes(s) || /^'|:$/.test(s)).toBe(true);
    expect(csp![0]).not.toContain("'unsafe-eval'");
    expect(directives['script-src']).not.toContain("'unsafe-inline'");
  });

  it('leaves responses from other origins (Kibana) with their own headers', () => {
    const { electron } = setup();
    const headers = { 'content-security-policy': ["script-src 'self'"] };
    expect(
      electron.headersHandler!({
        url: `${KIBANA}/app/dashboards`,
        resourceType: 'subFrame',
        responseHeaders: headers,
      }).responseHeaders,
    ).toBe(headers);
  });

  it('denies every new window; allowlisted http(s) links open in the system browser, others nowhere', () => {
    const { electron, windows } = setup();
    windows.createMainWindow();
    const handler = electron.windows[0]!.windowOpenHandler!;
    expect(handler({ url: `${KIBANA}/app/discover` })).toEqual({ action: 'deny' });
    expect(handler({ url: 'https://docs.example.org/guide' })).toEqual({ action: 'deny' });
    expect(handler({ url: 'https://evil.example.com/' })).toEqual({ action: 'deny' });
    expect(handler({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(handler({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' });
    expect(electron.opened).toEqual([`${KIBANA}/app/discover`, 'https://docs.example.org/guide']);
  });

  it('prevents navigation and redirects away from the app, and <webview>', () => {
    const { electron, windows } = setup();
    windows.createMainWindow();
    const win = electron.windows[0]!;
    expect(win.navigate(`${APP}/events`)).toBe(true);
    expect(win.navigate('https://evil.example.com/phish')).toBe(false);
    expect(win.navigate('file:///home/user/.ssh/id_rsa')).toBe(false);
    expect(win.navigate('http://127.0.0.1:9999/')).toBe(false);
    expect(win.redirect('https://evil.example.com/')).toBe(false);
    expect(win.navigate('https://docs.example.org/x')).toBe(false);
    expect(electron.opened).toEqual(['https://docs.example.org/x']);
    expect(win.attachWebview()).toBe(false);
  });

  it("grants only notifications and full screen, only to the app's top frame", () => {
    const { electron } = setup();
    for (const handler of [electron.permissionRequestHandler!, electron.permissionCheckHandler!]) {
      const ask = (permission: string, requestingUrl = `${APP}/`, isMainFrame = true) =>
        handler({ permission, requestingUrl, isMainFrame });
      expect(ask('notifications')).toBe(true);
      expect(ask('fullscreen')).toBe(true);
      for (const p of [
        'media',
        'geolocation',
        'camera',
        'microphone',
        'midi',
        'openExternal',
        'hid',
        'serial',
        'usb',
      ])
        expect(ask(p)).toBe(false);
      expect(ask('notifications', `${KIBANA}/`, false)).toBe(false);
      expect(ask('notifications', 'https://evil.example.com/')).toBe(false);
    }
  });
});
