import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempPeople } from '../../../test/fixtures/people.js';
import { SessionAuth } from '../api/auth.js';
import { ApiServer } from '../api/server.js';
import type { EventDetail } from '../contract/events-api.js';
import { MINUTE_MS } from '../contract/store.js';
import { makeEvent, solidJpeg } from '../../../test/contracts/event-store.js';
import { eventRoutes } from './routes.js';
import { SqliteEventStore } from './sqlite-store.js';
import { AuditRecorder, logWriter } from '../audit/recorder.js';
import { auditRoutes } from '../audit/routes.js';
import { SqliteAuditLog } from '../audit/sqlite-audit-log.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-routes-'));
const store = new SqliteEventStore({
  file: path.join(dir, 'events.db'),
  cameraName: (id) => (id === 'cam-a' ? 'Loading dock' : undefined),
});
const auditLog = new SqliteAuditLog({ file: path.join(dir, 'audit.db') });
const auth = new SessionAuth();
const retainCalls: Array<[string, boolean]> = [];
let failHolds = false;
const server = new ApiServer({
  host: '127.0.0.1',
  port: 0,
  auth,
  people: tempPeople(),
  mode: 'local',
  routes: [
    auditRoutes({ log: auditLog }),
    eventRoutes({
      store,
      audit: new AuditRecorder(logWriter(() => auditLog)),
      retain: {
        onRetainChanged: (event: EventDetail, retained: boolean) => {
          if (failHolds) throw new Error('video store unreachable');
          retainCalls.push([event.id, retained]);
        },
      },
    }),
  ],
});

