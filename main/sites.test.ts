import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnBackend, tempHome, type BackendProcess } from '../test/fixtures/backend.js';
import { ConnectionSettingsError } from './connection.js';
import { SecretStore } from './secret-store.js';
import { SettingsStore } from './settings.js';
import { relayPath, SiteRelay, SiteRequestError, validateSiteInput } from './sites.js';
import { FakeElectron } from './test-fixtures/fake-electron.js';

describe('relayPath (what the relay carries to a site)', () => {
  it('carries the reads of the wall, the incident desk and the search, and the desk acknowledging an incident', () => {
    for (const [m, p] of [
      ['GET', '/api/cameras'],
      ['GET', '/api/cameras/gate-1/snapshot.jpg'],
      ['GET', '/api/events?label=person&limit=100'],
      ['GET', '/api/events/abc'],
      ['GET', '/api/incidents?state=new,acknowledged&limit=200'],
      ['POST', '/api/incidents/inc-gate-1765000000000/ack'],
    ] as const)
      expect(relayPath(m, p)).toBe(p);
  });

  it('refuses other routes and methods, and paths a server could normalise into another route', () => {
    for (const [m, p] of [
      ['POST', '/api/cameras'],
      ['GET', '/api/settings'],
      ['GET', '/api/backup/jobs'],
      ['DELETE', '/api/alerts/a1'],
      // Only acknowledging: no resolving, bulk acknowledging, false positives or reads of one incident's details.
      ['POST', '/api/incidents/inc-1/resolve'],
      ['POST', '/api/incidents/ack'],
      ['POST', '/api/incidents/inc-1/false-positive'],
      ['POST', '/api/incidents/inc-1/ack?note=x'],
      ['GET', '/api/incidents/inc-1'],
      ['GET', '/api/incidents/inc-1/ack'],
      ['POST', '/api/incidents/../snoozes/ack'],
      ['POST', '/api/incidents/%2e%2e/ack'],
      ['GET', '/api/alerts?state=new'],
      ['POST', '/api/alerts/a1/ack'],
      ['GET', '/api/events/../settings'],
      ['GET', '/api/events/%2e%2e/settings'],
      ['GET', '/api/cameras/..%2fsettings/snapshot.jpg'],
      ['GET', '//evil.example/api/cameras'],
      ['GET', 'http://evil.example/api/cameras'],
      ['GET', '/api//cameras'],
      ['GET', '/api/cameras?x=1'],
      ['GET', '/api/cameras\\x'],
      ['GET', '/api/events?a=b c'],
      ['GET', 42],
    ] as const)
      expect(() => relayPath(m, p), `${m} ${String(p)}`).toThrow(SiteRequestError);
  });
});

describe('validateSiteInput', () => {
  const ok = { id: 'north', name: ' North ', url: 'https://north.example.org/ignored', token: 't0k' };
  it('normalises a site', () => {
    expect(validateSiteInput(ok, [])).toEqual({
      id: 'north',
      name: 'North',
      url: 'https://north.example.org',
      token: 't0k',
    });
  });
  it('refuses plain http to another machine, a taken id, a bad id and a token with spaces, naming the field', () => {
    const field = (input: object, existing = [] as { id: string; name: string; url: string }[]) => {
      try {
        validateSiteInput({ ...ok, ...input }, existing);
        return 'accepted';
      } catch (err) {
        expect(err).toBeInstanceOf(ConnectionSettingsError);
        return (err as ConnectionSettingsError).field;
      }
    };
    expect(field({ url: 'http://north.example.org' })).toBe('url');
    expect(field({ url: 'http://127.0.0.1:8470' })).toBe('accepted');
    expect(field({}, [{ id: 'north', name: 'N', url: 'https://n' }])).toBe('id');
    expect(field({ id: 'North/1' })).toBe('id');
    expect(field({ token: 'a b' })).toBe('token');
    expect(field({ token: '' })).toBe('token');
    expect(field({ name: '' })).toBe('name');
  });
});

