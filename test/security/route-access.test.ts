import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionAuth } from '../../backend/src/api/auth.js';
import { ApiServer } from '../../backend/src/api/server.js';
import { ROUTE_PERMISSIONS } from '../../backend/src/contract/route-permissions.js';
import type { RunningApp } from '../../backend/src/roles/local.js';
import { tempPeople } from '../fixtures/people.js';
import { rawRequest, startSecuredApp, tryUpgrade, UI_SHELL, type RawAnswer } from './harness.js';

let app: RunningApp;
let dispose: () => Promise<void>;
beforeAll(async () => {
  ({ app, dispose } = await startSecuredApp());
});
afterAll(() => dispose());

/** A concrete path of a route pattern: every parameter becomes a harmless sample value. */
function concrete(pattern: string): string {
  return pattern.replace(/:[A-Za-z0-9_]+(\([^)]*\))?/g, 'x1').replace(/\*/g, 'x1');
}

const hex = (c: string, upper = false): string => {
  const h = c.charCodeAt(0).toString(16).padStart(2, '0');
  return `%${upper ? h.toUpperCase() : h}`;
};

/**
 * Spellings of one path an attacker tries: percent-encoding (lower and upper case hex, one letter or every byte,
 * encoded slashes and dots), case, doubled slashes, dot segments, trailing slashes, `;` parameters and `%00`.
 * Some reach the route through the router's decoding (`/%61pi/cameras` is `/api/cameras` to it); the rest match
 * nothing. Either way no data may come back without a credential.
 */
export function spellings(p: string): string[] {
  const segments = p.split('/').slice(1);
  const first = segments[0] ?? '';
  const rest = p.slice(first.length + 1); // "/cameras/x1" or ""
  const last = segments.at(-1) ?? '';
  const head = p.slice(0, p.length - last.length);
  const out = new Set<string>([
    p,
    // percent-encoding
    `/${hex(first[0] ?? 'a')}${first.slice(1)}${rest}`,
    `/${hex(first[0] ?? 'a', true)}${first.slice(1)}${rest}`,
    `${head}${hex(last[0] ?? 'a')}${last.slice(1)}`,
    p.replace(/[^/]/g, (c) => hex(c)),
    p.replace(/[^/]/g, (c) => hex(c, true)),
    `/${first}${rest.replace('/', '%2f')}`,
    `/${first}${rest.replace('/', '%2F')}`,
    `%2f${first}${rest}`,
    // case
    p.toUpperCase(),
    `/${first.charAt(0).toUpperCase()}${first.slice(1)}${rest}`,
    `${head}${last.toUpperCase()}`,
    // doubled slashes
    `/${p}`,
    `/${first}/${rest}`,
    `${p}//`,
    // dot segments, plain and encoded
    `/.${p}`,
    `/${first}/.${rest}`,
    `/x/..${p}`,
    `/${first}/../${first}${rest}`,
    `/%2e${p}`,
    `/%2e%2e${p}`,
    `/x/%2e%2e${p}`,
    `/${first}/%2E${rest}`,
    // trailing slash
    `${p}/`,
    `${p}/.`,
    // semicolon parameters
    `${p};`,
    `${p};x=1`,
    `/${first};${rest}`,
    `/${first};x=1${rest}`,
    // NUL and other bytes that some layers strip
    `${p}%00`,
    `/${first}%00${rest}`,
    `${p}%00.html`,
    `${p}%20`,
    `${p}%09`,
    // backslashes and query/fragment lookalikes
    `/${first}\\${rest.slice(1)}`,
    `${p}%3f`,
    `${p}%23`,
    `${p}?`,
  ]);
  return [...out];
}

/** Whether an answer without credentials handed out nothing: refused, not found, a bad URL, or the UI shell. */
function gaveNoData(a: RawAnswer, method: string): boolean {
  if (refusedRequestLine(a)) return true;
  if (method === 'HEAD') return a.body === '' && [200, 401, 404].includes(a.status);
  if (a.status === 401) return /"unauthorized"/.test(a.body);
  if (a.status === 404) return /"not_found"|"Not Found"/.test(a.body);
  return a.status === 200 && method === 'GET' && a.body === UI_SHELL;
}

