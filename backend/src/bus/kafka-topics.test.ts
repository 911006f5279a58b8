import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
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
import { randomUUID } from 'node:crypto';
import { KafkaBus } from './kafka-bus.js';
import { DEFAULT_TOPIC_SETTINGS, KafkaTopicError, type KafkaTopicSettings } from './kafka-topics.js';

const skip = skipWithout(
  'the Kafka mock cluster (librdkafka)',
  kafkaMockAvailable(),
  KAFKA_MOCK_INSTALL_HINT,
);
const needsFaultInjection = skip || mockOnly();

let kafka: KafkaHandle;
const buses: KafkaBus[] = [];
const settings = (o: Partial<KafkaTopicSettings> = {}): KafkaTopicSettings => ({
  ...DEFAULT_TOPIC_SETTINGS,
  partitions: 3,
  replicationFactor: 1,
  ...o,
});
/** A topic prefix of its own: every test starts with no Vigil topic at all. */
const freshPrefix = () => `${kafka.topicPrefix}${randomUUID().slice(0, 6)}.`;
const newBus = (topics: KafkaTopicSettings = settings(), topicPrefix = freshPrefix()) => {
  const bus = new KafkaBus({ brokers: kafka.brokers, clientId: 'vigil-test', topicPrefix, topics });
  buses.push(bus);
  return bus;
};
const admin = () =>
  new Kafka({ clientId: 'vigil-test-admin', brokers: kafka.brokers, logLevel: logLevel.NOTHING }).admin();

beforeAll(async () => {
  // Brokers that do not create topics on first use, as on a managed cluster.
  if (!skip) kafka = await startKafka({ partitions: 2, autoCreateTopics: false });
});
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.dispose()));
});
afterAll(async () => {
  await kafka?.stop();
});