/** A port free right now, for a backend that must come back on the same address. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('SiteRelay against a real backend process', () => {
  const TOKEN = 'site-relay-test-token-5b1e0c';
  let port = 0;
  let home = '';
  let backend: BackendProcess | undefined;
  const start = () =>
    spawnBackend(
      {
        server: { port },
        cameras: [{ id: 'gate', name: 'North gate', enabled: false, main: { kind: 'testPattern' } }],
      },
      { home, env: { VIGIL_API_TOKEN: TOKEN }, timeoutMs: 60_000 },
    );

  beforeAll(async () => {
    port = await freePort();
    home = tempHome('vigil-site-relay-');
    backend = await start();
  }, 90_000);
  afterAll(async () => {
    await backend?.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('keeps the token encrypted, relays reads, goes offline when the site stops and reconnects by itself', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-sites-'));
    const electron = new FakeElectron(dir);
    const relay = new SiteRelay({
      settings: new SettingsStore(dir),
      secrets: new SecretStore(dir, electron.safeStorage),
      timing: { intervalMs: 500, baseMs: 200, maxMs: 1000 },
    });
    relay.add({ id: 'north', name: 'North', url: `http://127.0.0.1:${port}`, token: TOKEN });
    await expect.poll(() => relay.list()[0]?.state, { timeout: 10_000 }).toBe('online');
    expect(relay.list()).toEqual([
      { id: 'north', name: 'North', url: `http://127.0.0.1:${port}`, hasToken: true, state: 'online' },
    ]);
    // Neither file in the user data folder holds the token in clear.
    for (const f of fs.readdirSync(dir))
      expect(fs.readFileSync(path.join(dir, f), 'utf8')).not.toContain(TOKEN);

    const cams = await relay.request({ site: 'north', method: 'GET', path: '/api/cameras' });
    expect(cams.status).toBe(200);
    expect((cams.json as Array<{ id: string; name: string }>).map((c) => [c.id, c.name])).toEqual([
      ['gate', 'North gate'],
    ]);
    const events = await relay.request({ site: 'north', method: 'GET', path: '/api/events?limit=5' });
    expect(events).toMatchObject({ status: 200, json: { items: [] } });
    await expect(relay.request({ site: 'north', method: 'GET', path: '/api/settings' })).rejects.toThrow(
      SiteRequestError,
    );
    await expect(relay.request({ site: 'south', method: 'GET', path: '/api/cameras' })).rejects.toThrow(
      'no site "south"',
    );

    await backend!.stop();
    const down = await relay.request({ site: 'north', method: 'GET', path: '/api/cameras' });
    expect(down.status).toBe(0);
    expect(down.error).toMatch(/^North did not answer/);
    expect(relay.list()[0]?.state).toBe('offline');

    relay.start(100);
    try {
      backend = await start();
      await expect.poll(() => relay.list()[0]?.state, { timeout: 15_000 }).toBe('online');
      expect((await relay.request({ site: 'north', method: 'GET', path: '/api/cameras' })).status).toBe(200);
    } finally {
      relay.stop();
    }

    // Removing the site deletes its token.
    expect(relay.remove('north')).toEqual([]);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'secrets.enc.json'), 'utf8'))).toEqual({});
  }, 120_000);

  it('a site that refuses the token says so and is not retried with it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-sites-'));
    const relay = new SiteRelay({
      settings: new SettingsStore(dir),
      secrets: new SecretStore(dir, new FakeElectron(dir).safeStorage),
      timing: { intervalMs: 500, baseMs: 200, maxMs: 1000 },
    });
    relay.add({ id: 'north', name: 'North', url: `http://127.0.0.1:${port}`, token: 'not-the-token' });
    await expect.poll(() => relay.list()[0]?.state, { timeout: 10_000 }).toBe('unauthorized');
    expect(relay.list()[0]?.detail).toMatch(/refused the API token/);
    const r = await relay.request({ site: 'north', method: 'GET', path: '/api/cameras' });
    expect(r.status).toBe(401);
  }, 30_000);
});
