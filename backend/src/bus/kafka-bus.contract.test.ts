import { afterAll, beforeAll } from 'vitest';
import {
  KAFKA_MOCK_INSTALL_HINT,
  kafkaMockAvailable,
  startKafka,
  type KafkaHandle,
} from '../../../test/fixtures/kafka.js';
import { skipWithout } from '../../../test/fixtures/require.js';
import { busContractSuite } from '../../../test/contracts/bus.js';
import { KafkaBus } from './kafka-bus.js';
import { DEFAULT_TOPIC_SETTINGS } from './kafka-topics.js';

const skip = skipWithout(
  'the Kafka mock cluster (librdkafka)',
  kafkaMockAvailable(),
  KAFKA_MOCK_INSTALL_HINT,
);

let kafka: KafkaHandle;
const topics = { ...DEFAULT_TOPIC_SETTINGS, partitions: 4, replicationFactor: 1 };
beforeAll(async () => {
  if (skip) return;
  kafka = await startKafka({ partitions: 4 });
  const bus = new KafkaBus({
    brokers: kafka.brokers,
    clientId: 'vigil-test',
    topicPrefix: kafka.topicPrefix,
    topics,
  });
  await bus.ensureTopics();
  await bus.dispose();
});
afterAll(async () => {
  await kafka?.stop();
});

if (!skip) {
  // Every bus() is a separate client of the cluster, like separate role processes.
  busContractSuite('KafkaBus on the librdkafka mock cluster (or VIGIL_TEST_KAFKA)', () => {
    const buses: KafkaBus[] = [];
    return {
      bus: async () => {
        const bus = new KafkaBus({
          brokers: kafka.brokers,
          clientId: 'vigil-test',
          sessionTimeoutMs: 6_000,
          heartbeatIntervalMs: 500,
          handlerAttempts: 1,
          // Topics of this run only: the suite passes on a long-lived cluster that holds other runs' messages.
          topicPrefix: kafka.topicPrefix,
          topics,
        });
        buses.push(bus);
        return bus;
      },
      cleanup: async () => {
        await Promise.all(buses.map((b) => b.dispose()));
      },
    };
  });
}
