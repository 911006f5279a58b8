import path from 'node:path';
import type { Bus } from '../contract/bus.js';
import type { StoreConfig } from '../contract/config/store.js';
import type { Incident } from '../contract/incidents.js';
import type { EventStore } from '../contract/store.js';
import type { Service, ServiceHealth } from '../platform/lifecycle.js';
import { createLogger } from '../platform/log.js';
import { CachedEventStore, type RedisCacheOptions } from './cached-store.js';
import { EventWriter } from './event-writer.js';
import { SqliteEventStore } from './sqlite-store.js';

export interface EventStoreServiceOptions {
  config: StoreConfig;
  /** Data folder: the database and snapshots live here unless store.file says otherwise. */
  dataDir: string;
  bus: Bus;
  cameraName?: (cameraId: string) => string | undefined;
  /**
   * Fill the database from the bus (default). False for a reader of a database another process writes (the
   * cluster's api role beside the events role): it searches and annotates, and never consumes the bus.
   */
  writer?: boolean;
  /** The Redis cache to put in front, instead of `config.cache` (the cluster's shared Redis). */
  cache?: RedisCacheOptions;
  /** Told of each incident as stored, after its activity was merged (live clients, escalation). */
  onIncidentStored?: (incident: Incident) => void;
}

/**
 * The event store of the local role: the SQLite database (with the Redis cache in front when configured) and the
 * writer that fills it from the bus.
 */
export class EventStoreService implements Service {
  readonly name = 'store';
  readonly #log = createLogger('store.service');
  #store: EventStore | undefined;
  #writer: EventWriter | undefined;

  constructor(private readonly options: EventStoreServiceOptions) {}

  /** The store, once started. */
  get store(): EventStore {
    if (!this.#store) throw new Error('the event store is not started');
    return this.#store;
  }

  async start(): Promise<void> {
    const { config, dataDir, bus } = this.options;
    const file = config.file ? path.resolve(dataDir, config.file) : path.join(dataDir, 'events.db');
    const sqlite = new SqliteEventStore({
      file,
      snapshotDir: path.join(path.dirname(file), 'snapshots'),
      synchronous: config.synchronous,
      ...(this.options.cameraName ? { cameraName: this.options.cameraName } : {}),
    });
    let store: EventStore = sqlite;
    const cache = this.options.cache ?? this.#configuredCache();
    if (cache) store = new CachedEventStore(sqlite, cache);
    this.#store = store;
    if (this.options.writer !== false) {
      this.#writer = new EventWriter({
        bus,
        store,
        maxEvents: config.batch.maxEvents,
        maxDelayMs: config.batch.maxDelayMs,
        ...(this.options.onIncidentStored ? { onIncidentStored: this.options.onIncidentStored } : {}),
      });
      await this.#writer.start();
    }
    this.#log.info(
      { file, cache: cache ? 'redis' : 'none', writer: this.options.writer !== false },
      'event store open',
    );
  }

  #configuredCache(): RedisCacheOptions | undefined {
    const { cache } = this.options.config;
    if (!cache.redisUrl) return undefined;
    const password = cache.passwordEnv ? process.env[cache.passwordEnv] : undefined;
    if (cache.passwordEnv && !password)
      this.#log.warn(
        { variable: cache.passwordEnv },
        'the Redis password variable is not set; connecting without one',
      );
    return {
      url: cache.redisUrl,
      ...(password ? { password } : {}),
      keyPrefix: cache.keyPrefix,
      ttlSeconds: cache.ttlSeconds,
    };
  }

  health(): ServiceHealth {
    const writer = this.#writer?.health();
    if (writer && writer.status !== 'ok') return writer;
    if (this.#store instanceof CachedEventStore) return this.#store.health();
    return { status: this.#store ? 'ok' : 'down' };
  }

  async dispose(): Promise<void> {
    await this.#writer?.dispose();
    this.#writer = undefined;
    await this.#store?.dispose();
    this.#store = undefined;
  }
}
