import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EsEngine } from '../../../test/fixtures/es-engine.js';
import {
  KAFKA_MOCK_INSTALL_HINT,
  kafkaMockAvailable,
  startKafka,
  type KafkaHandle,
} from '../../../test/fixtures/kafka.js';
import { skipWithout } from '../../../test/fixtures/require.js';
import { AuditBusChainer } from '../audit/bus-chainer.js';
import { runAuditLogContractSuite } from '../../../test/contracts/audit-log.js';
import { AuditRecorder, BusAuditWriter } from '../audit/recorder.js';
import { KafkaBus } from '../bus/kafka-bus.js';
import { DEFAULT_TOPIC_SETTINGS } from '../bus/kafka-topics.js';
import { MemoryBus } from '../bus/memory-bus.js';
import type { Bus } from '../contract/bus.js';
import { Topics } from '../contract/bus.js';
import { loadOrCreateSigningKey } from '../export/signing.js';
import { ROLE_GROUPS } from '../bus/create.js';
import { auditIndexTemplates, EsAuditLog } from './es-audit-log.js';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-es-audit-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));
const key = loadOrCreateSigningKey(path.join(tmpRoot, 'keys'));

/**
 * The audit log on @elastic/elasticsearch-mock with the in-memory engine of the store-es tests, which interprets
 * the calls the log makes as Elasticsearch documents them: index templates (PUT /_index_template), documents created
 * with op_type=create answering 409 when the id exists (Index API), searches with bool/term/terms/range queries,
 * sort, size, search_after and hits.total (Search API).
 */
function logOnMock(engine = new EsEngine(), options: { reader?: boolean; checkpointEvery?: number } = {}) {
  const client = new Client({
    node: 'http://localhost:9200',
    Connection: engine.mock.getConnection(),
    maxRetries: 1,
  });
  const log = new EsAuditLog({
    client,
    indexPrefix: 'vigil',
    ...(options.reader ? { publicKey: key.publicKey } : { key }),
    checkpointEvery: options.checkpointEvery ?? 3,
    checkpointIntervalMs: 0,
  });
  return { engine, log };
}

