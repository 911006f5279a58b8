import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { z } from 'zod';
import { Topics } from '../contract/bus.js';
import type { FrameDetections } from '../contract/media.js';
import type { VigilAlert, VigilEvent } from '../contract/events.js';
import { MemoryBus } from '../bus/memory-bus.js';
import { ROUTE_PERMISSIONS } from '../contract/route-permissions.js';
import { tempPeople } from '../../../test/fixtures/people.js';
import { SessionAuth } from './auth.js';
import { RealtimeHub, classify } from './realtime.js';
import { ApiServer, type RouteModule } from './server.js';

const tmp: string[] = [];
let server: ApiServer | undefined;
let hub: RealtimeHub | undefined;
let bus: MemoryBus | undefined;
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await server?.dispose();
  await hub?.dispose();
  await bus?.dispose();
  server = hub = bus = undefined;
  for (const d of tmp.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A route with a zod-validated body, as the areas' routes declare them. */
const echoRoute: RouteModule = {
  name: 'echo',
  register(app) {
    app.post(
      '/api/test/echo',
      {
        schema: {
          body: z.strictObject({ name: z.string().min(1), fps: z.number().int().positive() }),
          response: { 200: z.object({ name: z.string(), fps: z.number() }) },
        },
      },
      async (req) => req.body as { name: string; fps: number },
    );
  },
};

async function start(hubOptions: Partial<ConstructorParameters<typeof RealtimeHub>[0]> = {}) {
  const auth = new SessionAuth();
  bus = new MemoryBus();
  hub = new RealtimeHub({ bus, ...hubOptions });
  await hub.start();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-rt-'));
  tmp.push(dir);
  server = new ApiServer({
    host: '127.0.0.1',
    port: 0,
    auth,
    people: tempPeople(),
    mode: 'local',
    rendererDir: dir,
    routes: [hub, echoRoute],
    // The test's own route says who may call it, as every route of the API does.
    routeRules: { ...ROUTE_PERMISSIONS, 'POST /api/test/echo': 'signed-in' },
  });
  await server.start();
  return { url: server.url, wsUrl: server.url.replace(/^http/, 'ws'), auth, bus, hub };
}

function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    sockets.push(ws);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (req, res) => {
      // With this listener the client leaves the refused request to us: close it.
      req.destroy();
      reject(new Error(`HTTP ${res.statusCode}`));
    });
    ws.once('error', reject);
  });
}

