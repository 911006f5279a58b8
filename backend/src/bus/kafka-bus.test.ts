import client from 'prom-client';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  KAFKA_MOCK_INSTALL_HINT,
  kafkaMockAvailable,
  mockOnly,
  startKafka,
  type KafkaHandle,
} from '../../../test/fixtures/kafka.js';
import { skipWithout } from '../../../test/fixtures/require.js';
import { Topics } from '../contract/bus.js';
import type { AnalysisFrame } from '../contract/media.js';
import type { VigilEvent } from '../contract/events.js';
import { INSTALL_DIR } from '../platform/paths.js';
import { sampleEvent, waitFor } from '../../../test/contracts/bus.js';
import { KafkaBus, type KafkaBusOptions } from './kafka-bus.js';
import { DEFAULT_TOPIC_SETTINGS } from './kafka-topics.js';
import type { DeadLetter } from './schemas.js';

const skip = skipWithout(
  'the Kafka mock cluster (librdkafka)',
  kafkaMockAvailable(),
  KAFKA_MOCK_INSTALL_HINT,
);
const needsFaultInjection = skip || mockOnly();

let kafka: KafkaHandle;
const buses: KafkaBus[] = [];
const newBus = (o: Partial<KafkaBusOptions> = {}) => {
  const bus = new KafkaBus({
    brokers: kafka.brokers,
    clientId: 'vigil-test',
    sessionTimeoutMs: 6_000,
    heartbeatIntervalMs: 500,
    handlerAttempts: 1,
    // Topics of this run only: the suite passes on a long-lived cluster that holds other runs' messages.
    topicPrefix: kafka.topicPrefix,
    topics: { ...DEFAULT_TOPIC_SETTINGS, partitions: 2, replicationFactor: 1 },
    ...o,
  });
  buses.push(bus);
  return bus;
};

beforeAll(async () => {
  if (skip) return;
  kafka = await startKafka({ partitions: 2 });
  await newBus().ensureTopics();
});
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.dispose()));
});
afterAll(async () => {
  await kafka?.stop();
});

/** A frame with a gradient, so the JPEG round trip can be checked pixel by pixel. */
function gradientFrame(cameraId: string, seq: number, width = 320, height = 180): AnalysisFrame {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = Math.round((x / width) * 255);
      data[i + 1] = Math.round((y / height) * 255);
      data[i + 2] = 128;
    }
  return { cameraId, ts: 1_700_000_000_000 + seq * 100, seq, width, height, format: 'rgb24', data };
}