async function until(check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

runAuditLogContractSuite('Elasticsearch on @elastic/elasticsearch-mock (in-memory DSL engine)', async () => {
  const { log } = logOnMock(new EsEngine(), { checkpointEvery: 1_000_000 });
  await log.setup();
  return log;
});

describe('Elasticsearch audit log on @elastic/elasticsearch-mock', () => {
  it('installs strict templates, chains, lists with filters, checkpoints and verifies; an api reader sees the same', async () => {
    const { engine, log } = logOnMock();
    await log.setup();
    for (const t of auditIndexTemplates('vigil')) {
      expect(engine.templates.get(t.name)).toMatchObject({ template: { mappings: { dynamic: 'strict' } } });
    }
    for (let i = 1; i <= 7; i++)
      await log.append({
        ts: i * 1000,
        actor: i % 2 ? 'ann' : 'bob',
        action: 'playback',
        camera: i < 4 ? 'dock' : 'gate',
        detail: { i },
      });
    for (const [name, meta] of engine.meta) expect(meta.mappings.dynamic, name).toBe('strict');
    const page = await log.list({ limit: 2, camera: 'gate' });
    expect(page.entries.map((e) => e.seq)).toEqual([7, 6]);
    expect(page.total).toBe(4);
    expect((await log.list({ limit: 10, camera: 'gate', before: 6 })).entries.map((e) => e.seq)).toEqual([
      5, 4,
    ]);
    expect((await log.list({ limit: 10, camera: 'gate', before: 6 })).total).toBe(4);
    expect(
      (await log.list({ limit: 10, actors: ['bob'], from: 2000, to: 5000 })).entries.map((e) => e.seq),
    ).toEqual([4, 2]);
    expect((await log.all({ camera: 'dock' })).map((e) => e.seq)).toEqual([1, 2, 3]);
    await log.dispose();
    expect(await log.verify()).toMatchObject({ ok: true, entries: 7, checkpoints: 3, signedThrough: 7 });

    const reader = logOnMock(engine, { reader: true }).log;
    await reader.setup();
    expect(await reader.verify()).toMatchObject({
      ok: true,
      entries: 7,
      signedThrough: 7,
      signaturesChecked: true,
    });

    // Someone with write access to the index edits entry 5: the chain names it.
    const doc = engine.indices.get('vigil-audit')?.get('5');
    if (!doc) throw new Error('entry 5 is not stored under its seq');
    doc.source = { ...doc.source, actor: 'mallory' };
    expect(await reader.verify()).toMatchObject({ ok: false, firstBroken: { seq: 5 } });
  });

  it('a second writer cannot fork the chain: its create conflicts (409), it chains after the other entry', async () => {
    const engine = new EsEngine();
    const a = logOnMock(engine).log;
    const b = logOnMock(engine).log;
    await a.setup();
    await b.setup();
    await a.append({ ts: 1, actor: 'ann', action: 'search' });
    // b still thinks the log is empty: its create of seq 1 is refused, it reloads the head and writes seq 2.
    const e = await b.append({ ts: 2, actor: 'bob', action: 'search' });
    expect(e.seq).toBe(2);
    expect((await a.verify()).ok).toBe(true);
  });
});

/** api instances publish, the events role chains: on a given bus, in publication order, each message once. */
function busRoundTrip(name: string, buses: () => Promise<{ api: Bus[]; events: Bus }>) {
  it(`${name}: records published by two api instances are chained once each, in order, and verify`, async () => {
    const { api, events } = await buses();
    const { log } = logOnMock(new EsEngine(), { checkpointEvery: 1000 });
    await log.setup();
    const chainer = new AuditBusChainer({ bus: events, log: () => log, group: ROLE_GROUPS.events });
    await chainer.start();
    try {
      const recorders = api.map((b) => new AuditRecorder(new BusAuditWriter(b)));
      for (let i = 0; i < 10; i++)
        await recorders[i % 2]?.record(`user-${i % 2}`, 'live-start', { camera: 'dock', detail: { i } });
      // A redelivered message (same id) is chained once.
      const again = { id: 'm-1', ts: 5, actor: 'ann', action: 'view' as const };
      await api[0]?.publish(Topics.audit, 'audit', again);
      await api[0]?.publish(Topics.audit, 'audit', again);
      await until(async () => (await log.list({ limit: 1 })).total >= 11);
      await new Promise((r) => setTimeout(r, 300));
      const all = await log.all({});
      expect(all).toHaveLength(11);
      expect(all.slice(0, 10).map((e) => e.detail?.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(all[10]).toMatchObject({ seq: 11, actor: 'ann', action: 'view' });
      await log.checkpoint();
      expect(await log.verify()).toMatchObject({ ok: true, entries: 11, signedThrough: 11 });
    } finally {
      await chainer.dispose();
      await log.dispose();
    }
  });
}

describe('cluster audit over the bus', () => {
  busRoundTrip('in-process bus', async () => {
    const bus = new MemoryBus();
    return { api: [bus, bus], events: bus };
  });

  const skip = skipWithout(
    'the Kafka mock cluster (librdkafka)',
    kafkaMockAvailable(),
    KAFKA_MOCK_INSTALL_HINT,
  );
  let kafka: KafkaHandle | undefined;
  const made: KafkaBus[] = [];
  beforeAll(async () => {
    if (!skip) kafka = await startKafka({ partitions: 4 });
  });
  afterAll(async () => {
    await Promise.all(made.map((b) => b.dispose()));
    await kafka?.stop();
  });
  if (!skip)
    // Separate clients of the cluster, like separate role processes; the audit topic has 4 partitions here, and
    // the one key keeps every record on one of them, in order.
    busRoundTrip('Kafka (librdkafka mock cluster, or VIGIL_TEST_KAFKA)', async () => {
      const k = kafka as KafkaHandle;
      const bus = () => {
        const b = new KafkaBus({
          brokers: k.brokers,
          clientId: 'vigil-test',
          sessionTimeoutMs: 6_000,
          heartbeatIntervalMs: 500,
          topicPrefix: k.topicPrefix,
          topics: { ...DEFAULT_TOPIC_SETTINGS, partitions: 4, replicationFactor: 1 },
        });
        made.push(b);
        return b;
      };
      const events = bus();
      await events.ensureTopics();
      return { api: [bus(), bus()], events };
    });
});
