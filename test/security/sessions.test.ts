import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { SessionAuth, type ApiAuth, type SessionPolicy } from '../../backend/src/api/auth.js';
import { ApiServer } from '../../backend/src/api/server.js';
import { RealtimeHub } from '../../backend/src/api/realtime.js';
import { SESSION_ENDED_CLOSE_CODE } from '../../backend/src/api/session-sockets.js';
import { SharedSessionAuth } from '../../backend/src/api/shared-redis.js';
import { MemoryBus } from '../../backend/src/bus/memory-bus.js';
import { SESSION_COOKIE } from '../../backend/src/contract/api.js';
import { RedisPeopleStore } from '../../backend/src/people/redis-store.js';
import { People } from '../../backend/src/people/service.js';
import { tempPeople } from '../fixtures/people.js';
import { REDIS_INSTALL_HINT, redisAvailable, useRedis, type RedisHandle } from '../fixtures/redis.js';
import { skipWithout } from '../fixtures/require.js';

const MINUTE = 60_000;
const PASSWORD = 'a long enough password';
const OS_USER = 'desk-user';
const POLICY: SessionPolicy = {
  loginCodeTtlMs: 5 * MINUTE,
  idleMs: 30 * MINUTE,
  lifetimeMs: 8 * 60 * MINUTE,
};