/** A request line fastify's router cannot decode, or that Node's HTTP parser refuses outright. */
function refusedRequestLine(a: RawAnswer): boolean {
  return a.status === 400 && (a.body === '' || /FST_ERR_BAD_URL|"Client Error"/.test(a.body));
}

/** Whether a request with the bearer token reached the route (its handler ran) rather than matching nothing. */
function reachedRoute(a: RawAnswer): boolean {
  if (a.status === 404) return !/No route /.test(a.body);
  if (refusedRequestLine(a)) return false;
  if (a.status === 200 && a.body === UI_SHELL) return false;
  return true;
}

describe('every route requires a session unless it declares itself public', () => {
  it('reproduces the walk-around: GET /%61pi/cameras without credentials is refused (it used to answer 200)', async () => {
    const anonymous = await rawRequest(app.url, 'GET', '/%61pi/cameras');
    expect(anonymous.status).toBe(401);
    // The router does decode the spelling to /api/cameras: with the token the same spelling gets the camera list.
    const bearer = await rawRequest(app.url, 'GET', '/%61pi/cameras', {
      authorization: `Bearer ${app.auth.token}`,
    });
    expect(bearer.status).toBe(200);
    expect(JSON.parse(bearer.body)).toEqual([]);
    for (const p of ['/%61pi/session', '/%61pi/export/key', '/%6detrics']) {
      expect((await rawRequest(app.url, 'GET', p)).status, p).toBe(401);
    }
    expect((await rawRequest(app.url, 'POST', '/%61pi/backup/jobs/x1/run', {}, '{}')).status).toBe(401);
  });

  it('only liveness, the sign-in exchanges and the built UI are public', () => {
    const routes = app.routes;
    expect(routes.length).toBeGreaterThan(60);
    const publicRoutes = routes
      .filter((r) => r.access === 'public' || r.rule === 'public')
      .map((r) => `${r.method} ${r.url}`)
      .sort();
    expect(publicRoutes).toEqual(
      [
        'GET /',
        'GET /assets/app.js',
        'GET /healthz',
        'GET /index.html',
        'GET /login',
        'GET /api/auth/status',
        'HEAD /api/auth/status',
        'POST /api/auth/login',
        'HEAD /',
        'HEAD /assets/app.js',
        'HEAD /healthz',
        'HEAD /index.html',
        'HEAD /login',
      ].sort(),
    );
    // The WebSocket routes are in the registry too, and require a session.
    expect(routes.filter((r) => r.websocket && r.method === 'GET').map((r) => r.url)).toEqual(
      expect.arrayContaining(['/api/ws', '/api/live/:id']),
    );
    expect(routes.filter((r) => r.websocket).every((r) => r.access === 'session')).toBe(true);
  });

  it('walks every HTTP route, spelled every way, with no credential: no data comes back', async () => {
    const protectedRoutes = app.routes.filter((r) => r.access !== 'public');
    const leaks: string[] = [];
    let requests = 0;
    let reachedByOtherSpelling = 0;
    for (const route of protectedRoutes) {
      const p = concrete(route.url);
      const body = route.method === 'GET' || route.method === 'HEAD' ? undefined : '{}';
      // The spellings of one route go out together (each on its own connection).
      await Promise.all(
        spellings(p).map(async (spelling) => {
          let a: RawAnswer;
          try {
            a = await rawRequest(app.url, route.method, spelling, {}, body);
          } catch (err) {
            throw new Error(`${route.method} ${spelling}: ${(err as Error).message}`, { cause: err });
          }
          requests++;
          if (!gaveNoData(a, route.method))
            leaks.push(`${route.method} ${spelling} → ${a.status} ${a.body.slice(0, 120)}`);
        }),
      );
      // With the token, reading routes show which spellings the router leads to the route: the walk above is
      // only meaningful because some of them do.
      if (route.method === 'GET' && !route.websocket) {
        const token = { authorization: `Bearer ${app.auth.token}` };
        const canonical = await rawRequest(app.url, 'GET', p, token);
        expect(reachedRoute(canonical), `GET ${p} with the token → ${canonical.status}`).toBe(true);
        const reached = await Promise.all(
          spellings(p)
            .slice(1)
            .map(async (spelling) => reachedRoute(await rawRequest(app.url, 'GET', spelling, token))),
        );
        reachedByOtherSpelling += reached.filter(Boolean).length;
      }
    }
    expect(leaks).toEqual([]);
    expect(requests).toBeGreaterThan(2000);
    expect(reachedByOtherSpelling).toBeGreaterThan(protectedRoutes.filter((r) => r.method === 'GET').length);
  }, 240_000);

  it('walks every WebSocket route, spelled every way, with no credential: no upgrade succeeds', async () => {
    const sockets = app.routes.filter((r) => r.websocket && r.method === 'GET');
    expect(sockets.length).toBeGreaterThanOrEqual(2);
    const opened: string[] = [];
    for (const route of sockets) {
      const p = concrete(route.url);
      for (const spelling of spellings(p)) {
        const result = await tryUpgrade(app.url, spelling);
        if (result.opened || ![0, 400, 401, 404].includes(result.status))
          opened.push(`${spelling} → ${JSON.stringify(result)}`);
      }
      // A forged cookie is no credential either.
      const forged = await tryUpgrade(app.url, p, { cookie: 'vigil_session=forged-0123456789abcdef' });
      expect(forged).toEqual({ opened: false, status: 401 });
      // With the token the same route does open (the walk can tell an open socket from a refused one).
      expect(await tryUpgrade(app.url, p, { authorization: `Bearer ${app.auth.token}` })).toMatchObject({
        opened: true,
      });
      // The bearer token is not accepted as a cookie: the cookie carries session ids only.
      expect(await tryUpgrade(app.url, p, { cookie: `vigil_session=${app.auth.token}` })).toEqual({
        opened: false,
        status: 401,
      });
    }
    expect(opened).toEqual([]);
  });

  it('a route a new module adds without an entry in the permission table stops the server at start', async () => {
    const server = new ApiServer({
      host: '127.0.0.1',
      port: 0,
      auth: new SessionAuth(),
      people: tempPeople(),
      mode: 'local',
      routes: [
        {
          name: 'new-module',
          register(fastify) {
            fastify.get('/api/new-thing', async () => ({ secret: 'data' }));
          },
        },
      ],
    });
    await expect(server.start()).rejects.toThrow(/GET \/api\/new-thing has no entry in ROUTE_PERMISSIONS/);
    await server.dispose();
  });

  it('a route whose entry asks only for a signed-in caller requires a session, in every spelling', async () => {
    const auth = new SessionAuth();
    const server = new ApiServer({
      host: '127.0.0.1',
      port: 0,
      auth,
      people: tempPeople(),
      mode: 'local',
      routeRules: { ...ROUTE_PERMISSIONS, 'GET /api/new-thing': 'signed-in' },
      routes: [
        {
          name: 'new-module',
          register(fastify) {
            fastify.get('/api/new-thing', async () => ({ secret: 'data' }));
          },
        },
      ],
    });
    await server.start();
    try {
      expect(server.routes).toContainEqual({
        method: 'GET',
        url: '/api/new-thing',
        access: 'session',
        rule: 'signed-in',
        websocket: false,
      });
      for (const spelling of spellings('/api/new-thing')) {
        const a = await rawRequest(server.url, 'GET', spelling);
        expect(a.body, spelling).not.toContain('data');
        expect([400, 401, 404], spelling).toContain(a.status);
      }
      const ok = await rawRequest(server.url, 'GET', '/api/new-thing', {
        authorization: `Bearer ${auth.token}`,
      });
      expect(JSON.parse(ok.body)).toEqual({ secret: 'data' });
    } finally {
      await server.dispose();
    }
  });
});
