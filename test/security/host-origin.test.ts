import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostPolicy } from '../../backend/src/api/access.js';
import type { RunningApp } from '../../backend/src/roles/local.js';
import { openBrowserSession } from '../fixtures/backend.js';
import { alertState, raiseAlert, rawRequest, startSecuredApp, tryUpgrade, UI_SHELL } from './harness.js';

let app: RunningApp;
let dispose: () => Promise<void>;
let port: string;
let cookie: string;
beforeAll(async () => {
  ({ app, dispose } = await startSecuredApp({ server: { port: 0, publicNames: ['vigil.example.com'] } }));
  port = new URL(app.url).port;
  // A browser signed in with a password (an administrator: the test raises and resolves alerts).
  cookie = `vigil_session=${encodeURIComponent(await openBrowserSession({ url: app.url, token: app.auth.token }))}`;
});
afterAll(() => dispose());

describe('Host check (DNS rebinding)', () => {
  it('refuses a request for a name the server does not serve, even with a valid session', async () => {
    for (const path of ['/api/session', '/healthz', '/', '/api/cameras']) {
      const a = await rawRequest(app.url, 'GET', path, { host: `rebind.evil.example:${port}`, cookie });
      expect(a.status, path).toBe(421);
      expect(a.body).toContain('server.publicNames');
      expect(a.body).not.toContain(UI_SHELL);
    }
    const ws = await tryUpgrade(app.url, '/api/ws', { host: `rebind.evil.example:${port}`, cookie });
    expect(ws).toEqual({ opened: false, status: 421 });
    // No Host at all is no better.
    expect((await rawRequest(app.url, 'GET', '/healthz', { host: '' })).status).toBe(421);
  });

  it('serves loopback names, IP addresses and the configured public names', async () => {
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `LOCALHOST:${port}`,
      `[::1]:${port}`,
      `vigil.localhost:${port}`,
      `192.168.1.20:${port}`,
      'vigil.example.com',
      `vigil.example.com:${port}`,
    ]) {
      expect((await rawRequest(app.url, 'GET', '/api/session', { host, cookie })).status, host).toBe(200);
    }
    for (const host of ['vigil.example.com.evil.example', 'example.com', 'localhost.evil.example']) {
      expect((await rawRequest(app.url, 'GET', '/api/session', { host, cookie })).status, host).toBe(421);
    }
  });
});

describe('Origin check (other pages in the guard’s browser)', () => {
  it('refuses a state change from another origin, even another port of 127.0.0.1, with a valid session', async () => {
    const alert = await raiseAlert(app, 'origin-check');
    for (const origin of [
      `http://127.0.0.1:${Number(port) + 1}`,
      'http://evil.example',
      'null',
      `https://127.0.0.1:${port}`.replace('https', 'ftp'),
    ]) {
      const a = await rawRequest(app.url, 'POST', `/api/alerts/${alert.id}/resolve`, {
        cookie,
        origin,
        'content-type': 'text/plain',
      });
      expect(a.status, origin).toBe(403);
      expect(JSON.parse(a.body)).toMatchObject({ error: 'cross_origin' });
    }
    expect(await alertState(app, alert.id)).toBe('new');
    // The UI's own origin may; so may a request without Origin (the desktop shell's main process, scripts).
    const own = await rawRequest(
      app.url,
      'POST',
      `/api/alerts/${alert.id}/ack`,
      { cookie, origin: app.url },
      '{}',
    );
    expect(own.status).toBe(200);
    expect(await alertState(app, alert.id)).toBe('acknowledged');
    const shell = await rawRequest(app.url, 'POST', `/api/alerts/${alert.id}/resolve`, { cookie }, '{}');
    expect(shell.status).toBe(200);
    expect(await alertState(app, alert.id)).toBe('resolved');
  });

  it('reading stays possible for other origins only as far as the browser allows (no CORS headers)', async () => {
    const a = await rawRequest(app.url, 'GET', '/api/session', { cookie, origin: 'http://evil.example' });
    expect(a.status).toBe(200);
    expect(a.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses a WebSocket upgrade from another origin; accepts the UI’s own', async () => {
    expect(
      await tryUpgrade(app.url, '/api/ws', { cookie, origin: `http://127.0.0.1:${Number(port) + 1}` }),
    ).toEqual({ opened: false, status: 403 });
    expect(await tryUpgrade(app.url, '/api/ws', { cookie, origin: 'null' })).toEqual({
      opened: false,
      status: 403,
    });
    expect(await tryUpgrade(app.url, '/api/ws', { cookie, origin: app.url })).toMatchObject({ opened: true });
  });

  it('behind a reverse proxy that rewrites Host, the public name is the UI’s own origin', () => {
    const policy = new HostPolicy({
      bindHost: '0.0.0.0',
      publicNames: ['vigil.example.com', 'nvr.lan:8443'],
    });
    expect(policy.isOwnOrigin('https://vigil.example.com', '127.0.0.1:8470')).toBe(true);
    expect(policy.isOwnOrigin('https://nvr.lan:8443', '127.0.0.1:8470')).toBe(true);
    expect(policy.isOwnOrigin('https://nvr.lan', '127.0.0.1:8470')).toBe(false);
    expect(policy.isOwnOrigin('https://vigil.example.com:9000', '127.0.0.1:8470')).toBe(false);
    expect(policy.isOwnOrigin('http://127.0.0.1:8471', '127.0.0.1:8470')).toBe(false);
    expect(policy.servesHost('0.0.0.0:8470')).toBe(true);
  });
});