/** A clock the test moves by hand. */
function manualClock(start = Date.now()) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** An API server over the given authentication (with the realtime WebSocket), and a browser-like client. */
async function serve(auth: ApiAuth, people: People = tempPeople()) {
  const server = new ApiServer({
    host: '127.0.0.1',
    port: 0,
    auth,
    people,
    osUser: OS_USER,
    mode: 'local',
    routes: [new RealtimeHub({ bus: new MemoryBus() })],
    sessionCheckMs: 100,
  });
  await server.start();
  const url = server.url;
  return {
    server,
    url,
    people,
    /** Follows a login link; the session cookie it set ("name=value"), or undefined when refused. */
    async login(code: string): Promise<{ status: number; cookie?: string; setCookie: string }> {
      const res = await fetch(`${url}/login?code=${encodeURIComponent(code)}`, { redirect: 'manual' });
      const setCookie = res.headers.get('set-cookie') ?? '';
      const cookie = setCookie.split(';')[0];
      return { status: res.status, setCookie, ...(cookie ? { cookie } : {}) };
    },
    /** Signs a guard in with a password (created on first use); the session cookie ("name=value"). */
    async signIn(): Promise<string> {
      await people.store
        .getUser('guard-one')
        .then((u) =>
          u
            ? undefined
            : people.addUser({ name: 'guard-one', role: 'guard', password: PASSWORD, cameras: [] }, 'test'),
        );
      const res = await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'guard-one', password: PASSWORD }),
      });
      expect(res.status).toBe(200);
      return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    },
    async sessionStatus(cookie: string): Promise<number> {
      return (await fetch(`${url}/api/session`, { headers: { cookie } })).status;
    },
    /** Opens /api/ws with a cookie; resolves with the socket once open. */
    openSocket(cookie: string): Promise<WebSocket> {
      return new Promise((resolve, reject) => {
        const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/ws`, { headers: { cookie } });
        ws.once('open', () => resolve(ws));
        ws.once('unexpected-response', (_req, res) =>
          reject(new Error(`upgrade refused: ${res.statusCode}`)),
        );
        ws.once('error', reject);
      });
    },
  };
}

function sessionSuite(
  name: string,
  make: (clock: ReturnType<typeof manualClock>) => Promise<{
    auth: ApiAuth;
    issueLoginCode(): Promise<string>;
    dispose(): Promise<void>;
  }>,
) {
  describe(`browser sessions (${name})`, () => {
    const cleanup: Array<() => Promise<void>> = [];
    afterAll(async () => {
      for (const fn of cleanup.reverse()) await fn();
    });

    async function setup() {
      const clock = manualClock();
      const made = await make(clock);
      const api = await serve(made.auth);
      cleanup.push(made.dispose, () => api.server.dispose());
      return { clock, ...made, ...api };
    }

    it('a login link works once; the cookie holds a random session id, never the bearer token', async () => {
      const { auth, issueLoginCode, login, sessionStatus } = await setup();
      const code = await issueLoginCode();
      const first = await login(code);
      expect(first.status).toBe(303);
      expect(first.setCookie).toMatch(/HttpOnly/);
      expect(first.setCookie).toMatch(/SameSite=Strict/);
      expect(first.setCookie).not.toContain(auth.token);
      expect(first.cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}$`));
      expect(await sessionStatus(first.cookie!)).toBe(200);
      expect((await login(code)).status).toBe(401);
      // Two logins are two sessions.
      const second = await login(await issueLoginCode());
      expect(second.cookie).not.toBe(first.cookie);
      // The bearer token in the cookie is refused: a cookie carries session ids only.
      expect(await sessionStatus(`${SESSION_COOKIE}=${auth.token}`)).toBe(401);
    });

    it('a login link expires within minutes', async () => {
      const { clock, issueLoginCode, login } = await setup();
      const fresh = await issueLoginCode();
      const stale = await issueLoginCode();
      clock.advance(4 * MINUTE);
      expect((await login(fresh)).status).toBe(303);
      clock.advance(2 * MINUTE);
      expect((await login(stale)).status).toBe(401);
    });

    it('a session idles out, and ends at its lifetime even when in use', async () => {
      const { clock, signIn, sessionStatus } = await setup();
      const idle = await signIn();
      const busy = await signIn();
      // Used every 20 minutes, `busy` stays; `idle`, untouched for 40 minutes, is gone.
      clock.advance(20 * MINUTE);
      expect(await sessionStatus(busy)).toBe(200);
      clock.advance(20 * MINUTE);
      expect(await sessionStatus(busy)).toBe(200);
      expect(await sessionStatus(idle)).toBe(401);
      for (let t = 40; t < 8 * 60 - 20; t += 20) {
        clock.advance(20 * MINUTE);
        expect(await sessionStatus(busy)).toBe(200);
      }
      clock.advance(40 * MINUTE);
      expect(await sessionStatus(busy)).toBe(401);
    });

    it('log out ends the session at once and removes the cookie; other sessions stay', async () => {
      const { url, signIn, sessionStatus } = await setup();
      const mine = await signIn();
      const other = await signIn();
      const out = await fetch(`${url}/api/auth/logout`, { method: 'POST', headers: { cookie: mine } });
      expect(out.status).toBe(204);
      expect(out.headers.get('set-cookie')).toMatch(new RegExp(`^${SESSION_COOKIE}=;.*Max-Age=0`));
      expect(await sessionStatus(mine)).toBe(401);
      expect(await sessionStatus(other)).toBe(200);
      // Logging out without a session is refused like any other request.
      expect((await fetch(`${url}/api/auth/logout`, { method: 'POST' })).status).toBe(401);
    });

    it('ending a session closes its live connections: at once on log out, within a check when it expires', async () => {
      const { url, clock, signIn, openSocket, sessionStatus } = await setup();
      const closed = (ws: WebSocket) =>
        new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));
      const out = await signIn();
      const stays = await signIn();
      const outSocket = await openSocket(out);
      const staysSocket = await openSocket(stays);
      const outClosed = closed(outSocket);
      await fetch(`${url}/api/auth/logout`, { method: 'POST', headers: { cookie: out } });
      expect(await outClosed).toBe(SESSION_ENDED_CLOSE_CODE);
      // An open socket counts as use (the server checks it every 100 ms here, every minute by default): past the
      // idle time its session still holds…
      const staysClosed = closed(staysSocket);
      for (let t = 0; t < 60; t += 20) {
        clock.advance(20 * MINUTE);
        await new Promise((r) => setTimeout(r, 300));
      }
      expect(staysSocket.readyState).toBe(WebSocket.OPEN);
      expect(await sessionStatus(stays)).toBe(200);
      // …but not past its lifetime.
      for (let t = 60; t <= 8 * 60; t += 20) {
        clock.advance(20 * MINUTE);
        await new Promise((r) => setTimeout(r, 150));
      }
      expect(await staysClosed).toBe(SESSION_ENDED_CLOSE_CODE);
    });

    it('the desktop shell trades its bearer token for a session: setup on a new site, its OS user only when allowed; a browser session cannot', async () => {
      const { url, auth, signIn, sessionStatus, people } = await setup();
      const trade = () =>
        fetch(`${url}/api/auth/session`, {
          method: 'POST',
          headers: { authorization: `Bearer ${auth.token}` },
        });
      // A new installation: a session that may only create the first administrator.
      const first = await trade();
      expect(first.status).toBe(204);
      const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0]!;
      expect(cookie).not.toContain(auth.token);
      const setupSession = await fetch(`${url}/api/session`, { headers: { cookie } });
      expect(await setupSession.json()).toMatchObject({ setup: true, permissions: [] });
      // Once people exist, the shell's window signs in like anyone else…
      const browser = await signIn();
      const refusedShell = await trade();
      expect(refusedShell.status).toBe(403);
      expect(await refusedShell.json()).toMatchObject({ error: 'sign_in_required' });
      // …unless an administrator lets it sign in the OS user's account of the same name.
      await people.addUser({ name: OS_USER, role: 'guard', password: PASSWORD, cameras: [] }, 'test');
      await people.store.putSettings({ ...(await people.store.getSettings()), desktopAutoSignIn: true });
      const auto = await trade();
      expect(auto.status).toBe(204);
      const autoCookie = (auto.headers.get('set-cookie') ?? '').split(';')[0]!;
      expect(
        await (await fetch(`${url}/api/session`, { headers: { cookie: autoCookie } })).json(),
      ).toMatchObject({
        user: OS_USER,
        role: 'guard',
      });
      expect(await sessionStatus(autoCookie)).toBe(200);
      const refused = await fetch(`${url}/api/auth/session`, {
        method: 'POST',
        headers: { cookie: browser },
      });
      expect(refused.status).toBe(403);
      expect((await fetch(`${url}/api/auth/session`, { method: 'POST' })).status).toBe(401);
    });
  });
}

