import type { Bus } from '../contract/bus.js';
import type { VigilConfig } from '../contract/config.js';
import type { SharedCache } from '../cache/create.js';
import type { ServiceHost } from '../platform/lifecycle.js';

/**
 * What every stage is built from: the contracts of its deployment, made by the one factory of each (bus, event
 * store, video store, cache) and handed in, so a stage never chooses an implementation or reads a secret itself.
 * A stage registers what it starts on `services` (started in order, disposed in reverse).
 */
export interface StageContracts {
  readonly config: VigilConfig;
  /** Absolute data folder of this process. */
  readonly dataDir: string;
  readonly services: ServiceHost;
  /** The in-process bus (local app) or Kafka (a cluster role). */
  readonly bus: Bus;
  /** The cluster's shared Redis; undefined in the local app and in a cluster without `cluster.redis.url`. */
  readonly cache?: SharedCache;
  /** Where the configuration's secrets (fields ending in Env) are read. */
  readonly env: NodeJS.ProcessEnv;
}