describe.skipIf(skip)('KafkaBus on the librdkafka mock cluster', () => {
  it('carries analysis frames as JPEG under the size limit and drops a frame that cannot fit', async () => {
    const run = randomUUID().slice(0, 8);
    const bus = newBus({ maxFrameBytes: 60_000 });
    const got: AnalysisFrame[] = [];
    await bus.subscribe<AnalysisFrame>(
      Topics.frames,
      (f) => void (f.cameraId === `cam-${run}` && got.push(f)),
      {
        group: `detect-${run}`,
      },
    );
    const sent = gradientFrame(`cam-${run}`, 7);
    await bus.publish(Topics.frames, sent.cameraId, sent);
    await waitFor(() => got.length === 1, 'the frame');
    const f = got[0] as AnalysisFrame;
    expect([f.cameraId, f.ts, f.seq, f.width, f.height, f.format]).toEqual([
      sent.cameraId,
      sent.ts,
      7,
      320,
      180,
      'rgb24',
    ]);
    expect(f.data.length).toBe(320 * 180 * 3);
    let maxDiff = 0;
    for (let i = 0; i < f.data.length; i++)
      maxDiff = Math.max(maxDiff, Math.abs((f.data[i] as number) - (sent.data[i] as number)));
    expect(maxDiff).toBeLessThan(40); // lossy, but the picture is the same

    // Noise does not compress: a 1280×720 noise frame cannot fit 60 kB even at the lowest quality.
    const noise = gradientFrame(`cam-${run}`, 8, 1280, 720);
    for (let i = 0; i < noise.data.length; i++) noise.data[i] = (i * 2654435761) >>> 24;
    await bus.publish(Topics.frames, noise.cameraId, noise);
    expect(bus.stats(Topics.frames).droppedByKey).toEqual({ [`cam-${run}`]: 1 });
  });

  it('dead-letters a malformed message once, with its group, source coordinates and reason, and goes on with the next one', async () => {
    const run = randomUUID().slice(0, 8);
    const owner = `store-${run}`;
    // The designated group records malformed events; any other group (an api instance, a reader added later)
    // skips them instead of writing the same letter again.
    const bus = newBus({ deadLetterGroups: { [Topics.events]: owner } });
    const seen: string[] = [];
    const letters: DeadLetter[] = [];
    await bus.subscribe<VigilEvent>(Topics.events, (e) => void (e.id.startsWith(run) && seen.push(e.id)), {
      group: owner,
    });
    await bus.subscribe<DeadLetter>(
      Topics.deadLetter,
      (d) => void (d.key === `cam-${run}` && letters.push(d)),
      { group: `dlq-${run}` },
    );
    // A foreign producer writes garbage and an event missing its label straight to the topic.
    const raw = new Kafka({
      clientId: 'foreign',
      brokers: kafka.brokers,
      logLevel: logLevel.NOTHING,
    }).producer();
    await raw.connect();
    const { label: _label, ...noLabel } = sampleEvent(run, `cam-${run}`, 1);
    const [written] = await raw.send({
      topic: bus.kafkaTopic(Topics.events),
      messages: [
        { key: `cam-${run}`, value: '{not json' },
        { key: `cam-${run}`, value: JSON.stringify(noLabel) },
        { key: `cam-${run}`, value: JSON.stringify(sampleEvent(run, `cam-${run}`, 2)) },
      ],
    });
    await raw.disconnect();
    await waitFor(() => seen.length === 1 && letters.length === 2, 'the valid event and two dead letters');
    expect(seen).toEqual([`${run}-cam-${run}-2`]);
    const first = BigInt(written?.baseOffset ?? '0');
    expect(letters.map((l) => [l.topic, l.partition, l.offset, l.group, l.kind])).toEqual([
      [bus.kafkaTopic(Topics.events), written?.partition, String(first), owner, 'malformed'],
      [bus.kafkaTopic(Topics.events), written?.partition, String(first + 1n), owner, 'malformed'],
    ]);
    expect(letters[0]?.reason).toMatch(/not JSON/);
    expect(letters[1]?.reason).toMatch(/label/);
    expect(JSON.parse(Buffer.from(letters[1]?.valueBase64 ?? '', 'base64').toString())).toEqual(noLabel);

    // A group created later reads the whole topic again, bad messages included: no new letters.
    const late: string[] = [];
    await bus.subscribe<VigilEvent>(Topics.events, (e) => void (e.id.startsWith(run) && late.push(e.id)), {
      group: `replay-${run}`,
    });
    await waitFor(() => late.length === 1, 'the late group to read past the malformed messages');
    // A handler failure is the group's own: it is dead-lettered, naming that group.
    const failing = `failing-${run}`;
    await bus.subscribe<VigilEvent>(
      Topics.events,
      (e) => {
        if (e.id.startsWith(run)) throw new Error('disk full');
      },
      { group: failing },
    );
    await waitFor(() => letters.length === 3, 'the letter of the failing handler');
    await new Promise((r) => setTimeout(r, 1000)); // any duplicate would arrive now
    expect(letters).toHaveLength(3);
    expect(letters[2]).toMatchObject({
      group: failing,
      kind: 'handler-failed',
      offset: String(first + 2n),
      reason: 'handler failed 1 times: disk full',
    });
    // Publishing an invalid message is refused with the reason instead of poisoning the topic.
    await expect(bus.publish(Topics.events, 'cam', { id: 'x' })).rejects.toThrow(/does not match its schema/);
  });

  it('starts a new group on a lossy topic at the newest message, and on a lossless topic at the oldest', async () => {
    // kafkajs: `fromBeginning` decides where a group without committed offsets starts
    // (https://kafka.js.org/docs/consuming#a-name-from-beginning-a-frombeginning); the bus sets it from the
    // contract's TOPIC_DELIVERY. kafkajs resolves it with a ListOffsets request for timestamp -2 (earliest) or -1
    // (latest) when the partitions are assigned (kafkajs src/consumer/offsetManager/index.js, resolveOffsets), the
    // meaning Kafka's protocol gives those timestamps (https://kafka.apache.org/protocol#The_Messages_ListOffsets).
    // librdkafka's mock cluster answers ListOffsets from each partition's log start and end offsets, as a broker
    // does (librdkafka src/rdkafka_mock_handlers.c, rd_kafka_mock_handle_ListOffsets), so the same test holds on
    // real brokers (VIGIL_TEST_KAFKA).
    const run = randomUUID().slice(0, 8);
    const producer = newBus();
    const overlay = (n: number) => ({
      cameraId: `${run}-cam`,
      ts: 1_700_000_000_000 + n,
      width: 640,
      height: 480,
      detections: [],
    });
    await producer.publish(Topics.detections, `${run}-cam`, overlay(0));
    await producer.publish(Topics.events, `${run}-cam`, sampleEvent(run, `${run}-cam`, 0));
    const bus = newBus();
    const overlays: number[] = [];
    const events: string[] = [];
    await bus.subscribe<{ cameraId: string; ts: number }>(
      Topics.detections,
      (d) => void (d.cameraId === `${run}-cam` && overlays.push(d.ts - 1_700_000_000_000)),
      { group: `overlays-${run}` },
    );
    await bus.subscribe<VigilEvent>(Topics.events, (e) => void (e.id.startsWith(run) && events.push(e.id)), {
      group: `store-${run}`,
    });
    await producer.publish(Topics.detections, `${run}-cam`, overlay(1));
    await producer.publish(Topics.events, `${run}-cam`, sampleEvent(run, `${run}-cam`, 1));
    await waitFor(() => overlays.length >= 1 && events.length >= 2, 'the overlay and both events');
    await new Promise((r) => setTimeout(r, 500));
    // The overlay published before the group existed was stale: never delivered. The event was not lost.
    expect(overlays).toEqual([1]);
    expect(events).toHaveLength(2);
  });

  it('lets one role group consume two topics (events and alerts)', async () => {
    const run = randomUUID().slice(0, 8);
    const group = `events-role-${run}`;
    const events: string[] = [];
    const alerts: string[] = [];
    // A role instance consuming both topics in one group: two Kafka consumers, which must not share a Kafka group.
    const bus = newBus();
    await bus.subscribe<VigilEvent>(Topics.events, (e) => void (e.id.startsWith(run) && events.push(e.id)), {
      group,
    });
    await bus.subscribe<{ id: string }>(
      Topics.alerts,
      (a) => void (a.id.startsWith(run) && alerts.push(a.id)),
      {
        group,
      },
    );
    const producer = newBus();
    for (let n = 0; n < 6; n++) {
      const event = sampleEvent(run, `cam-${n}`, n);
      await producer.publish(Topics.events, event.cameraId, event);
      await producer.publish(Topics.alerts, event.cameraId, {
        id: `${run}-alert-${n}`,
        ruleId: 'r1',
        ruleName: 'Night',
        eventId: event.id,
        cameraId: event.cameraId,
        label: 'person',
        severity: 'warning',
        state: 'new',
        raisedTs: event.startTs,
      });
    }
    await waitFor(() => events.length === 6 && alerts.length === 6, 'every event and alert once');
    await new Promise((r) => setTimeout(r, 300));
    expect(new Set(events).size).toBe(6);
    expect(new Set(alerts).size).toBe(6);
    expect(events.length + alerts.length).toBe(12);
  });

  it.skipIf(needsFaultInjection)(
    'keeps consuming after the brokers refuse a group join with a non-retriable error (mock cluster injects INVALID_REQUEST)',
    async () => {
      const run = randomUUID().slice(0, 8);
      const relaunched = async () =>
        (
          await client.register.getSingleMetric('vigil_bus_kafka_consumer_relaunched_total')?.get()
        )?.values.reduce((a, v) => a + v.value, 0) ?? 0;
      const before = await relaunched();
      // kafkajs gives up on a consumer whose JoinGroup fails with INVALID_REQUEST (42): the bus replaces it.
      await kafka.failRequests(11, 42, 1);
      const bus = newBus();
      const seen: string[] = [];
      await bus.subscribe<VigilEvent>(Topics.events, (e) => void (e.id.startsWith(run) && seen.push(e.id)), {
        group: `store-${run}`,
      });
      await bus.publish(Topics.events, 'cam-a', sampleEvent(run, 'cam-a', 0));
      await waitFor(() => seen.length === 1, 'the event, through the replacement consumer', 30_000);
      expect(await relaunched()).toBe(before + 1);
    },
    60_000,
  );

  it('holds messages while a subscription is paused for back-pressure and delivers them on resume', async () => {
    const run = randomUUID().slice(0, 8);
    const bus = newBus();
    const seen: string[] = [];
    const sub = await bus.subscribe<VigilEvent>(
      Topics.events,
      (e) => void (e.id.startsWith(run) && seen.push(e.id)),
      { group: `store-${run}` },
    );
    await bus.publish(Topics.events, 'cam-a', sampleEvent(run, 'cam-a', 0));
    await waitFor(() => seen.length === 1, 'the first event');
    sub.pause();
    for (let i = 1; i <= 3; i++) await bus.publish(Topics.events, 'cam-a', sampleEvent(run, 'cam-a', i));
    await new Promise((r) => setTimeout(r, 2000));
    expect(seen).toHaveLength(1);
    sub.resume();
    await waitFor(() => seen.length === 4, 'the held events after resume');
  });

  it('redelivers to the group what a member killed mid-batch had not committed, and loses nothing', async () => {
    const run = randomUUID().slice(0, 8);
    const group = `store-${run}`;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(INSTALL_DIR, 'test/fixtures/kafka-mock/slow-consumer.ts'),
        kafka.brokers.join(','),
        group,
        '100',
        kafka.topicPrefix,
      ],
      { cwd: INSTALL_DIR, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const started: string[] = [];
    const done: string[] = [];
    let ready = false;
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === 'ready') ready = true;
        else if (line.startsWith(`start ${run}`)) started.push(line.slice(6));
        else if (line.startsWith(`done ${run}`)) done.push(line.slice(5));
      }
    });
    try {
      await waitFor(() => ready, 'the consumer process to join', 40_000);
      const bus = newBus();
      const sent: string[] = [];
      for (let i = 0; i < 40; i++) {
        const e = sampleEvent(run, i % 2 ? 'cam-a' : 'cam-b', i);
        sent.push(e.id);
        await bus.publish(Topics.events, e.cameraId, e);
      }
      // Kill it while a message is being handled (started, not done), after a dozen were finished.
      await waitFor(
        () => done.length >= 12 && started.some((id) => !done.includes(id)),
        'the consumer to be mid-way, handling a message',
        30_000,
      );
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const inFlight = started.filter((id) => !done.includes(id));
      expect(inFlight.length).toBeGreaterThan(0); // it really died in the middle of handling

      const after: string[] = [];
      await bus.subscribe<VigilEvent>(Topics.events, (e) => void (e.id.startsWith(run) && after.push(e.id)), {
        group,
      });
      await waitFor(() => new Set([...done, ...after]).size >= sent.length, 'every event handled', 40_000);
      await new Promise((r) => setTimeout(r, 500));
      expect(new Set([...done, ...after])).toEqual(new Set(sent)); // nothing lost
      for (const id of inFlight) expect(after).toContain(id); // the unfinished one came back
      expect(new Set(after).size).toBe(after.length); // the new member got each message once
      const redelivered = after.filter((id) => done.includes(id));
      console.log(
        `killed after ${done.length} handled; ${redelivered.length} handled-but-uncommitted redelivered`,
      );
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 90_000);
});