function nextMessages(ws: WebSocket, count: number, timeoutMs = 5000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const got: unknown[] = [];
    const timer = setTimeout(() => reject(new Error(`got ${got.length}/${count} messages`)), timeoutMs);
    ws.on('message', (data) => {
      got.push(JSON.parse(String(data)));
      if (got.length === count) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

const frame = (cameraId: string, n = 1): FrameDetections => ({
  cameraId,
  ts: 1_700_000_000_000,
  width: 768,
  height: 576,
  detections: Array.from({ length: n }, (_, i) => ({
    label: 'person',
    score: 0.9,
    box: [0.1, 0.2, 0.3, 0.4 + i / 10_000] as [number, number, number, number],
    trackId: `t${i}`,
  })),
});

const event: VigilEvent = {
  id: 'ev1',
  cameraId: 'plaza',
  label: 'person',
  phase: 'start',
  startTs: 1,
  lastTs: 2,
  topScore: 0.8,
  box: [0, 0, 0.5, 0.5],
  zones: ['gate'],
  path: [],
  snapshot: { ts: 2, score: 0.8, frameJpeg: 'AAAA', cropJpeg: 'BBBB' },
};

const alert: VigilAlert = {
  id: 'r1:ev1',
  ruleId: 'r1',
  ruleName: 'Person at the gate',
  eventId: 'ev1',
  cameraId: 'plaza',
  label: 'person',
  severity: 'critical',
  state: 'new',
  raisedTs: 3,
};

describe('realtime hub (WS /api/ws)', () => {
  it('refuses a WebSocket upgrade without the session token (401)', async () => {
    const { wsUrl } = await start();
    await expect(connect(`${wsUrl}/api/ws`)).rejects.toThrow('HTTP 401');
    await expect(
      connect(`${wsUrl}/api/ws`, { authorization: 'Bearer not-the-token-at-all' }),
    ).rejects.toThrow('HTTP 401');
  });

  it('relays detections, events, alerts and health from the bus, without snapshot bytes', async () => {
    const { wsUrl, auth, bus } = await start();
    const ws = await connect(`${wsUrl}/api/ws`, { authorization: `Bearer ${auth.token}` });
    const got = nextMessages(ws, 4);
    await bus.publish(Topics.detections, 'plaza', frame('plaza'));
    await bus.publish(Topics.events, 'plaza', event);
    await bus.publish(Topics.alerts, 'plaza', alert);
    await bus.publish(Topics.health, 'plaza', {
      id: 'plaza',
      state: 'reconnecting',
      reason: 'timeout',
      since: 5,
    });
    const messages = (await got) as Array<{ kind: string; data: Record<string, unknown> }>;
    expect(messages.map((m) => m.kind).sort()).toEqual(['alert', 'detections', 'event', 'health']);
    const ev = messages.find((m) => m.kind === 'event');
    expect(ev?.data.snapshot).toEqual({ ts: 2, score: 0.8 });
    expect(JSON.stringify(messages)).not.toContain('AAAA');
    expect(messages.find((m) => m.kind === 'health')?.data).toMatchObject({ state: 'reconnecting' });
  });

  it('drops unknown kinds and malformed messages (fail closed)', async () => {
    const { wsUrl, auth, hub, bus } = await start();
    const ws = await connect(`${wsUrl}/api/ws`, { authorization: `Bearer ${auth.token}` });
    const got = nextMessages(ws, 1);
    expect(hub.publish('config', { passwordEnv: 'X' })).toBe(0);
    expect(hub.publish('detections', { cameraId: 'plaza' })).toBe(0);
    await bus.publish(Topics.health, 'plaza', { id: 'plaza', state: 'on fire', since: 1 });
    await bus.publish(Topics.alerts, 'plaza', alert);
    const [only] = (await got) as Array<{ kind: string }>;
    expect(only?.kind).toBe('alert');
    expect(classify('__proto__', {})).toBeUndefined();
    expect(classify('toString', {})).toBeUndefined();
  });

  it('filters detections by camera when the client asks for some', async () => {
    const { wsUrl, auth, bus } = await start();
    const ws = await connect(`${wsUrl}/api/ws?cameras=dock`, { authorization: `Bearer ${auth.token}` });
    const got = nextMessages(ws, 1);
    await bus.publish(Topics.detections, 'plaza', frame('plaza'));
    await bus.publish(Topics.detections, 'dock', frame('dock'));
    const [m] = (await got) as Array<{ data: { cameraId: string } }>;
    expect(m?.data.cameraId).toBe('dock');
  });

  it('drops detections for a client that does not read, but still delivers its alerts', async () => {
    const { wsUrl, auth, hub } = await start({
      slowClientBytes: 64 * 1024,
      maxBufferedBytes: 512 * 1024 * 1024,
    });
    const ws = await connect(`${wsUrl}/api/ws`, { authorization: `Bearer ${auth.token}` });
    // The client stops reading: the server's socket buffer fills up.
    (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const big = frame('plaza', 400); // ≈ 40 KB of JSON
    let sent = 0;
    let dropped = 0;
    for (let i = 0; i < 600; i++) {
      if (hub.publish('detections', big)) sent++;
      else dropped++;
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    expect(dropped).toBeGreaterThan(0);
    expect(sent).toBeLessThan(600);
    expect(hub.publish('alert', alert)).toBe(1);
    // Once the client reads again it receives what was sent, the alert last.
    const kinds: string[] = [];
    const done = new Promise<void>((resolve) =>
      ws.on('message', (d) => {
        const k = (JSON.parse(String(d)) as { kind: string }).kind;
        kinds.push(k);
        if (k === 'alert') resolve();
      }),
    );
    (ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await done;
    expect(kinds.filter((k) => k === 'detections')).toHaveLength(sent);
  });
});

describe('API infrastructure', () => {
  it('serves Prometheus metrics with the API latency histogram, only with the token', async () => {
    const { url, auth } = await start();
    await fetch(`${url}/api/session`, { headers: { authorization: `Bearer ${auth.token}` } });
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${auth.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/vigil_api_request_duration_seconds_bucket\{.*route="\/api\/session".*\}/);
    expect(text).toContain('vigil_ws_clients');
    expect(text).toContain('process_cpu_seconds_total');
  });

  it('validates requests with zod and names the offending field', async () => {
    const { url, auth } = await start();
    const post = (body: unknown) =>
      fetch(`${url}/api/test/echo`, {
        method: 'POST',
        headers: { authorization: `Bearer ${auth.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const ok = await post({ name: 'dock', fps: 10 });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ name: 'dock', fps: 10 });
    const bad = await post({ name: 'dock', fps: -3 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_request', field: 'fps' });
  });

  it('serves the OpenAPI document describing zod-typed routes', async () => {
    const { url, auth } = await start();
    const res = await fetch(`${url}/api/openapi.json`, {
      headers: { authorization: `Bearer ${auth.token}` },
    });
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.paths['/api/test/echo']?.post).toMatchObject({
      requestBody: { content: { 'application/json': { schema: { required: ['name', 'fps'] } } } },
    });
    expect(doc.paths['/api/ws']).toBeUndefined();
  });
});
