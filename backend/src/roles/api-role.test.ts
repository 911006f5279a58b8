import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { tempHome } from '../../../test/fixtures/backend.js';
import {
  KAFKA_MOCK_INSTALL_HINT,
  kafkaMockAvailable,
  startKafka,
  type KafkaHandle,
} from '../../../test/fixtures/kafka.js';
import {
  REDIS_INSTALL_HINT,
  redisAvailable,
  useRedis,
  type RedisHandle,
} from '../../../test/fixtures/redis.js';
import { skipWithout } from '../../../test/fixtures/require.js';
import { KafkaBus } from '../bus/kafka-bus.js';
import { MemoryBus } from '../bus/memory-bus.js';
import { Topics } from '../contract/bus.js';
import { VigilConfig, type VigilConfigInput } from '../contract/config.js';
import type { EventDetail, EventSearchResponse } from '../contract/events-api.js';
import type { VigilAlert, VigilEvent } from '../contract/events.js';
import type { CachedEventStore } from '../store/cached-store.js';
import type { EventStoreService } from '../store/service.js';
import { startRole, type RunningRole } from './role.js';

/** A person event on `cameraId`, `n` seconds after `base`. */
function personEvent(run: string, cameraId: string, n: number, base: number): VigilEvent {
  return {
    id: `${run}-${cameraId}-${n}`,
    cameraId,
    label: 'person',
    phase: 'end',
    startTs: base + n * 1000,
    lastTs: base + n * 1000 + 500,
    endTs: base + n * 1000 + 500,
    topScore: 0.8,
    box: [0.1, 0.1, 0.3, 0.6],
    zones: ['Gate'],
    path: [],
  };
}

function alertFor(event: VigilEvent): VigilAlert {
  return {
    id: `gate-person:${event.id}`,
    ruleId: 'gate-person',
    ruleName: 'Person at the gate',
    eventId: event.id,
    cameraId: event.cameraId,
    label: event.label,
    zone: 'Gate',
    severity: 'warning',
    state: 'new',
    raisedTs: event.startTs,
  };
}

