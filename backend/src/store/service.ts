import path from 'node:path';
import type { Bus } from '../contract/bus.js';
import type { StoreConfig } from '../contract/config/store.js';
import type { EventStore } from '../contract/store.js';
import type { Service, ServiceHealth } from '../platform/lifecycle.js';
import { createLogger } from '../platform/log.js';
import { CachedEventStore } from './cached-store.js';
import { EventWriter } from './event-writer.js';
import { SqliteEventStore } from './sqlite-store.js';

export interface EventStoreServiceOptions {
  config: StoreConfig;
  /** Data folder: the database and snapshots live here unless store.file says otherwise. */
  dataDir: string;
  bus: Bus;
  cameraName?: (cameraId: string) => string | undefined;
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
    if (config.cache.redisUrl) {
      const password = config.cache.passwordEnv ? process.env[config.cache.passwordEnv] : undefined;
      if (config.cache.passwordEnv && !password)
        this.#log.warn(
          { variable: config.cache.passwordEnv },
          'the Redis password variable is not set; connecting without one',
        );
      store = new CachedEventStore(sqlite, {
        url: config.cache.redisUrl,
        ...(password ? { password } : {}),
        keyPrefix: config.cache.keyPrefix,
        ttlSeconds: config.cache.ttlSeconds,
      });
    }
    this.#store = store;
    this.#writer = new EventWriter({
      bus,
      store,
      maxEvents: config.batch.maxEvents,
      maxDelayMs: config.batch.maxDelayMs,
    });
    await this.#writer.start();
    this.#log.info({ file, cache: config.cache.redisUrl ? 'redis' : 'none' }, 'event store open');
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
