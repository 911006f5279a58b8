import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
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
import { waitFor } from '../../../test/contracts/bus.js';
import { KafkaBus } from '../bus/kafka-bus.js';
import { Topics } from '../contract/bus.js';
import { VigilConfig } from '../contract/config.js';
import type { Incident, IncidentNotification } from '../contract/incidents.js';
import { inspectRuntime } from '../platform/binaries.js';
import { startLocalApp } from './local.js';
import { startRole, type RunningRole } from './role.js';

// The Kafka here is a fake: librdkafka's mock cluster (test/fixtures/kafka-mock/mock_cluster.c), which speaks the
// Kafka protocol as librdkafka's src/rdkafka_mock.c implements it (produce, fetch, consumer groups, offsets).
// Redis is the real server.
const skip =
  skipWithout('the Kafka mock cluster (librdkafka)', kafkaMockAvailable(), KAFKA_MOCK_INSTALL_HINT) ||
  skipWithout('Redis', await redisAvailable(), REDIS_INSTALL_HINT);

const KEY_ENV = 'VIGIL_TEST_ESCALATION_HOOK_KEY';

/** A webhook receiver that counts the deliveries of each incident. */
async function webhookReceiver() {
  const deliveries = new Map<string, number>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const id = (JSON.parse(body) as { incident: { id: string } }).incident.id;
      deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, deliveries, close: () => new Promise((r) => server.close(r)) };
}

function incident(id: string, now: number): Incident {
  return {
    id,
    cameraId: 'gate',
    startTs: now,
    lastTs: now,
    severity: 'critical',
    ruleIds: ['person-at-gate'],
    ruleNames: ['Person at the gate'],
    labels: ['person'],
    eventIds: [`${id}-event`],
    objectCount: 1,
    snapshots: [],
    state: 'new',
    notifications: [],
    updatedTs: now,
  };
}

describe('escalation in the local app (the same events stage, in-process bus)', () => {
  it('notifies an incident raised on the bus in the open window, and records "no window open" when none is', async () => {
    const dataDir = tempHome('vigil-local-escalation-');
    const config = VigilConfig.parse({ cameras: [], server: { host: '127.0.0.1', port: 0 } });
    const app = await startLocalApp({ config, dataDir, runtime: inspectRuntime(), rendererDir: dataDir });
    const headers = { authorization: `Bearer ${app.auth.token}` };
    let ws: WebSocket | undefined;
    try {
      const saved = await fetch(`${app.url}/api/alert-settings`, {
        method: 'PUT',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({
          channels: [{ id: 'desk', name: 'Desktop', kind: 'desktop' }],
          escalation: [{ name: 'Raised', afterSec: 0, channelIds: ['desk'] }],
          retries: 0,
        }),
      });
      expect(saved.status).toBe(200);
      const received: Incident[] = [];
      ws = new WebSocket(`${app.url.replace('http', 'ws')}/api/ws`, { headers });
      ws.on('message', (raw) => {
        const m = JSON.parse(String(raw)) as { kind: string; data: Incident };
        if (m.kind === 'incident') received.push(m.data);
      });
      await new Promise((resolve, reject) => ws?.once('open', resolve).once('error', reject));

      await app.bus.publish(Topics.incidents, 'gate', incident('local-first', Date.now()));
      await waitFor(
        () => received.some((i) => i.id === 'local-first' && i.notifications.length > 0),
        'the notified incident reaches the window',
        15_000,
      );
      expect(received.find((i) => i.notifications.length > 0)?.notifications).toEqual([
        expect.objectContaining({ channelId: 'desk', status: 'sent', level: 0 }),
      ]);

      ws.close();
      await waitFor(() => app.services.health().realtime?.detail?.startsWith('0 clients') ?? false, 'closed');
      await app.bus.publish(Topics.incidents, 'gate', incident('local-second', Date.now()));
      let later: Incident | undefined;
      const deadline = Date.now() + 15_000;
      while (!later?.notifications.length) {
        if (Date.now() > deadline)
          throw new Error('timed out waiting for the second incident to be notified');
        await new Promise((r) => setTimeout(r, 200));
        const res = await fetch(`${app.url}/api/incidents/local-second`, { headers });
        later = res.ok ? ((await res.json()) as Incident) : undefined;
      }
      expect(later.notifications).toEqual([
        expect.objectContaining({
          channelId: 'desk',
          status: 'failed',
          error: expect.stringContaining('no window of Vigil is open'),
        }),
      ]);
    } finally {
      ws?.close();
      await app.dispose();
    }
  }, 60_000);
});

