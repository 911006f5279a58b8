import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInCookie, tempPeople } from '../../../test/fixtures/people.js';
import { SessionAuth } from '../api/auth.js';
import { ApiServer } from '../api/server.js';
import { AuditRecorder, logWriter } from '../audit/recorder.js';
import { SqliteAuditLog } from '../audit/sqlite-audit-log.js';
import { MemoryBus } from '../bus/memory-bus.js';
import { Topics } from '../contract/bus.js';
import type { VigilEvent } from '../contract/events.js';
import type { SightingsResponse } from '../contract/events-api.js';
import type { NewUserBody } from '../contract/people.js';
import { MINUTE_MS } from '../contract/store.js';
import { makeEvent } from '../../../test/contracts/event-store.js';
import { SqliteEventStore } from '../store/sqlite-store.js';
import { axisVector } from '../../../test/contracts/appearance-index.js';
import { AppearanceIndexer } from './indexer.js';
import { sightingRoutes } from './routes.js';
import { SqliteAppearanceIndex } from './sqlite-index.js';

const PASSWORD = 'a long enough password';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-sightings-'));
const store = new SqliteEventStore({
  file: path.join(dir, 'events.db'),
  cameraName: (id) => ({ left: 'Plaza west', right: 'Plaza east' })[id],
});
const index = new SqliteAppearanceIndex(path.join(dir, 'appearance.db'));
const bus = new MemoryBus();
const indexer = new AppearanceIndexer({ bus, index: () => index, group: 'appearance' });
const auditLog = new SqliteAuditLog({ file: path.join(dir, 'audit.db'), checkpointIntervalMs: 0 });
const people = tempPeople();
const auth = new SessionAuth();
const server = new ApiServer({
  host: '127.0.0.1',
  port: 0,
  auth,
  people,
  mode: 'local',
  routes: [
    sightingRoutes({
      store: () => store,
      index: () => index,
      audit: new AuditRecorder(logWriter(() => auditLog)),
    }),
  ],
});

const rights = (...cams: string[]) =>
  cams.map((target) => ({ target, rights: ['live' as const, 'recordings' as const] }));
const ACCOUNTS: NewUserBody[] = [
  { name: 'inv', role: 'investigator', password: PASSWORD, cameras: rights('*') },
  { name: 'inv-plaza', role: 'investigator', password: PASSWORD, cameras: rights('left', 'right') },
  { name: 'inv-east', role: 'investigator', password: PASSWORD, cameras: rights('right') },
  // A guard sees recent events (the default 15-minute look-back) of the cameras granted `live`.
  {
    name: 'guard',
    role: 'guard',
    password: PASSWORD,
    cameras: ['left', 'right'].map((target) => ({ target, rights: ['live' as const] })),
  },
];
const cookies = new Map<string, string>();

async function as(user: string, url: string) {
  const res = await fetch(`${server.url}${url}`, { headers: { cookie: cookies.get(user) ?? '' } });
  // JSON of many shapes: the assertions check them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, data: (await res.json()) as any };
}

const now = Date.now();
const at = (min: number) => now - 120 * MINUTE_MS + min * MINUTE_MS;
/** A person in red and blue, as the detection stage sends it: with a snapshot time and a descriptor. */
function seen(
  id: string,
  cameraId: string,
  min: number,
  vector: number[] | undefined,
  label = 'person',
): VigilEvent {
  return makeEvent({
    id,
    cameraId,
    label,
    startTs: at(min),
    lastTs: at(min) + 20_000,
    snapshot: { ts: at(min) + 5_000, score: 0.8 },
    ...(vector ? { appearance: { v: 1, vector } } : {}),
  });
}
const look = axisVector(5);
const EVENTS = [
  seen('source', 'left', 0, look),
  seen('east-same', 'right', 3, axisVector(5, 6, 0.15)),
  seen('east-other', 'right', 4, axisVector(20)),
  seen('east-later', 'right', 70, look), // outside the default window (30 min either side)
  seen('east-car', 'right', 2, look, 'car'),
  seen('west-again', 'left', 10, axisVector(5, 7, 0.3)),
  seen('vault', 'vault', 5, axisVector(5, 8, 0.2)),
  seen('no-look', 'left', 1, undefined),
  // Recent ones, inside a guard's look-back; one started before it though last seen (and snapshotted) inside it.
  seen('recent-west', 'left', 115, look),
  seen('recent-east', 'right', 116, axisVector(5, 6, 0.2)),
  { ...seen('long-east', 'right', 100, look), snapshot: { ts: at(117), score: 0.9 }, lastTs: at(118) },
];

