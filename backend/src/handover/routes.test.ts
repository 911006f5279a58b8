import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditRecorder, logWriter } from '../audit/recorder.js';
import { SqliteAuditLog } from '../audit/sqlite-audit-log.js';
import { signInCookie, tempPeople } from '../../../test/fixtures/people.js';
import { SessionAuth } from '../api/auth.js';
import { ApiServer } from '../api/server.js';
import { MemoryBus } from '../bus/memory-bus.js';
import { Topics } from '../contract/bus.js';
import type { Handover, HandoverDraft, HandoverListResponse } from '../contract/handover.js';
import type { NewUserBody } from '../contract/people.js';
import { makeIncident } from '../../../test/contracts/event-store.js';
import { SqliteEventStore } from '../store/sqlite-store.js';
import { CameraOutageRecorder } from './outages.js';
import { handoverRoutes } from './routes.js';
import { SqliteHandoverStore } from './sqlite-store.js';

const HOUR = 3600_000;
const PASSWORD = 'a long enough password';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-handover-routes-'));
const store = new SqliteEventStore({ file: path.join(dir, 'events.db') });
const handovers = new SqliteHandoverStore(path.join(dir, 'handovers.db'));
const bus = new MemoryBus();
const recorder = new CameraOutageRecorder({ bus, store: handovers, group: 'test.outages' });
const people = tempPeople();
// The audit log every handover lands in (a real chained log; checkpoints are not what this test is about).
const auditLog = new SqliteAuditLog({ file: path.join(dir, 'audit.db'), checkpointIntervalMs: 0 });
const audit = new AuditRecorder(logWriter(() => auditLog));
const auth = new SessionAuth();
// The shift runs on a clock the test moves: sign-ins happen now, the shift ends eight hours later.
const start = Date.now();
let offset = 0;
const clock = () => Date.now() + offset;
const server = new ApiServer({
  host: '127.0.0.1',
  port: 0,
  auth,
  people,
  mode: 'local',
  routes: [handoverRoutes({ handovers, store: () => store, people, audit, now: clock })],
});

const grant = (...cams: string[]) => cams.map((target) => ({ target, rights: ['live' as const] }));
const ACCOUNTS: NewUserBody[] = [
  // Night team: A watches the gate and the yard, B takes over the gate; their supervisor.
  {
    name: 'guard-a',
    displayName: 'Ada Night',
    role: 'guard',
    team: 'night',
    password: PASSWORD,
    cameras: grant('gate', 'yard'),
  },
  {
    name: 'guard-b',
    displayName: 'Ben Night',
    role: 'guard',
    team: 'night',
    password: PASSWORD,
    cameras: grant('gate'),
  },
  { name: 'sup-night', role: 'supervisor', team: 'night', password: PASSWORD, cameras: grant('*') },
  // Day team: a guard of the dock only, and their supervisor.
  { name: 'guard-c', role: 'guard', team: 'day', password: PASSWORD, cameras: grant('dock') },
  { name: 'sup-day', role: 'supervisor', team: 'day', password: PASSWORD, cameras: grant('dock') },
  { name: 'inv', role: 'investigator', password: PASSWORD, cameras: grant('*') },
  { name: 'boss', role: 'admin', password: PASSWORD, cameras: [] },
];
const cookies = new Map<string, string>();

async function signIn(name: string): Promise<void> {
  cookies.set(name, await signInCookie(server.url, name, PASSWORD));
}

