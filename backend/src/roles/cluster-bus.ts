import type { ClusterBusConfig } from '../contract/config/cluster.js';
import type { Bus } from '../contract/bus.js';
import { Topics } from '../contract/bus.js';
import { KafkaBus, type KafkaBusOptions } from '../bus/kafka-bus.js';
import type { KafkaTopicSettings } from '../bus/kafka-topics.js';
import { MemoryBus } from '../bus/memory-bus.js';
import {
  ClusterSetupError,
  readPemFile,
  readSecret,
  readSecretFile,
  tlsOptions,
} from '../platform/secrets.js';

export { ClusterSetupError } from '../platform/secrets.js';

/** Consumer groups: one per role, so each message is handled once per role, by one of its instances. */
export const ROLE_GROUPS = {
  detect: 'vigil-detect',
  events: 'vigil-events',
  /** The events role's reader of event descriptors into the appearance index (a group of its own on the topic). */
  appearance: 'vigil-appearance',
} as const;

/**
 * Who dead-letters the malformed messages of each topic: the role group that owns the topic's processing. The api
 * instances (a new group per start) and the settings readers skip them, so a malformed message gets one letter,
 * however many groups read it and however often.
 */
export const DEAD_LETTER_GROUPS: Partial<Record<(typeof Topics)[keyof typeof Topics], string | null>> = {
  [Topics.frames]: ROLE_GROUPS.detect,
  [Topics.events]: ROLE_GROUPS.events,
  [Topics.alerts]: ROLE_GROUPS.events,
  [Topics.incidents]: ROLE_GROUPS.events,
  [Topics.audit]: ROLE_GROUPS.events,
  [Topics.detections]: null,
  [Topics.health]: null,
  [Topics.settings]: null,
  [Topics.deadLetter]: null,
};

const HOUR = 3_600_000;

/** The topic settings of `cluster.bus.topics`, retention in milliseconds. */
export function topicSettings(config: ClusterBusConfig): KafkaTopicSettings {
  const { manage, partitions, replicationFactor, retentionHours: h } = config.topics;
  return {
    manage,
    partitions,
    replicationFactor,
    retentionMs: {
      [Topics.frames]: h.frames * HOUR,
      [Topics.detections]: h.detections * HOUR,
      [Topics.events]: h.events * HOUR,
      [Topics.alerts]: h.alerts * HOUR,
      [Topics.incidents]: h.incidents * HOUR,
      [Topics.health]: h.health * HOUR,
      [Topics.audit]: h.audit * HOUR,
      [Topics.deadLetter]: h.deadLetter * HOUR,
    },
  };
}

/** Kafka client options from the config, with secrets taken from the environment. */
export function kafkaOptions(
  config: ClusterBusConfig,
  role: string,
  env: NodeJS.ProcessEnv = process.env,
): KafkaBusOptions {
  if (config.brokers.length === 0) {
    throw new ClusterSetupError('cluster.bus.brokers: list at least one Kafka broker (host:port)');
  }
  let sasl: KafkaBusOptions['sasl'];
  if (config.sasl.mechanism === 'oauthbearer') {
    const { tokenFile, tokenEnv } = config.sasl;
    if (tokenFile) {
      // Unreadable now: stop at start with the field's name rather than at the first authentication.
      readPemFile('cluster.bus.sasl.tokenFile', tokenFile);
      sasl = {
        mechanism: 'oauthbearer',
        token: async () => (await readSecretFile('cluster.bus.sasl.tokenFile', tokenFile)) as string,
      };
    } else {
      const token = readSecret('cluster.bus.sasl.tokenEnv', tokenEnv, env);
      if (!token)
        throw new ClusterSetupError('cluster.bus.sasl: mechanism oauthbearer needs tokenFile or tokenEnv');
      sasl = { mechanism: 'oauthbearer', token: async () => token };
    }
  } else if (config.sasl.mechanism !== 'none') {
    const username = readSecret('cluster.bus.sasl.usernameEnv', config.sasl.usernameEnv, env);
    const password = readSecret('cluster.bus.sasl.passwordEnv', config.sasl.passwordEnv, env);
    if (!username || !password) {
      throw new ClusterSetupError(
        `cluster.bus.sasl: mechanism ${config.sasl.mechanism} needs usernameEnv and passwordEnv`,
      );
    }
    sasl = { mechanism: config.sasl.mechanism, username, password };
  }
  let ssl: KafkaBusOptions['ssl'];
  if (config.tls.enabled) ssl = tlsOptions('cluster.bus.tls', config.tls) ?? true;
  return {
    brokers: config.brokers,
    clientId: `${config.clientId}-${role}`,
    sasl,
    ssl,
    topicPrefix: config.topicPrefix,
    topics: topicSettings(config),
    deadLetterGroups: DEAD_LETTER_GROUPS,
    maxFrameBytes: config.maxFrameBytes,
    compression: config.compression,
    sessionTimeoutMs: config.sessionTimeoutMs,
    // An api instance relays what happens now to its WebSocket clients, in a consumer group of its own that is new
    // at every start: reading events and alerts from the start of the topics would replay the whole history.
    ...(role === 'api' ? { startFrom: { [Topics.events]: 'latest', [Topics.alerts]: 'latest' } } : {}),
  };
}

/** The bus a role uses: the in-process one, or Kafka. */
export function createBus(config: ClusterBusConfig, role: string, env: NodeJS.ProcessEnv = process.env): Bus {
  return config.kind === 'kafka' ? new KafkaBus(kafkaOptions(config, role, env)) : new MemoryBus();
}