describe.skipIf(skip)('escalation in the cluster (fake Kafka: librdkafka mock cluster; real Redis)', () => {
  let kafka: KafkaHandle;
  let redis: RedisHandle;
  beforeAll(async () => {
    kafka = await startKafka({ partitions: 2 });
    redis = await useRedis();
  });
  afterAll(async () => {
    await kafka?.stop();
    await redis?.stop();
  });

  it('notifies each incident once with two events replicas, shows it in a window of an api instance, and records "no window open" when none is', async () => {
    const run = randomUUID().slice(0, 8);
    const dataDir = tempHome('vigil-escalation-');
    const env = { ...process.env, [KEY_ENV]: 'escalation-hook-key-0123456789' };
    const config = VigilConfig.parse({
      cameras: [],
      server: { host: '127.0.0.1', port: 0 },
      store: { cache: { keyPrefix: `vigil-test-${run}:` } },
      cluster: { bus: kafka.busConfig(), eventStore: { kind: 'sqlite' }, redis: { url: redis.url } },
    });
    const hook = await webhookReceiver();
    const token = 'escalation-test-token-0123456789';
    const roles: RunningRole[] = [];
    const producer = new KafkaBus({
      brokers: kafka.brokers,
      clientId: 'vigil-test-detect',
      topicPrefix: kafka.topicPrefix,
    });
    let ws: WebSocket | undefined;
    try {
      // Two events replicas over one SQLite database (both see every incident; each stores its partitions).
      const [one, two] = await Promise.all([
        startRole('events', { config, dataDir, env }),
        startRole('events', { config, dataDir, env }),
      ]);
      roles.push(one, two);
      const api = await startRole('api', { config, dataDir, env, token, rendererDir: tempHome() });
      roles.push(api);
      const call = (method: string, route: string, body?: unknown) =>
        fetch(`${api.url}${route}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body ? { 'content-type': 'application/json' } : {}),
          },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });

      // --- the administrator sets the site's alert settings on the api instance; the events replicas use them ---
      const saved = await call('PUT', '/api/alert-settings', {
        channels: [
          { id: 'desk', name: 'Desktop', kind: 'desktop' },
          { id: 'hook', name: 'Control room', kind: 'webhook', url: hook.url, secretEnv: KEY_ENV },
        ],
        escalation: [{ name: 'Raised', afterSec: 0, channelIds: ['desk', 'hook'] }],
        retries: 0,
      });
      expect(saved.status).toBe(200);

      // --- a window open on the api instance: the escalating replica counts it through Redis ---
      const received: Incident[] = [];
      ws = new WebSocket(`${api.url?.replace('http', 'ws')}/api/ws`, {
        headers: { authorization: `Bearer ${token}` },
      });
      ws.on('message', (raw) => {
        const m = JSON.parse(String(raw)) as { kind: string; data: Incident };
        if (m.kind === 'incident') received.push(m.data);
      });
      await new Promise((resolve, reject) => ws?.once('open', resolve).once('error', reject));
      const windowsSeen = (role: RunningRole) => role.services.health().presence?.detail ?? '';
      await waitFor(
        () => [one, two].every((r) => windowsSeen(r).startsWith('1 windows')),
        'both replicas count the open window',
        10_000,
      );

      const first = `${run}-first`;
      await producer.publish(Topics.incidents, 'gate', incident(first, Date.now()));
      await waitFor(
        () => received.some((i) => i.id === first && i.notifications.length > 0),
        'the notified incident reaches the window',
        30_000,
      );
      const shown = received.find((i) => i.id === first && i.notifications.length > 0);
      expect(shown?.notifications).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ channelId: 'desk', status: 'sent', level: 0 }),
          expect.objectContaining({ channelId: 'hook', status: 'sent', level: 0 }),
        ]),
      );
      // Both replicas check the incident every second: a few seconds later it is still notified once.
      await new Promise((r) => setTimeout(r, 3_000));
      expect(hook.deliveries.get(first)).toBe(1);
      const stored = (await (await call('GET', `/api/incidents/${first}`)).json()) as Incident;
      expect(stored.notifications.map((n: IncidentNotification) => n.channelId).sort()).toEqual([
        'desk',
        'hook',
      ]);

      // --- no window open on any api instance: the desktop channel fails and says why; the webhook still goes ---
      ws.close();
      await waitFor(
        () => [one, two].every((r) => windowsSeen(r).startsWith('0 windows')),
        'both replicas see the window closed',
        10_000,
      );
      const second = `${run}-second`;
      await producer.publish(Topics.incidents, 'gate', incident(second, Date.now()));
      let later: Incident | undefined;
      const deadline = Date.now() + 30_000;
      while ((later?.notifications.length ?? 0) < 2) {
        if (Date.now() > deadline)
          throw new Error('timed out waiting for the second incident to be notified');
        await new Promise((r) => setTimeout(r, 200));
        const res = await call('GET', `/api/incidents/${second}`);
        later = res.ok ? ((await res.json()) as Incident) : undefined;
      }
      expect(later?.notifications).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            channelId: 'desk',
            status: 'failed',
            error: expect.stringContaining('no window of Vigil is open'),
          }),
          expect.objectContaining({ channelId: 'hook', status: 'sent' }),
        ]),
      );
      await new Promise((r) => setTimeout(r, 3_000));
      expect(hook.deliveries.get(second)).toBe(1);
      expect((await (await call('GET', `/api/incidents/${second}`)).json()).notifications).toHaveLength(2);
    } finally {
      ws?.close();
      await producer.dispose();
      for (const role of roles.reverse()) await role.dispose();
      await hook.close();
      // This run's keys (settings, claims) go; the shared Redis keeps nothing of it.
      const cleanup = new Redis(redis.url);
      const keys = await cleanup.keys(`vigil-test-${run}:*`);
      if (keys.length) await cleanup.del(...keys);
      cleanup.disconnect();
    }
  }, 150_000);
});
