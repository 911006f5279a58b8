import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempHome } from '../../../test/fixtures/backend.js';
import {
  KAFKA_MOCK_INSTALL_HINT,
  kafkaMockAvailable,
  mockOnly,
  startKafka,
  type KafkaHandle,
} from '../../../test/fixtures/kafka.js';
import { freeTcpPort } from '../../../test/fixtures/ports.js';
import { skipWithout } from '../../../test/fixtures/require.js';
import { sampleEvent, waitFor } from '../../../test/contracts/bus.js';
import { KafkaBus } from '../bus/kafka-bus.js';
import { Topics } from '../contract/bus.js';
import { VigilConfig } from '../contract/config.js';
import type { VigilEvent } from '../contract/events.js';
import { kafkaOptions } from '../bus/create.js';
import { WebSocket } from 'ws';
import { startRole, type RunningRole } from './role.js';

describe('cluster roles: configuration', () => {
  const kafkaConfig = (bus: object) => VigilConfig.parse({ cameras: [], cluster: { bus } }).cluster.bus;

  it('takes SASL credentials from the named environment variables and tags the client id with the role', () => {
    const opts = kafkaOptions(
      kafkaConfig({
        kind: 'kafka',
        brokers: ['k1:9093'],
        sasl: { mechanism: 'scram-sha-512', usernameEnv: 'KUSER', passwordEnv: 'KPASS' },
        tls: { enabled: true },
      }),
      'detect',
      { KUSER: 'vigil', KPASS: 's3cret' },
    );
    expect(opts.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'vigil', password: 's3cret' });
    expect(opts.ssl).toBe(true);
    expect(opts.clientId).toBe('vigil-detect');
    expect(opts.startFrom).toBeUndefined();
    // An api instance joins a new group at every start: it relays live messages, never the topics' history.
    const api = kafkaOptions(kafkaConfig({ kind: 'kafka', brokers: ['k1:9093'] }), 'api');
    expect(api.startFrom).toEqual({ 'vigil.events.v1': 'latest', 'vigil.alerts.v1': 'latest' });
  });

  it('serves /metrics and /healthz on cluster.metricsPort for roles without an API server', async () => {
    const port = await freeTcpPort();
    const config = VigilConfig.parse({ cameras: [], cluster: { metricsPort: port } });
    const role = await startRole('events', { config, dataDir: tempHome() });
    try {
      const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain('vigil_bus_kafka_consumed_total');
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ role: 'events', status: 'ok' });
    } finally {
      await role.dispose();
    }
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('refuses an unknown role and a missing secret with a message that says what to fix', async () => {
    const unknown = await runCli(['role', 'transcode']);
    expect(unknown.code).toBe(2);
    expect(unknown.output).toMatch(/Unknown role "transcode". Available: ingest, detect, events, api/);

    const file = path.join(tempHome(), 'cluster.yaml');
    fs.writeFileSync(
      file,
      [
        'cameras: []',
        'cluster:',
        '  bus:',
        '    kind: kafka',
        '    brokers: ["127.0.0.1:1"]',
        '    sasl: { mechanism: plain, usernameEnv: VIGIL_KAFKA_USER, passwordEnv: VIGIL_KAFKA_PASSWORD }',
      ].join('\n'),
    );
    const missing = await runCli(['role', 'detect', '--config', file], { VIGIL_KAFKA_USER: 'vigil' });
    expect(missing.code).toBe(78);
    expect(missing.output).toContain('environment variable VIGIL_KAFKA_PASSWORD is not set');
    // Two CLI starts (each compiles the backend with tsx): over a minute on a busy two-core machine.
  }, 120_000);
});

const skip = skipWithout(
  'the Kafka mock cluster (librdkafka)',
  kafkaMockAvailable(),
  KAFKA_MOCK_INSTALL_HINT,
);