async function api(method: string, url: string, body?: unknown) {
  const res = await fetch(`${server.url}${url}`, {
    method,
    headers: {
      authorization: `Bearer ${auth.token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const type = res.headers.get('content-type') ?? '';
  const data: unknown = type.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer());
  // JSON of many shapes: the assertions check them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, type, data: data as any };
}

beforeAll(async () => {
  await server.start();
  const now = Date.now();
  await store.upsertEvents([
    makeEvent({
      id: 'ev-1',
      startTs: now - 5 * MINUTE_MS,
      zones: ['gate'],
      snapshot: { ts: now, score: 0.7, cropJpeg: solidJpeg(200, 10, 10) },
    }),
    makeEvent({ id: 'ev-2', startTs: now - 4 * MINUTE_MS, label: 'car', cameraId: 'cam-b' }),
    makeEvent({ id: 'ev-3', startTs: now - 3 * MINUTE_MS }),
  ]);
  await store.alerts.upsertAlerts([
    {
      id: 'al-1',
      ruleId: 'r',
      ruleName: 'Night',
      eventId: 'ev-1',
      cameraId: 'cam-a',
      label: 'person',
      severity: 'critical',
      state: 'new',
      raisedTs: now,
    },
  ]);
});
afterAll(async () => {
  await server.dispose();
  await store.dispose();
  await auditLog.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('event store HTTP API', () => {
  it('searches, pages, counts facets and a histogram, and records searches in the audit log', async () => {
    const page1 = await api('GET', '/api/events?limit=2');
    expect(page1.status).toBe(200);
    expect(page1.data.items.map((i: { id: string }) => i.id)).toEqual(['ev-3', 'ev-2']);
    expect(page1.data.total).toBe(3);
    const page2 = await api('GET', `/api/events?limit=2&cursor=${page1.data.nextCursor as string}`);
    expect(page2.data.items.map((i: { id: string }) => i.id)).toEqual(['ev-1']);
    expect(page2.data.nextCursor).toBeUndefined();
    expect((await api('GET', '/api/events?labels=car&cameras=cam-b')).data.items).toHaveLength(1);
    expect((await api('GET', '/api/events?q=loading%20dock')).data.total).toBe(2);
    expect((await api('GET', '/api/events/facets')).data).toEqual({
      labels: { person: 2, car: 1 },
      cameras: { 'cam-a': 2, 'cam-b': 1 },
      zones: { gate: 1 },
    });
    const hist = await api('GET', `/api/events/histogram?from=${Date.now() - 3_600_000}`);
    expect(hist.data.interval).toBe('minute');
    expect((hist.data.buckets as Array<{ count: number }>).reduce((n, b) => n + b.count, 0)).toBe(3);
    const audit = await api('GET', '/api/audit?limit=5');
    expect(audit.data.entries[0]).toMatchObject({
      actor: 'instance-token',
      action: 'search',
      detail: { q: 'loading dock' },
    });
  });

  it('shows an event, serves its snapshot, and records the view', async () => {
    const detail = await api('GET', '/api/events/ev-1');
    expect(detail.status).toBe(200);
    expect(detail.data).toMatchObject({
      id: 'ev-1',
      cameraName: 'Loading dock',
      hasSnapshot: true,
      notes: [],
      retained: false,
    });
    const jpg = await api('GET', '/api/events/ev-1/snapshot.jpg?kind=crop');
    expect(jpg.status).toBe(200);
    expect(jpg.type).toBe('image/jpeg');
    expect([...(jpg.data as unknown as Buffer).subarray(0, 2)]).toEqual([0xff, 0xd8]);
    expect((await api('GET', '/api/events/ev-1/snapshot.jpg?kind=frame')).status).toBe(404);
    expect((await api('GET', '/api/events/ev-1/snapshot.jpg?kind=raw')).data).toMatchObject({
      field: 'kind',
    });
    expect((await api('GET', '/api/events/nope')).status).toBe(404);
    expect((await api('GET', '/api/audit?limit=1')).data.entries[0]).toMatchObject({
      action: 'view',
      target: 'ev-1',
      camera: 'cam-a',
    });
  });

  it('annotates an event and asks the video store to hold its footage when retained', async () => {
    const r = await api('PATCH', '/api/events/ev-2', {
      note: 'Plate partly visible',
      tags: ['case-7'],
      retain: true,
    });
    expect(r.status).toBe(200);
    expect(r.data).toMatchObject({
      retained: true,
      tags: ['case-7'],
      notes: [{ by: 'instance-token', text: 'Plate partly visible' }],
    });
    expect(retainCalls).toEqual([['ev-2', true]]);
    expect(
      (await api('GET', '/api/events?retained=true')).data.items.map((i: { id: string }) => i.id),
    ).toEqual(['ev-2']);
    expect((await api('GET', '/api/events?q=plate')).data.total).toBe(1);
    failHolds = true;
    const failed = await api('PATCH', '/api/events/ev-2', { retain: false });
    failHolds = false;
    expect(failed.status).toBe(502);
    expect(failed.data).toMatchObject({ error: 'hold_failed' });
    expect((await api('PATCH', '/api/events/ev-2', { retain: 'yes' })).data).toMatchObject({
      error: 'bad_request',
      field: 'retain',
    });
    expect((await api('PATCH', '/api/events/ev-2', { colour: 'red' })).data).toMatchObject({
      field: 'colour',
    });
    expect((await api('PATCH', '/api/events/missing', { retain: true })).status).toBe(404);
  });

  it('lists, acknowledges and resolves alerts', async () => {
    expect((await api('GET', '/api/alerts?state=new')).data.map((a: { id: string }) => a.id)).toEqual([
      'al-1',
    ]);
    const ack = await api('POST', '/api/alerts/al-1/ack', { by: 'guard-2' });
    expect(ack.data).toMatchObject({
      state: 'acknowledged',
      acknowledgedBy: 'guard-2',
      acknowledgedTs: expect.any(Number),
    });
    expect((await api('POST', '/api/alerts/al-1/resolve')).data).toMatchObject({ state: 'resolved' });
    expect((await api('GET', '/api/alerts?state=resolved')).data).toHaveLength(1);
    expect((await api('GET', '/api/alerts?state=closed')).data).toMatchObject({ field: 'state' });
    expect((await api('POST', '/api/alerts/none/ack', {})).status).toBe(404);
  });

  it('saves searches (refusing invalid ones) and reports live counters', async () => {
    const created = await api('POST', '/api/saved-searches', {
      name: 'Cars at the dock',
      query: { labels: 'car', cameras: 'cam-a' },
    });
    expect(created.status).toBe(201);
    expect((await api('GET', '/api/saved-searches')).data).toEqual([created.data]);
    expect(
      (await api('POST', '/api/saved-searches', { name: 'Bad', query: { minScore: '7' } })).data,
    ).toMatchObject({ field: 'query.minScore' });
    expect((await api('DELETE', `/api/saved-searches/${created.data.id as string}`)).status).toBe(204);
    expect((await api('DELETE', `/api/saved-searches/${created.data.id as string}`)).status).toBe(404);
    const live = await api('GET', '/api/stats/live');
    expect(live.data).toMatchObject({
      source: 'store',
      total: expect.any(Number),
      minuteTs: expect.any(Number),
    });
  });

  it('answers hostile queries with a 400 naming the field, never a stack trace or SQL', async () => {
    const cases: Array<[string, string]> = [
      ['limit=100000', 'limit'],
      ['limit=0', 'limit'],
      ['limit=-5', 'limit'],
      ['from=2000&to=1000', 'from'],
      ['from=yesterday', 'from'],
      ['to=1e20', 'to'],
      ['minScore=2', 'minScore'],
      ['minScore=0.5);DROP%20TABLE%20events', 'minScore'],
      ['sort=random', 'sort'],
      ['hasSnapshot=maybe', 'hasSnapshot'],
      ['colour=red', 'colour'],
      ['__proto__=x', '__proto__'],
      ['cursor=not-a-cursor', 'cursor'],
      [`q=${encodeURIComponent('"*()')}`, 'q'],
      [`q=${'a'.repeat(500)}`, 'q'],
      ['from=1&from=2', 'from'],
    ];
    for (const [qs, field] of cases) {
      const r = await api('GET', `/api/events?${qs}`);
      expect({ qs, status: r.status, field: r.data.field }).toEqual({ qs, status: 400, field });
      const text = JSON.stringify(r.data);
      expect(text).not.toMatch(/sqlite|SELECT|\bat \w+ \(|node_modules|\.ts:\d+/i);
      expect(r.data.error).toBe('bad_request');
    }
    for (const qs of [
      `q=${encodeURIComponent(`"; DROP TABLE events; --`)}`,
      `q=${encodeURIComponent('gate" OR "1"="1')}`,
      `q=${encodeURIComponent('NEAR(gate person) label:* ^x')}`,
      `cameras=${encodeURIComponent(`cam-a') OR 1=1 --`)}`,
      `labels=${encodeURIComponent(`person"; DELETE FROM events`)}`,
    ]) {
      const r = await api('GET', `/api/events?${qs}`);
      expect(r.status).toBe(200);
      expect(r.data.items).toEqual([]);
    }
    expect((await api('GET', '/api/events')).data.total).toBe(3);
    expect((await api('GET', '/api/events/facets?limit=9999')).data).toMatchObject({ field: 'limit' });
    expect((await api('GET', '/api/audit?limit=99999')).data).toMatchObject({ field: 'limit' });
  });
});
