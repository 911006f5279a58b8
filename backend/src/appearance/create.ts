import path from 'node:path';
import type { AppearanceIndex } from '../contract/appearance.js';
import type { Bus } from '../contract/bus.js';
import type { ClusterEventStoreConfig } from '../contract/config/cluster.js';
import { createEsClient } from '../store-es/create.js';
import { DAY_MS, HOUR_MS } from '../contract/store.js';
import type { ServiceHost } from '../platform/lifecycle.js';
import { createLogger } from '../platform/log.js';
import { EsAppearanceIndex } from './es-index.js';
import { AppearanceIndexer } from './indexer.js';
import { APPEARANCE_DB, SqliteAppearanceIndex } from './sqlite-index.js';

export interface AppearanceOptions {
  /** Data folder of the embedded index (`<data>/appearance.db`). */
  dataDir: string;
  /**
   * A cluster role's event store: with Elasticsearch the index lives there (`<indexPrefix>-appearance`), with SQLite
   * in the data folder beside the events database.
   */
  cluster?: { eventStore: ClusterEventStoreConfig; env?: NodeJS.ProcessEnv };
  /**
   * Fill the index from the events topic in this consumer group (the role that writes events); absent for a
   * reader of an index another process fills (the cluster's api role).
   */
  writer?: { bus: Bus; group: string };
}

/**
 * The one factory of the appearance index: opened when the services start, closed when they stop, and, for the
 * role that writes events, the reader of the events topic that fills it. Returns how to get the open index.
 */
export function createAppearanceIndex(
  services: ServiceHost,
  options: AppearanceOptions,
): () => AppearanceIndex {
  const log = createLogger('appearance');
  let index: AppearanceIndex | undefined;
  let sweep: NodeJS.Timeout | undefined;
  services.add({
    name: 'appearance',
    start: async () => {
      const retentionDays =
        options.cluster?.eventStore.kind === 'elasticsearch' ? options.cluster.eventStore.retentionDays : 0;
      // The writer forgets descriptors as old as the events the store's retention deletes (hourly, as it does).
      if (options.writer && retentionDays > 0) {
        sweep = setInterval(() => {
          void index?.deleteBefore(Date.now() - retentionDays * DAY_MS).catch((err: unknown) => {
            log.warn({ err }, 'forgetting old appearance descriptors failed; trying again in an hour');
          });
        }, HOUR_MS);
        sweep.unref();
      }
      const eventStore = options.cluster?.eventStore;
      if (eventStore?.kind === 'elasticsearch') {
        const es = new EsAppearanceIndex({
          client: createEsClient(eventStore, options.cluster?.env),
          indexPrefix: eventStore.indexPrefix,
        });
        await es.setup();
        index = es;
      } else index = new SqliteAppearanceIndex(path.join(options.dataDir, APPEARANCE_DB));
    },
    dispose: async () => {
      clearInterval(sweep);
      await index?.dispose();
      index = undefined;
    },
  });
  const open = () => {
    if (!index) throw new Error('the appearance index is not open');
    return index;
  };
  if (options.writer) services.add(new AppearanceIndexer({ ...options.writer, index: open }));
  return open;
}