beforeAll(async () => {
  await server.start();
  await indexer.start();
  for (const a of ACCOUNTS) {
    await people.addUser(a, 'test');
    cookies.set(a.name, await signInCookie(server.url, a.name, PASSWORD));
  }
  await store.upsertEvents(EVENTS);
  // Descriptors reach the index the way they do in the app: on the events topic.
  for (const e of EVENTS) await bus.publish(Topics.events, e.cameraId, e);
  await bus.drain();
});

afterAll(async () => {
  await indexer.dispose();
  await server.dispose();
  await bus.dispose();
  await index.dispose();
  await store.dispose();
  await auditLog.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('GET /api/events/:id/sightings', () => {
  it('ranks people on other cameras by likeness within 30 minutes of the event, with their summaries', async () => {
    const res = await as('inv', '/api/events/source/sightings');
    expect(res.status).toBe(200);
    const body = res.data as SightingsResponse;
    expect(body.eventId).toBe('source');
    expect(body.hasDescriptor).toBe(true);
    expect(body.items.map((s) => s.event.id)).toEqual(['east-same', 'vault', 'east-other']);
    expect(body.items[0]?.event).toMatchObject({
      cameraId: 'right',
      cameraName: 'Plaza east',
      label: 'person',
    });
    expect(body.items[0]?.score).toBeGreaterThan(0.95);
    expect(body.items[2]?.score).toBeLessThan(0.3);
    const scores = body.items.map((s) => s.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('includes the same camera when asked, and keeps to an explicit window and limit', async () => {
    const same = await as('inv-plaza', '/api/events/source/sightings?sameCamera=1&limit=2');
    expect(same.data.items.map((s: { event: { id: string } }) => s.event.id)).toEqual([
      'east-same',
      'west-again',
    ]);
    const late = await as('inv', `/api/events/source/sightings?from=${at(60)}&to=${at(80)}`);
    expect(late.data.items.map((s: { event: { id: string } }) => s.event.id)).toEqual(['east-later']);
  });

  it('shows only the cameras the caller may see, and hides an event of a hidden camera like a missing one', async () => {
    const plaza = await as('inv-plaza', '/api/events/source/sightings');
    expect(plaza.data.items.map((s: { event: { id: string } }) => s.event.id)).toEqual([
      'east-same',
      'east-other',
    ]);
    const hidden = await as('inv-east', '/api/events/source/sightings');
    const missing = await as('inv-east', '/api/events/nothing-here/sightings');
    expect(hidden.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(hidden.data.message).toBe('Event "source" does not exist');
    expect(missing.data.message).toBe('Event "nothing-here" does not exist');
  });

  it('keeps a guard within the look-back: recent sightings only, an older event refused', async () => {
    const recent = await as('guard', '/api/events/recent-west/sightings');
    expect(recent.status).toBe(200);
    expect(recent.data.items.map((s: { event: { id: string } }) => s.event.id)).toEqual(['recent-east']);
    const inv = await as('inv-plaza', '/api/events/recent-west/sightings');
    expect(inv.data.items.map((s: { event: { id: string } }) => s.event.id)).toContain('long-east');
    expect((await as('guard', '/api/events/source/sightings')).status).toBe(403);
    expect((await as('guard', `/api/events/recent-west/sightings?from=${at(0)}`)).status).toBe(403);
  });

  it('says when the event has no descriptor to compare', async () => {
    const res = await as('inv', '/api/events/no-look/sightings');
    expect(res.data).toEqual({ eventId: 'no-look', hasDescriptor: false, items: [] });
  });

  it('refuses bad parameters with a message naming them', async () => {
    for (const q of ['limit=0', 'limit=51', 'from=yesterday', 'sameCamera=yes', 'colour=red']) {
      const res = await as('inv', `/api/events/source/sightings?${q}`);
      expect(res.status, q).toBe(400);
    }
    const reversed = await as('inv', `/api/events/source/sightings?from=${at(10)}&to=${at(0)}`);
    expect(reversed.status).toBe(400);
    expect(reversed.data.message).toContain('to must not be before from');
  });

  it('records the search in the audit log', async () => {
    await as('inv-plaza', '/api/events/source/sightings');
    const entry = (await auditLog.list({ action: 'search', actor: 'inv-plaza', limit: 5 })).entries[0];
    expect(entry).toMatchObject({ action: 'search', target: 'source', camera: 'left' });
    expect(entry?.detail).toMatchObject({ sightingsOf: 'source', sameCamera: false });
  });
});
