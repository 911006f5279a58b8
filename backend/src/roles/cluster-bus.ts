import fs from 'node:fs';
import type { ClusterBusConfig } from '../contract/config/cluster.js';
import type { Bus } from '../contract/bus.js';
import { Topics } from '../contract/bus.js';
import { KafkaBus, type KafkaBusOptions } from '../bus/kafka-bus.js';
import { MemoryBus } from '../bus/memory-bus.js';

/** A setting that cannot be used as configured (a missing secret, an unreadable CA file). */
export class ClusterSetupError extends Error {}

/** Reads a secret from the environment variable a config field names; a clear error when it is unset. */
export function secretFromEnv(
  field: string,
  name: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (!name) return undefined;
  const value = env[name];
  if (value === undefined || value === '') {
    throw new ClusterSetupError(`${field}: environment variable ${name} is not set`);
  }
  return value;
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
  if (config.sasl.mechanism !== 'none') {
    const username = secretFromEnv('cluster.bus.sasl.usernameEnv', config.sasl.usernameEnv, env);
    const password = secretFromEnv('cluster.bus.sasl.passwordEnv', config.sasl.passwordEnv, env);
    if (!username || !password) {
      throw new ClusterSetupError(
        `cluster.bus.sasl: mechanism ${config.sasl.mechanism} needs usernameEnv and passwordEnv`,
      );
    }
    sasl = { mechanism: config.sasl.mechanism, username, password };
  }
  let ssl: KafkaBusOptions['ssl'];
  if (config.tls.enabled) {
    let ca: string | undefined;
    if (config.tls.caFile) {
      try {
        ca = fs.readFileSync(config.tls.caFile, 'utf8');
      } catch (err) {
        throw new ClusterSetupError(
          `cluster.bus.tls.caFile: cannot read ${config.tls.caFile} (${(err as Error).message})`,
          { cause: err },
        );
      }
    }
    ssl =
      ca || !config.tls.rejectUnauthorized ? { ca, rejectUnauthorized: config.tls.rejectUnauthorized } : true;
  }
  return {
    brokers: config.brokers,
    clientId: `${config.clientId}-${role}`,
    sasl,
    ssl,
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
