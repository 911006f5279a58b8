import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Topics } from '../../backend/src/contract/bus.js';
import type { VigilAlert, VigilEvent } from '../../backend/src/contract/events.js';
import type { FrameDetections } from '../../backend/src/contract/media.js';
import { ROLE_PERMISSIONS, ROLES, type Permission, type Role } from '../../backend/src/contract/people.js';
import type { RunningApp } from '../../backend/src/roles/local.js';
import { ensureAccount, openBrowserSession } from '../fixtures/backend.js';
import { rawRequest, startSecuredApp, type RawAnswer } from './harness.js';

let app: RunningApp;
let dispose: () => Promise<void>;
const cookies = new Map<string, string>();

/** A concrete path of a route pattern: every parameter becomes a harmless sample value. */
function concrete(pattern: string): string {
  return pattern.replace(/:[A-Za-z0-9_]+(\([^)]*\))?/g, 'x1').replace(/\*/g, 'x1');
}

async function signIn(user: string, role: Role, cameras: string[]): Promise<string> {
  const session = await openBrowserSession({ url: app.url, token: app.auth.token }, { user, role, cameras });
  return `vigil_session=${encodeURIComponent(session)}`;
}

/** The browser of a signed-in person (the UI's own origin, so state changes pass the Origin check). */
function as(cookie: string) {
  return async (method: string, path: string, body?: unknown): Promise<RawAnswer> =>
    rawRequest(
      app.url,
      method,
      path,
      {
        cookie,
        origin: app.url,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body === undefined ? undefined : JSON.stringify(body),
    );
}

/** The message of an error answer (empty when the body is not one). */
function messageOf(a: RawAnswer): string {
  try {
    const body = JSON.parse(a.body) as { message?: unknown };
    return typeof body.message === 'string' ? body.message : '';
  } catch {
    return '';
  }
}

const json = (a: RawAnswer) => JSON.parse(a.body) as Record<string, unknown> & unknown[];

beforeAll(async () => {
  ({ app, dispose } = await startSecuredApp());
  for (const role of ROLES) cookies.set(role, await signIn(`matrix-${role}`, role, ['gate']));
}, 60_000);
afterAll(() => dispose());

describe('the permission matrix: every route, every role', () => {
  it('each role reaches exactly the routes its permissions name, and is refused the rest with 403', async () => {
    const routes = app.routes.filter(
      (r) =>
        r.rule !== 'public' &&
        r.access !== 'public' &&
        r.access !== 'token' &&
        !r.websocket &&
        r.method !== 'HEAD' &&
        // Signing out would end the session the walk uses.
        r.url !== '/api/auth/logout',
    );
    expect(routes.length).toBeGreaterThan(80);
    const wrong: string[] = [];
    let refused = 0;
    let reached = 0;
    for (const role of ROLES) {
      const call = as(cookies.get(role)!);
      const allowed = new Set<string>(ROLE_PERMISSIONS[role]);
      for (const route of routes) {
        const body = route.method === 'GET' || route.method === 'DELETE' ? undefined : {};
        const a = await call(route.method, concrete(route.url), body);
        const deniedByRole =
          a.status === 403 && messageOf(a).includes(`needs the "${route.rule}" permission`);
        const expectAllowed = route.rule === 'signed-in' || allowed.has(route.rule as Permission);
        if (a.status === 401) wrong.push(`${role} ${route.method} ${route.url}: 401 (the session ended)`);
        if (expectAllowed && deniedByRole) wrong.push(`${role} ${route.method} ${route.url}: refused`);
        if (!expectAllowed && !deniedByRole)
          wrong.push(`${role} ${route.method} ${route.url}: ${a.status} ${a.body.slice(0, 80)}`);
        if (deniedByRole) refused++;
        else reached++;
      }
    }
    expect(wrong).toEqual([]);
    // Both sides of the matrix are exercised.
    expect(refused).toBeGreaterThan(100);
    expect(reached).toBeGreaterThan(100);
  }, 120_000);

  it('spells out what the roles are for', async () => {
    const guard = as(cookies.get('guard')!);
    const investigator = as(cookies.get('investigator')!);
    const supervisor = as(cookies.get('supervisor')!);
    const admin = as(cookies.get('admin')!);
    // A guard exports nothing and manages nothing.
    expect((await guard('POST', '/api/export', { cameraIds: ['gate'], from: 1, to: 2 })).status).toBe(403);
    expect((await guard('GET', '/api/users')).status).toBe(403);
    expect((await guard('GET', '/api/backup/targets')).status).toBe(403);
    expect((await guard('GET', '/api/audit')).status).toBe(403);
    // An investigator searches and exports but does not run the desk or the site.
    expect((await investigator('GET', '/api/incidents')).status).toBe(403);
    expect((await investigator('POST', '/api/cameras', {})).status).toBe(403);
    expect((await investigator('GET', '/api/saved-searches')).status).toBe(200);
    // A supervisor reads the audit log and handles alerts, but exports nothing.
    expect((await supervisor('GET', '/api/audit')).status).toBe(200);
    expect((await supervisor('GET', '/api/incidents')).status).toBe(200);
    expect((await supervisor('POST', '/api/export', { cameraIds: ['gate'], from: 1, to: 2 })).status).toBe(
      403,
    );
    // An administrator manages people.
    expect((await admin('GET', '/api/users')).status).toBe(200);
    // Each learns who they are and what they may do.
    expect(json(await guard('GET', '/api/session'))).toMatchObject({
      user: 'matrix-guard',
      role: 'guard',
      cameras: ['gate'],
      lookbackMinutes: 15,
      permissions: expect.arrayContaining(['live.view', 'alerts.handle']),
    });
  });

  it('an API token does only what it was created for, and stops at once when revoked', async () => {
    const admin = as(cookies.get('admin')!);
    const created = await admin('POST', '/api/tokens', {
      name: 'door integration',
      permissions: ['alerts.handle'],
      cameras: [{ target: 'gate', rights: ['live'] }],
    });
    expect(created.status).toBe(201);
    const { secret, token } = json(created) as unknown as { secret: string; token: { id: string } };
    expect(secret).toMatch(/^vgt_/);
    // The secret is shown once: the list never holds it.
    expect((await admin('GET', '/api/tokens')).body).not.toContain(secret.slice(-20));
    const bearer = (path: string) => rawRequest(app.url, 'GET', path, { authorization: `Bearer ${secret}` });
    expect((await bearer('/api/incidents')).status).toBe(200);
    expect((await bearer('/api/cameras')).status).toBe(403);
    expect(json(await bearer('/api/session'))).toMatchObject({
      user: 'token:door integration',
      role: 'token',
    });
    expect((await admin('DELETE', `/api/tokens/${token.id}`)).status).toBe(204);
    expect((await bearer('/api/incidents')).status).toBe(401);
  });
});

describe('camera rights apply to everything the backend answers', () => {
  const now = Date.now();
  const event = (id: string, cameraId: string, startTs: number): VigilEvent => ({
    id,
    cameraId,
    label: 'person',
    phase: 'end',
    startTs,
    lastTs: startTs + 1000,
    endTs: startTs + 1000,
    topScore: 0.9,
    box: [0.1, 0.1, 0.3, 0.6],
    zones: [],
    path: [],
  });
  const alert = (id: string, e: VigilEvent): VigilAlert => ({
    id,
    ruleId: 'r1',
    ruleName: 'Person',
    eventId: e.id,
    cameraId: e.cameraId,
    label: 'person',
    severity: 'warning',
    state: 'new',
    raisedTs: e.startTs + 500,
  });
  const gateNow = event('scope-gate-now', 'gate', now - 60_000);
  const yardNow = event('scope-yard-now', 'yard', now - 60_000);
  const gateOld = event('scope-gate-old', 'gate', now - 3 * 3_600_000);

  beforeAll(async () => {
    for (const e of [gateNow, yardNow, gateOld]) await app.bus.publish(Topics.events, e.cameraId, e);
    for (const e of [gateNow, yardNow])
      await app.bus.publish(Topics.alerts, e.cameraId, alert(`${e.id}-alert`, e));
    await app.bus.drain();
  });

  it('a guard of one camera never learns another exists: search, facets, details, alerts, counts', async () => {
    const guard = as(cookies.get('guard')!);
    const found = json(await guard('GET', '/api/events'));
    expect((found.items as VigilEvent[]).map((e) => e.id)).toEqual(['scope-gate-now']);
    expect(found.total).toBe(1);
    const facets = json(await guard('GET', '/api/events/facets'));
    expect(JSON.stringify(facets)).not.toContain('yard');
    // Another camera's event answers exactly as one that does not exist.
    const hidden = await guard('GET', '/api/events/scope-yard-now');
    const missing = await guard('GET', '/api/events/no-such-event');
    expect(hidden.status).toBe(404);
    expect(hidden.body.replace('scope-yard-now', 'ID')).toBe(missing.body.replace('no-such-event', 'ID'));
    expect((await guard('GET', '/api/events/scope-yard-now/snapshot.jpg')).status).toBe(404);
    const alerts = json(await guard('GET', '/api/alerts')) as unknown as VigilAlert[];
    expect(alerts.map((a) => a.cameraId)).toEqual(['gate']);
    expect((await guard('POST', '/api/alerts/scope-yard-now-alert/ack', {})).status).toBe(404);
    expect(JSON.stringify(json(await guard('GET', '/api/stats/live')))).not.toContain('yard');
    // The administrator sees both.
    const all = json(await as(cookies.get('admin')!)('GET', '/api/events'));
    expect((all.items as VigilEvent[]).map((e) => e.id).sort()).toEqual([
      'scope-gate-now',
      'scope-gate-old',
      'scope-yard-now',
    ]);
  });

  it('a guard looks back 15 minutes, no further; an investigator searches the archive of their cameras', async () => {
    const guard = as(cookies.get('guard')!);
    const hourAgo = now - 3_600_000;
    const refused = await guard('GET', `/api/events?from=${hourAgo}`);
    expect(refused.status).toBe(403);
    expect(json(refused).message).toMatch(/look back 15 minutes/);
    expect((await guard('GET', '/api/events/scope-gate-old')).status).toBe(403);
    const investigator = as(cookies.get('investigator')!);
    const archive = json(await investigator('GET', `/api/events?from=${now - 4 * 3_600_000}`));
    expect((archive.items as VigilEvent[]).map((e) => e.id).sort()).toEqual([
      'scope-gate-now',
      'scope-gate-old',
    ]);
    // Not another camera's, and no export of it.
    expect((await investigator('GET', '/api/events/scope-yard-now')).status).toBe(404);
    const exportYard = await investigator('POST', '/api/export', {
      cameraIds: ['yard'],
      from: now - 60_000,
      to: now,
      reason: 'checking the yard',
      caseNumber: 'C-1',
    });
    expect(exportYard.status).toBe(404);
  });

  it('live messages of another camera never reach a guard’s socket', async () => {
    const received: string[] = [];
    const ws = new WebSocket(`${app.url.replace(/^http/, 'ws')}/api/ws`, {
      headers: { cookie: cookies.get('guard')!, origin: app.url },
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.on('message', (m: Buffer) => {
      const msg = JSON.parse(m.toString()) as { kind: string; data: { cameraId: string } };
      if (msg.kind === 'detections') received.push(msg.data.cameraId);
    });
    for (const cameraId of ['yard', 'gate']) {
      const frame: FrameDetections = {
        cameraId,
        ts: Date.now(),
        width: 640,
        height: 360,
        detections: [{ label: 'person', score: 0.9, box: [0.1, 0.1, 0.2, 0.4] }],
      } as unknown as FrameDetections;
      await app.bus.publish(Topics.detections, cameraId, frame);
    }
    await app.bus.drain();
    await new Promise((r) => setTimeout(r, 300));
    ws.close();
    expect(received).toEqual(['gate']);
  });

  it('removing a person ends their sessions at once', async () => {
    const cookie = await signIn('leaver', 'guard', ['gate']);
    expect((await as(cookie)('GET', '/api/session')).status).toBe(200);
    await ensureAccount({ url: app.url, token: app.auth.token }, { user: 'leaver', role: 'guard' });
    expect((await as(cookies.get('admin')!)('DELETE', '/api/users/leaver')).status).toBe(204);
    expect((await as(cookie)('GET', '/api/session')).status).toBe(401);
  });
});