/** An HTTP client of one api instance, with a bearer token or a session cookie. */
function client(role: RunningRole, credentials: { token?: string; cookie?: string }) {
  return async <T = unknown>(method: string, route: string, body?: unknown) => {
    const res = await fetch(`${role.url}${route}`, {
      method,
      headers: {
        ...(credentials.token ? { authorization: `Bearer ${credentials.token}` } : {}),
        ...(credentials.cookie ? { cookie: credentials.cookie } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, data: (text ? JSON.parse(text) : undefined) as T };
  };
}

async function until(cond: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const kafkaSkip = skipWithout(
  'the Kafka mock cluster (librdkafka)',
  kafkaMockAvailable(),
  KAFKA_MOCK_INSTALL_HINT,
);

describe.skipIf(kafkaSkip)(
  'api role on the SQLite database of the events role (librdkafka mock cluster)',
  () => {
    let kafka: KafkaHandle;
    beforeAll(async () => {
      kafka = await startKafka({ partitions: 2 });
    });
    afterAll(async () => {
      await kafka?.stop();
    });

    it('finds over HTTP the events the events role stored from Kafka, and stores an acknowledgement made on the api role', async () => {
      const run = randomUUID().slice(0, 8);
      const dataDir = tempHome('vigil-cluster-sqlite-');
      const config = VigilConfig.parse({
        cameras: [{ id: 'gate', name: 'Front gate', main: { kind: 'testPattern' } }],
        server: { port: 0 },
        cluster: {
          bus: kafka.busConfig(),
          eventStore: { kind: 'sqlite' },
        },
      });
      const token = 'sqlite-api-role-token-0123456789';
      const events = await startRole('events', { config, dataDir });
      const api = await startRole('api', { config, dataDir, token, rendererDir: tempHome() });
      const detect = new KafkaBus({
        brokers: kafka.brokers,
        clientId: 'vigil-test-detect',
        topicPrefix: kafka.topicPrefix,
      });
      const call = client(api, { token });
      try {
        const base = Date.now() - 60_000;
        const published = [0, 1, 2].map((n) => personEvent(run, 'gate', n, base));
        for (const e of published) await detect.publish(Topics.events, e.cameraId, e);
        const alert = alertFor(published[0] as VigilEvent);
        await detect.publish(Topics.alerts, alert.cameraId, alert);

        const search = `/api/events?from=${base - 1000}&to=${base + 60_000}&cameras=gate`;
        let found: EventSearchResponse | undefined;
        await until(async () => {
          found = (await call<EventSearchResponse>('GET', search)).data;
          return found.items.length === 3;
        }, 'the three events through the api role');
        expect(found?.items.map((e) => e.id).sort()).toEqual(published.map((e) => e.id).sort());
        expect(found?.items[0]).toMatchObject({ cameraName: 'Front gate', zones: ['Gate'] });
        const detail = await call<EventDetail>('GET', `/api/events/${published[1]?.id}`);
        expect(detail.status).toBe(200);
        expect(detail.data.id).toBe(published[1]?.id);

        // Annotations made on the api role land in the same database the events role keeps writing.
        await until(
          async () =>
            (await call('POST', `/api/alerts/${encodeURIComponent(alert.id)}/ack`, {})).status === 200,
          'the alert stored and acknowledged',
        );
        const store = (events.services.services.find((s) => s.name === 'store') as EventStoreService).store;
        const stored = await store.alerts.listAlerts({ limit: 10 });
        expect(stored.find((a) => a.id === alert.id)?.state).toBe('acknowledged');
        const later = personEvent(run, 'gate', 3, base);
        await detect.publish(Topics.events, later.cameraId, later);
        await until(
          async () => (await call<EventSearchResponse>('GET', search)).data.items.length === 4,
          'an event written after the acknowledgement',
        );
      } finally {
        await detect.dispose();
        await api.dispose();
        await events.dispose();
      }
    }, 120_000);
  },
);

const redisSkip = skipWithout('Redis', await redisAvailable(), REDIS_INSTALL_HINT);

describe.skipIf(redisSkip)('two api instances sharing Redis (real Redis)', () => {
  let redis: RedisHandle;
  beforeAll(async () => {
    redis = await useRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('accepts on each instance a session opened on the other, shares cached answers that a write invalidates, and shows an acknowledgement made on one on the WebSocket of the other', async () => {
    const run = randomUUID().slice(0, 8);
    const dataDir = tempHome('vigil-cluster-redis-');
    const input: VigilConfigInput = {
      cameras: [],
      server: { port: 0 },
      store: { cache: { keyPrefix: `vigil-test-${run}:` } },
      cluster: { eventStore: { kind: 'sqlite' }, redis: { url: redis.url } },
    };
    const config = VigilConfig.parse(input);
    // The events role and each api instance have buses of their own: whatever one instance learns from another
    // comes through Redis (or the database), not through a shared bus.
    const pipeline = new MemoryBus();
    const events = await startRole('events', { config, dataDir, bus: pipeline });
    // Different bearer tokens: only what Redis shares can let a session opened on one work on the other.
    const [one, two] = await Promise.all([
      startRole('api', {
        config,
        dataDir,
        bus: new MemoryBus(),
        token: 'instance-one-token-0123456789',
        rendererDir: tempHome(),
      }),
      startRole('api', {
        config,
        dataDir,
        bus: new MemoryBus(),
        token: 'instance-two-token-0123456789',
        rendererDir: tempHome(),
      }),
    ]);
    const sockets: WebSocket[] = [];
    try {
      // --- a login link issued by instance one opens a (first-administrator) session both accept, once ---
      const link = new URL(String(await one.loginUrl?.()));
      const login = await fetch(`${two.url}/login${link.search}`, { redirect: 'manual' });
      expect(login.status).toBe(303);
      const setupCookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      expect(setupCookie).toMatch(/^vigil_session=/);
      expect(setupCookie).not.toContain('instance-');
      for (const role of [one, two])
        expect((await client(role, { cookie: setupCookie })('GET', '/api/session')).status).toBe(200);
      expect((await fetch(`${one.url}/login${link.search}`, { redirect: 'manual' })).status).toBe(401);

      // --- the administrator created on instance two signs in on instance one: people live in the shared Redis ---
      const created = await client(two, { cookie: setupCookie })('POST', '/api/auth/setup', {
        username: 'chief',
        password: 'a long enough password',
      });
      expect(created.status).toBe(201);
      const signIn = await fetch(`${one.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'chief', password: 'a long enough password' }),
      });
      expect(signIn.status).toBe(200);
      const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      for (const role of [one, two])
        expect((await client(role, { cookie })('GET', '/api/session')).data).toMatchObject({
          user: 'chief',
          role: 'admin',
        });
      expect(
        (await client(one, { cookie: 'vigil_session=forged-0123456789abcdef' })('GET', '/api/session'))
          .status,
      ).toBe(401);
      expect(
        (await client(two, { token: 'instance-one-token-0123456789' })('GET', '/api/session')).status,
      ).toBe(401);

      // --- the hot-query cache is shared, and a write through the events role invalidates it ---
      const base = Date.now() - 60_000;
      const first = [0, 1, 2].map((n) => personEvent(run, 'yard', n, base));
      for (const e of first) await pipeline.publish(Topics.events, e.cameraId, e);
      const alert = alertFor(first[0] as VigilEvent);
      await pipeline.publish(Topics.alerts, alert.cameraId, alert);
      const search = `/api/events?from=${base - 1000}&to=${base + 60_000}&cameras=yard`;
      const onOne = client(one, { cookie });
      const onTwo = client(two, { cookie });
      await until(
        async () => (await onOne<EventSearchResponse>('GET', search)).data.items.length === 3,
        'the events stored',
      );
      const cacheOf = (role: RunningRole) =>
        (role.services.services.find((s) => s.name === 'store') as EventStoreService)
          .store as CachedEventStore;
      const hitsBefore = cacheOf(two).stats.hits;
      expect((await onTwo<EventSearchResponse>('GET', search)).data.items).toHaveLength(3);
      expect(cacheOf(two).stats.hits).toBe(hitsBefore + 1); // answered from what instance one cached

      const fourth = personEvent(run, 'yard', 3, base);
      await pipeline.publish(Topics.events, fourth.cameraId, fourth);
      await until(
        async () => (await onTwo<EventSearchResponse>('GET', search)).data.items.length === 4,
        'the new event, not the cached answer',
        10_000,
      );

      // --- an acknowledgement on instance one reaches the live clients of instance two ---
      const ws = new WebSocket(`${two.url?.replace('http', 'ws')}/api/ws`, { headers: { cookie } });
      sockets.push(ws);
      const live: VigilAlert[] = [];
      ws.on('message', (raw) => {
        const msg = JSON.parse(raw.toString()) as { kind: string; data: VigilAlert };
        if (msg.kind === 'alert') live.push(msg.data);
      });
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      await until(
        async () =>
          (await onOne('POST', `/api/alerts/${encodeURIComponent(alert.id)}/ack`, { by: 'guard-7' }))
            .status === 200,
        'the alert acknowledged on instance one',
      );
      await until(
        async () => live.some((a) => a.id === alert.id),
        'the acknowledgement on instance two',
        10_000,
      );
      expect(live.find((a) => a.id === alert.id)).toMatchObject({
        state: 'acknowledged',
        // A person acknowledges under their own name; only automation (the instance token) may name another.
        acknowledgedBy: 'chief',
      });
    } finally {
      for (const ws of sockets) ws.close();
      await Promise.all([one.dispose(), two.dispose()]);
      await events.dispose();
      await pipeline.dispose();
    }
  }, 90_000);
});

describe('api role routes', () => {
  it('documents the event, alert and detection-settings routes exactly as the local backend does (docs/openapi.json)', async () => {
    const local = JSON.parse(
      fs.readFileSync(path.join(import.meta.dirname, '../../../docs/openapi.json'), 'utf8'),
    ) as { paths: Record<string, Record<string, unknown>> };
    const token = 'openapi-api-role-token-0123456789';
    const api = await startRole('api', {
      config: VigilConfig.parse({ cameras: [], server: { port: 0 } }),
      dataDir: tempHome(),
      bus: new MemoryBus(),
      token,
      rendererDir: tempHome(),
    });
    try {
      const res = await fetch(`${api.url}/api/openapi.json`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const cluster = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
      const shared = Object.keys(local.paths).filter((p) =>
        /^\/api\/(events|alerts|saved-searches|audit|stats|alert-rules|detect)\b|^\/api\/cameras\/\{id\}\/zones$/.test(
          p,
        ),
      );
      expect(shared.length).toBeGreaterThan(10);
      for (const p of shared)
        expect({ path: p, ...cluster.paths[p] }).toEqual({ path: p, ...local.paths[p] });
      // Detector figures live on each detect instance; the route says where instead of failing obscurely.
      const stats = await fetch(`${api.url}/api/detect/stats`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(stats.status).toBe(503);
      expect(((await stats.json()) as { message: string }).message).toMatch(/detect role.*\/metrics/);
    } finally {
      await api.dispose();
    }
  });
});