sessionSuite('one process', async (clock) => {
  const auth = new SessionAuth(undefined, POLICY, clock.now);
  return { auth, issueLoginCode: async () => auth.issueLoginCode(), dispose: async () => {} };
});

// The same promises when the sessions live in Redis (cluster api instances share them). Redis expires keys on its
// own clock, so the lifetimes of this run are real milliseconds scaled down: the manual clock cannot move Redis.
const redisSkip = skipWithout('Redis', await redisAvailable(), REDIS_INSTALL_HINT);
describe.skipIf(redisSkip)('browser sessions (Redis, real key expiry)', () => {
  let redis: RedisHandle;
  const made: SharedSessionAuth[] = [];
  beforeAll(async () => {
    redis = await useRedis();
  });
  afterAll(async () => {
    for (const a of made) await a.dispose();
    await redis?.stop();
  });

  async function shared(policy: SessionPolicy, keyPrefix = `vigil-sec-${randomUUID()}:`) {
    const auth = new SharedSessionAuth({ url: redis.url, keyPrefix, policy });
    made.push(auth);
    await auth.start();
    // The instances share their people through the same Redis, as the cluster's api instances do.
    return { auth, ...(await serve(auth, new People(new RedisPeopleStore(auth.redis, keyPrefix)))) };
  }

  it('codes and sessions expire in Redis; log out on one instance ends the session on another', async () => {
    const policy = { loginCodeTtlMs: 400, idleMs: 2000, lifetimeMs: 4000 };
    const prefix = `vigil-sec-${randomUUID()}:`;
    const one = await shared(policy, prefix);
    const two = await shared(policy, prefix);
    try {
      const stale = await one.auth.issueLoginCode();
      const used = await one.auth.issueLoginCode();
      const opened = Date.now();
      const session = (await two.login(used)).cookie!;
      expect(await one.sessionStatus(session)).toBe(200);
      expect(await two.sessionStatus(session)).toBe(200);
      await new Promise((r) => setTimeout(r, 500));
      expect((await two.login(stale)).status).toBe(401);
      // Redis holds hashes only: neither the code nor the session id is a key or a value.
      const keys = await one.auth.redis.keys(`${prefix}*`);
      const values = await Promise.all(keys.map((k) => one.auth.redis.get(k)));
      expect(keys.join(' ') + values.join(' ')).not.toContain(session.split('=')[1]!);
      // Kept alive by use (every 400 ms) well past its idle time, then ended at its lifetime.
      while (Date.now() - opened < policy.lifetimeMs - 300) {
        expect(await one.sessionStatus(session)).toBe(200);
        await new Promise((r) => setTimeout(r, 400));
      }
      await new Promise((r) => setTimeout(r, Math.max(0, opened + policy.lifetimeMs + 100 - Date.now())));
      expect(await one.sessionStatus(session)).toBe(401);
      // Idle out and log out.
      const idle = await one.signIn();
      const out = await one.signIn();
      expect(
        (await fetch(`${two.url}/api/auth/logout`, { method: 'POST', headers: { cookie: out } })).status,
      ).toBe(204);
      expect(await one.sessionStatus(out)).toBe(401);
      await new Promise((r) => setTimeout(r, 2300));
      expect(await two.sessionStatus(idle)).toBe(401);
    } finally {
      await one.server.dispose();
      await two.server.dispose();
    }
  });
});