describe.skipIf(skip)('cluster roles on the librdkafka mock cluster', () => {
  let kafka: KafkaHandle;
  beforeAll(async () => {
    kafka = await startKafka({ partitions: 4 });
  });
  afterAll(async () => {
    await kafka?.stop();
  });

  it.skipIf(mockOnly())(
    'stops `vigil role events` with exit code 78 and a message naming the topic and the missing CREATE permission (mock cluster refuses CreateTopics)',
    async () => {
      const file = path.join(tempHome(), 'cluster.yaml');
      const prefix = `${kafka.topicPrefix}denied.`;
      fs.writeFileSync(
        file,
        [
          'cameras: []',
          'cluster:',
          '  bus:',
          '    kind: kafka',
          `    brokers: ${JSON.stringify(kafka.brokers)}`,
          `    topicPrefix: ${JSON.stringify(prefix)}`,
          '    topics: { replicationFactor: 1 }',
        ].join('\n'),
      );
      // What a Kafka user without CREATE on the topics gets (TOPIC_AUTHORIZATION_FAILED = 29).
      await kafka.failRequests(19, 29, 1);
      const denied = await runCli(['role', 'events', '--config', file]);
      expect(denied.code).toBe(78);
      expect(denied.output).toContain(
        `Kafka topic "${prefix}vigil.frames.v1" does not exist and the Kafka user may not create it (TOPIC_AUTHORIZATION_FAILED): grant the CREATE permission on the topic`,
      );
    },
    60_000,
  );

  it('splits the events between two events-role instances and stores each event once', async () => {
    const run = randomUUID().slice(0, 8);
    const config = VigilConfig.parse({
      cameras: [],
      cluster: { bus: kafka.busConfig() },
    });
    const stored = new Map<string, number>();
    const byInstance = [0, 0];
    const sink = (i: number) => ({
      upsertEvent: async (e: VigilEvent) => {
        if (!e.id.startsWith(run)) return;
        byInstance[i] = (byInstance[i] ?? 0) + 1;
        stored.set(e.id, (stored.get(e.id) ?? 0) + 1);
      },
    });
    const [a, b] = await Promise.all([
      startRole('events', { config, dataDir: tempHome(), sink: sink(0) }),
      startRole('events', { config, dataDir: tempHome(), sink: sink(1) }),
    ]);
    const producer = new KafkaBus({
      brokers: kafka.brokers,
      clientId: 'vigil-test-detect',
      topicPrefix: kafka.topicPrefix,
    });
    const partitionsOf = (role: RunningRole) => role.services.health()['events-writer']?.detail ?? '';
    try {
      // The group settles first (both instances hold partitions; on a busy machine this takes a few rebalances),
      // so that the publishing window below is not spent forming the group.
      const settle = Date.now() + 60_000;
      while (![a, b].every((r) => partitionsOf(r).startsWith('partitions '))) {
        if (Date.now() > settle)
          throw new Error(`the group did not settle: ${partitionsOf(a)}; ${partitionsOf(b)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      // The second instance may still be rebalanced: keep publishing until both have stored events (bounded),
      // then check that every event was stored exactly once.
      let sent = 0;
      const deadline = Date.now() + 40_000;
      while (sent < 40 || !(byInstance[0]! > 0 && byInstance[1]! > 0)) {
        if (Date.now() > deadline) break;
        for (let k = 0; k < 8; k++, sent++) {
          const cam = `cam-${sent % 8}`;
          await producer.publish(Topics.events, cam, sampleEvent(run, cam, sent));
        }
        await new Promise((r) => setTimeout(r, sent < 40 ? 0 : 250));
      }
      await waitFor(() => stored.size === sent, `all ${sent} events stored`, 30_000);
      await new Promise((r) => setTimeout(r, 500));
      expect([...stored.values()].every((n) => n === 1)).toBe(true);
      expect(byInstance, `stored per instance; ${partitionsOf(a)}; ${partitionsOf(b)}`).toEqual([
        expect.any(Number),
        expect.any(Number),
      ]);
      expect(byInstance[0]).toBeGreaterThan(0);
      expect(byInstance[1], `second instance: ${partitionsOf(b)}`).toBeGreaterThan(0);
    } finally {
      await Promise.all([producer.dispose(), a.dispose(), b.dispose()]);
    }
  }, 150_000);

  it('relays events published on Kafka to WebSocket clients of the api role, and refuses clients without the token', async () => {
    const run = randomUUID().slice(0, 8);
    const config = VigilConfig.parse({
      cameras: [],
      server: { port: 0 },
      cluster: { bus: kafka.busConfig() },
    });
    const api = await startRole('api', {
      config,
      dataDir: tempHome(),
      token: 'api-role-test-token-0123456789',
      rendererDir: tempHome(),
    });
    const producer = new KafkaBus({
      brokers: kafka.brokers,
      clientId: 'vigil-test-detect',
      topicPrefix: kafka.topicPrefix,
    });
    const wsUrl = `${api.url?.replace('http', 'ws')}/api/ws`;
    try {
      const refused = await new Promise<number>((resolve) => {
        const ws = new WebSocket(wsUrl);
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => resolve(101));
      });
      expect(refused).toBe(401);
      const ws = new WebSocket(wsUrl, {
        headers: { authorization: 'Bearer api-role-test-token-0123456789' },
      });
      const received: string[] = [];
      ws.on('message', (data) => {
        const msg = JSON.parse(data.toString()) as { kind: string; data: { id?: string } };
        if (msg.kind === 'event' && msg.data.id?.startsWith(run)) received.push(msg.data.id);
      });
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      // The hub joins its group from the newest offset: publish until the first message arrives.
      let i = 0;
      let lastSent = 0;
      await waitFor(
        () => {
          if (Date.now() - lastSent > 250) {
            lastSent = Date.now();
            void producer.publish(Topics.events, 'cam-1', sampleEvent(run, 'cam-1', i++));
          }
          return received.length > 0;
        },
        'an event relayed to the WebSocket client',
        40_000,
      );
      expect(received[0]).toMatch(new RegExp(`^${run}`));
      ws.close();
    } finally {
      await Promise.all([producer.dispose(), api.dispose()]);
    }
  }, 90_000);
});
