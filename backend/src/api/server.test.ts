import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expectNoLeaks, snapshotResources } from '../../../test/helpers/leaks.js';
import { tempPeople } from '../../../test/fixtures/people.js';
import { SessionAuth } from './auth.js';
import { ApiServer } from './server.js';

function rendererDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-ui-'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Vigil</title><div id="root"></div>');
  return dir;
}

let server: ApiServer | undefined;
afterEach(async () => {
  await server?.dispose();
  server = undefined;
});

async function start(auth = new SessionAuth()) {
  server = new ApiServer({
    host: '127.0.0.1',
    port: 0,
    auth,
    people: tempPeople(),
    mode: 'local',
    rendererDir: rendererDir(),
  });
  await server.start();
  return { url: server.url, auth };
}

describe('API server', () => {
  it('binds to 127.0.0.1 and answers /healthz without a token', async () => {
    const { url } = await start();
    expect(new URL(url).hostname).toBe('127.0.0.1');
    const res = await fetch(`${url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', version: expect.any(String) });
  });

  it('refuses API requests without the session token (401) and accepts the Bearer token', async () => {
    const { url, auth } = await start();
    const anonymous = await fetch(`${url}/api/session`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: 'unauthorized' });
    expect(
      (await fetch(`${url}/api/session`, { headers: { authorization: 'Bearer wrong-token-wrong' } })).status,
    ).toBe(401);
    const ok = await fetch(`${url}/api/session`, { headers: { authorization: `Bearer ${auth.token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ user: 'instance-token', role: 'token', mode: 'local' });
  });

  it('opens the first-administrator page once per login link and sets an HttpOnly cookie', async () => {
    const { url, auth } = await start();
    const code = auth.issueLoginCode();
    const first = await fetch(`${url}/login?code=${code}`, { redirect: 'manual' });
    expect(first.status).toBe(303);
    const cookie = first.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    // The cookie carries a session id of its own, never the bearer token.
    expect(cookie).not.toContain(auth.token);
    const withCookie = await fetch(`${url}/api/session`, { headers: { cookie: cookie.split(';')[0] ?? '' } });
    expect(withCookie.status).toBe(200);
    // A new installation's link may only create the first administrator.
    expect(await withCookie.json()).toMatchObject({ setup: true, permissions: [] });
    const again = await fetch(`${url}/login?code=${code}`, { redirect: 'manual' });
    expect(again.status).toBe(401);
  });

  it('serves the UI shell, also for client-side routes, but not unknown API paths', async () => {
    const { url, auth } = await start();
    const index = await fetch(`${url}/`);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<div id="root">');
    expect((await fetch(`${url}/events`)).status).toBe(200);
    const missing = await fetch(`${url}/api/nope`, { headers: { authorization: `Bearer ${auth.token}` } });
    expect(missing.status).toBe(404);
  });

  it('releases its sockets and timers on dispose', async () => {
    const before = snapshotResources();
    const { url } = await start();
    await fetch(`${url}/healthz`);
    await server?.dispose();
    server = undefined;
    await expectNoLeaks(before);
  });
});

describe('Kibana tab and the page CSP', () => {
  it('hides the Kibana tab and allows no frames when Kibana is not configured', async () => {
    const { url, auth } = await start();
    const res = await fetch(`${url}/api/kibana`, { headers: { authorization: `Bearer ${auth.token}` } });
    expect(await res.json()).toEqual({ enabled: false, url: '', dashboards: [] });
    const csp = (await fetch(`${url}/`)).headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-src 'none'");
    expect(csp).toContain("script-src 'self'");
  });

  it('lists the configured dashboards and lets the page frame only the Kibana origin', async () => {
    const auth = new SessionAuth();
    server = new ApiServer({
      host: '127.0.0.1',
      port: 0,
      auth,
      people: tempPeople(),
      mode: 'local',
      rendererDir: rendererDir(),
      kibana: {
        url: 'https://kibana.example:5601/',
        dashboards: [{ id: 'vigil-detections', title: 'Detections' }],
      },
    });
    await server.start();
    const res = await fetch(`${server.url}/api/kibana`, {
      headers: { authorization: `Bearer ${auth.token}` },
    });
    expect(await res.json()).toEqual({
      enabled: true,
      url: 'https://kibana.example:5601',
      dashboards: [{ id: 'vigil-detections', title: 'Detections' }],
    });
    const page = await fetch(`${server.url}/events`);
    expect(page.headers.get('content-security-policy')).toContain('frame-src https://kibana.example:5601;');
    expect((await fetch(`${server.url}/api/kibana`)).status).toBe(401);
  });
});