async function as(user: string, method: string, url: string, body?: unknown) {
  const res = await fetch(`${server.url}${url}`, {
    method,
    headers: {
      cookie: cookies.get(user) ?? '',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  // JSON of many shapes: the assertions check them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, data: (await res.json().catch(() => undefined)) as any };
}

const listOf = async (user: string) =>
  ((await as(user, 'GET', '/api/handovers')).data as HandoverListResponse).handovers;

beforeAll(async () => {
  await server.start();
  await recorder.start();
  for (const a of ACCOUNTS) {
    await people.addUser(a, 'test');
    await signIn(a.name);
  }
  await store.incidents.upsertIncidents([
    // Before the shift, still open on the gate.
    makeIncident({ id: 'gate-old', cameraId: 'gate', startTs: start - 3 * HOUR }),
    makeIncident({ id: 'gate-1', cameraId: 'gate', startTs: start + HOUR, severity: 'critical' }),
    makeIncident({ id: 'yard-1', cameraId: 'yard', startTs: start + 2 * HOUR }),
    makeIncident({ id: 'dock-1', cameraId: 'dock', startTs: start + 2 * HOUR }),
  ]);
  await store.incidents.actOnIncident('gate-1', {
    kind: 'acknowledge',
    by: 'guard-a',
    ts: start + HOUR + 60_000,
    note: 'van at the gate, driver known',
  });
  await store.incidents.actOnIncident('yard-1', {
    kind: 'resolve',
    by: 'guard-a',
    ts: start + 2 * HOUR + 60_000,
    note: 'fox, not a person',
  });
  // The dock's incident is handled by someone else: it is not guard A's.
  await store.incidents.actOnIncident('dock-1', { kind: 'resolve', by: 'guard-c', ts: start + 3 * HOUR });
  // Health as the cameras report it on the bus: the gate down for 30 min; the yard down since 7 h in; the dock too.
  const health = (id: string, state: string, since: number, reason?: string) =>
    bus.publish(Topics.health, id, {
      id,
      name: id.toUpperCase(),
      state,
      since,
      ...(reason ? { reason } : {}),
    });
  await health('gate', 'reconnecting', start + 4 * HOUR, 'connection refused at 10.0.0.7:554');
  await health('gate', 'reconnecting', start + 4 * HOUR + 5000, 'no route to host 10.0.0.7');
  await health('gate', 'streaming', start + 4.5 * HOUR);
  await health('yard', 'failed', start + 7 * HOUR, 'wrong password');
  await health('dock', 'reconnecting', start + 5 * HOUR, 'cable cut');
  offset = 8 * HOUR;
  // The memory bus delivers asynchronously: wait for the last message to be recorded.
  for (let i = 0; i < 100 && (await handovers.outages(0, Infinity, ['dock'])).length === 0; i++)
    await new Promise((r) => setTimeout(r, 20));
});

afterAll(async () => {
  await recorder.dispose();
  await server.dispose();
  await bus.dispose();
  await store.dispose();
  await handovers.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('handover routes', () => {
  let handover: Handover;

  it('prepare a guard’s shift: incidents they handled with notes, open ones and outages, only on their cameras', async () => {
    const r = await as('guard-a', 'GET', '/api/handovers/draft');
    expect(r.status).toBe(200);
    const draft = r.data as HandoverDraft;
    expect(draft.notes).toBe('');
    expect(draft.summary.cameras).toEqual(['gate', 'yard']);
    // The shift began when guard A signed in.
    expect(draft.summary.fromTs).toBeGreaterThanOrEqual(start);
    expect(draft.summary.fromTs).toBeLessThan(start + 60_000);
    expect(draft.summary.handled.map((i) => [i.id, i.action, i.note])).toEqual([
      ['yard-1', 'resolved', 'fox, not a person'],
      ['gate-1', 'acknowledged', 'van at the gate, driver known'],
    ]);
    expect(draft.summary.open.map((i) => [i.id, i.state]).sort()).toEqual([
      ['gate-1', 'acknowledged'],
      ['gate-old', 'new'],
    ]);
    expect(draft.summary.outages).toEqual([
      {
        cameraId: 'yard',
        cameraName: 'YARD',
        fromTs: start + 7 * HOUR,
        downMs: expect.any(Number),
        reason: 'wrong password',
      },
      {
        cameraId: 'gate',
        cameraName: 'GATE',
        fromTs: start + 4 * HOUR,
        toTs: start + 4.5 * HOUR,
        downMs: 0.5 * HOUR,
        reason: 'no route to host 10.0.0.7',
      },
    ]);
    // Still down: from 7 h in until now (the test's own set-up time on top of the hour).
    expect(draft.summary.outages[0]!.downMs).toBeGreaterThanOrEqual(HOUR);
    expect(draft.summary.outages[0]!.downMs).toBeLessThan(HOUR + 120_000);
    expect(draft.summary.outages[0]!.toTs).toBeUndefined();
  });

  it('are not for a role without shifts, and refuse notes that are too long', async () => {
    expect((await as('inv', 'GET', '/api/handovers/draft')).status).toBe(403);
    expect((await as('inv', 'GET', '/api/handovers')).status).toBe(403);
    expect((await as('inv', 'POST', '/api/handovers', { notes: 'x' })).status).toBe(403);
    const long = await as('guard-a', 'POST', '/api/handovers', { notes: 'x'.repeat(4001) });
    expect(long).toMatchObject({ status: 400, data: { field: 'notes' } });
  });

  it('end the shift with the summary and the notes, audited', async () => {
    const r = await as('guard-a', 'POST', '/api/handovers', {
      notes: '  Gate latch sticks; yard camera needs a visit. ',
    });
    expect(r.status).toBe(201);
    handover = r.data as Handover;
    expect(handover).toMatchObject({
      author: 'guard-a',
      authorName: 'Ada Night',
      team: 'night',
      notes: 'Gate latch sticks; yard camera needs a visit.',
    });
    expect(handover.summary.handled).toHaveLength(2);
    expect(handover.summary.outages).toHaveLength(2);
    const [entry] = (await auditLog.list({ limit: 1 })).entries;
    expect(entry).toMatchObject({
      actor: 'guard-a',
      action: 'handover',
      target: handover.id,
      detail: { kind: 'end-shift', handled: 2, open: 2, outages: 2 },
    });
    // The next shift of guard A starts at this handover.
    offset += HOUR;
    const next = (await as('guard-a', 'GET', '/api/handovers/draft')).data as HandoverDraft;
    expect(next.summary.fromTs).toBe(handover.createdTs);
    expect(next.summary.handled).toEqual([]);
    offset -= HOUR;
  });

  it('wait for the next guard of those cameras, not for a guard of other cameras', async () => {
    const b = await listOf('guard-b');
    expect(b.map((h) => [h.id, h.awaitingYou])).toEqual([[handover.id, true]]);
    expect(await listOf('guard-c')).toEqual([]);
    // Another team's guard cannot find it; its author cannot acknowledge their own.
    const bare = await as('guard-c', 'POST', `/api/handovers/${handover.id}/ack`);
    expect(bare.status).toBe(404);
    expect(await as('guard-a', 'POST', `/api/handovers/${handover.id}/ack`, {})).toMatchObject({
      status: 403,
      data: { message: expect.stringMatching(/own handover/) },
    });
    const own = await listOf('guard-a');
    expect(own.map((h) => [h.id, h.awaitingYou])).toEqual([[handover.id, false]]);
  });

  it('show every unacknowledged handover to any supervisor', async () => {
    expect((await listOf('sup-day')).map((h) => h.id)).toEqual([handover.id]);
    expect((await listOf('sup-night')).map((h) => h.id)).toEqual([handover.id]);
    // The administrator sees it, but it does not wait for them (every camera is theirs).
    expect((await listOf('boss')).map((h) => [h.id, h.awaitingYou])).toEqual([[handover.id, false]]);
  });

  it('are acknowledged once by the next guard, with a note, audited', async () => {
    const r = await as('guard-b', 'POST', `/api/handovers/${handover.id}/ack`, {
      note: 'will check the latch',
    });
    expect(r.status).toBe(200);
    expect(r.data).toMatchObject({
      acknowledgedBy: 'guard-b',
      acknowledgedName: 'Ben Night',
      ackNote: 'will check the latch',
    });
    const [entry] = (await auditLog.list({ limit: 1 })).entries;
    expect(entry).toMatchObject({
      actor: 'guard-b',
      action: 'handover',
      target: handover.id,
      detail: { kind: 'acknowledge', author: 'guard-a', note: 'will check the latch' },
    });
    expect(await as('sup-night', 'POST', `/api/handovers/${handover.id}/ack`, {})).toMatchObject({
      status: 409,
      data: { message: 'Ben Night acknowledged this handover already.' },
    });
  });

  it('once acknowledged, stay with their team’s supervisor and the administrator, not another team’s', async () => {
    const night = await listOf('sup-night');
    expect(night.map((h) => [h.id, h.acknowledgedBy, h.awaitingYou])).toEqual([
      [handover.id, 'guard-b', false],
    ]);
    expect(await listOf('sup-day')).toEqual([]);
    expect((await listOf('boss')).map((h) => h.id)).toEqual([handover.id]);
    expect((await listOf('guard-b')).map((h) => h.awaitingYou)).toEqual([false]);
    expect(await listOf('guard-c')).toEqual([]);
  });

  it('list unacknowledged handovers first', async () => {
    const r = await as('guard-b', 'POST', '/api/handovers', { notes: 'quiet night' });
    expect(r.status).toBe(201);
    const list = await listOf('sup-night');
    expect(list.map((h) => [h.author, h.acknowledgedTs === undefined])).toEqual([
      ['guard-b', true],
      ['guard-a', false],
    ]);
    // Guard A watches the gate too: guard B's handover waits for them.
    expect((await listOf('guard-a')).find((h) => h.author === 'guard-b')?.awaitingYou).toBe(true);
  });
});