describe.skipIf(skip)(
  'Kafka topics created or checked at start (mock cluster with its admin front, or VIGIL_TEST_KAFKA)',
  () => {
    it('creates every topic with the configured partitions, replication and retention, compacts the settings topic, and only checks them at the next start', async () => {
      const prefix = freshPrefix();
      const bus = newBus(settings({ partitions: 3 }), prefix);
      const names = Object.values(Topics).map((t) => bus.kafkaTopic(t));
      const report = await bus.ensureTopics();
      expect([...report.created].sort()).toEqual([...names].sort());
      expect(report.warnings).toEqual([]);

      const a = admin();
      await a.connect();
      try {
        const meta = await a.fetchTopicMetadata({ topics: names });
        for (const t of meta.topics) expect([t.name, t.partitions.length]).toEqual([t.name, 3]);
        const configs = await a.describeConfigs({
          includeSynonyms: false,
          resources: names.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
        });
        const config = (name: string, key: string) =>
          configs.resources
            .find((r) => r.resourceName === name)
            ?.configEntries.find((e) => e.configName === key)?.configValue;
        expect(config(bus.kafkaTopic(Topics.settings), 'cleanup.policy')).toBe('compact');
        expect(config(bus.kafkaTopic(Topics.frames), 'cleanup.policy')).toBe('delete');
        expect(config(bus.kafkaTopic(Topics.frames), 'retention.ms')).toBe(String(3_600_000));
        expect(config(bus.kafkaTopic(Topics.events), 'retention.ms')).toBe(String(168 * 3_600_000));
        expect(config(bus.kafkaTopic(Topics.deadLetter), 'retention.ms')).toBe(String(336 * 3_600_000));
        // Every audit record carries one key (one partition keeps their order). A compacted topic keeps only "the
        // last known value for each message key" (https://kafka.apache.org/documentation/#topicconfigs_cleanup.policy),
        // which would drop every record but the newest before the events role chains it: the audit topic deletes by
        // age only, after two weeks, like the dead letters.
        expect(config(bus.kafkaTopic(Topics.audit), 'cleanup.policy')).toBe('delete');
        expect(config(bus.kafkaTopic(Topics.audit), 'retention.ms')).toBe(String(336 * 3_600_000));
        expect(config(bus.kafkaTopic(Topics.incidents), 'cleanup.policy')).toBe('delete');
      } finally {
        await a.disconnect();
      }

      // Every role does this at start; once the topics are there it changes nothing.
      const again = await newBus(settings({ partitions: 3 }), prefix).ensureTopics();
      expect(again).toEqual({ created: [], warnings: [] });
      // A bus configured for more partitions than the topics have carries on, and says so.
      const more = await newBus(settings({ partitions: 6 }), prefix).ensureTopics();
      expect(more.created).toEqual([]);
      expect(more.warnings).toContain(`${bus.kafkaTopic(Topics.frames)} has 3 partitions (configured: 6)`);
    });

    it('lets the roles publish and consume on a cluster that does not create topics on first use, once the topics exist', async () => {
      const bus = newBus();
      if (!kafka.real) {
        // The brokers refuse to create a topic on first use even when the client asks them to.
        const producer = new Kafka({
          clientId: 'vigil-test',
          brokers: kafka.brokers,
          logLevel: logLevel.NOTHING,
          retry: { retries: 0 },
        }).producer({ allowAutoTopicCreation: true });
        await producer.connect();
        try {
          await expect(
            producer.send({ topic: bus.kafkaTopic(Topics.health), messages: [{ value: '{}' }] }),
          ).rejects.toThrow(/does not host this topic-partition/);
        } finally {
          await producer.disconnect();
        }
      }
      await bus.ensureTopics();
      const seen: string[] = [];
      await bus.subscribe<{ id: string }>(Topics.health, (h) => void seen.push(h.id), {
        group: 'health-reader',
      });
      await bus.publish(Topics.health, 'cam-1', { id: 'cam-1', state: 'online' });
      const deadline = Date.now() + 20_000;
      while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(seen).toEqual(['cam-1']);
    });

    it('refuses a settings topic that is not compacted, naming the topic and the command that fixes it', async () => {
      const bus = newBus();
      const a = admin();
      await a.connect();
      try {
        await a.createTopics({
          topics: [
            {
              topic: bus.kafkaTopic(Topics.settings),
              numPartitions: 1,
              replicationFactor: 1,
              configEntries: [{ name: 'cleanup.policy', value: 'delete' }],
            },
          ],
        });
      } finally {
        await a.disconnect();
      }
      const err = await bus.ensureTopics().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KafkaTopicError);
      expect((err as KafkaTopicError).topic).toBe(bus.kafkaTopic(Topics.settings));
      expect((err as Error).message).toMatch(/cleanup\.policy=delete, but it must be compacted/);
      expect((err as Error).message).toContain(
        `--entity-name ${bus.kafkaTopic(Topics.settings)} --add-config cleanup.policy=compact`,
      );
    });

    it('in "verify" mode creates nothing and names the first missing topic', async () => {
      const prefix = freshPrefix();
      const bus = newBus(settings({ manage: 'verify' }), prefix);
      await expect(bus.ensureTopics()).rejects.toThrow(
        `Kafka topic "${bus.kafkaTopic(Topics.frames)}" does not exist (cluster.bus.topics.manage is "verify"; ${Object.keys(Topics).length - 1} more missing)`,
      );
      const a = admin();
      await a.connect();
      try {
        expect((await a.listTopics()).filter((t) => t.startsWith(prefix))).toEqual([]);
      } finally {
        await a.disconnect();
      }
    });

    it('says which setting to lower when the replication factor exceeds the brokers', async () => {
      const bus = newBus(settings({ replicationFactor: 32 }));
      await expect(bus.ensureTopics()).rejects.toThrow(
        /cannot be created with replication factor 32 \(INVALID_REPLICATION_FACTOR\): set cluster\.bus\.topics\.replicationFactor/,
      );
    });

    it.skipIf(needsFaultInjection)(
      'stops with the topic and the missing CREATE permission when the Kafka user may not create topics (mock cluster refuses CreateTopics)',
      async () => {
        const bus = newBus();
        // Kafka answers TOPIC_AUTHORIZATION_FAILED (29) to a CreateTopics without CREATE on the topic or cluster
        // (https://kafka.apache.org/documentation/#operations_in_kafka: CreateTopics needs Create on Topic or Cluster).
        await kafka.failRequests(19, 29, 1);
        const err = await bus.ensureTopics().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(KafkaTopicError);
        expect((err as Error).message).toBe(
          `Kafka topic "${bus.kafkaTopic(Topics.frames)}" does not exist and the Kafka user may not create it ` +
            '(TOPIC_AUTHORIZATION_FAILED): grant the CREATE permission on the topic (or on the cluster), or create it ' +
            'beforehand with partitions 3, replication factor 1, cleanup.policy=delete, retention.ms=3600000.',
        );
      },
    );

    it.skipIf(needsFaultInjection)(
      'stops with the topic and the missing DESCRIBE_CONFIGS permission when its settings cannot be read (mock cluster refuses DescribeConfigs)',
      async () => {
        const bus = newBus();
        await kafka.failRequests(32, 29, 1);
        await expect(bus.ensureTopics()).rejects.toThrow(
          `cannot read the settings of Kafka topic "${bus.kafkaTopic(Topics.frames)}" (TOPIC_AUTHORIZATION_FAILED): grant the DESCRIBE_CONFIGS permission on the topic.`,
        );
      },
    );
  },
);
