import type { Bus, Subscription } from '../contract/bus.js';
import { Topics } from '../contract/bus.js';
import type { VigilConfig } from '../contract/config.js';
import type { VigilAlert, VigilEvent } from '../contract/events.js';
import type { Incident } from '../contract/incidents.js';
import type { EventStore } from '../contract/store.js';
import type { SharedCache } from '../cache/create.js';
import { ROLE_GROUPS } from '../bus/create.js';
import type { ServiceHost } from '../platform/lifecycle.js';
import { createEsEventStore } from '../store-es/create.js';
import { CachedEventStore } from './cached-store.js';
import { EventStoreService } from './service.js';

export interface EventStoreFactoryOptions {
  config: VigilConfig;
  dataDir: string;
  bus: Bus;
  /** The implementation: SQLite (embedded, or the events role's database on one machine) or Elasticsearch. */
  kind: 'sqlite' | 'elasticsearch';
  /**
   * Fill the store from the bus (events, alerts, incidents), acknowledging each message once it is stored (the
   * events stage), or only read and annotate what another process writes (a cluster api instance).
   */
  writer: boolean;
  /** The cluster's shared Redis, put in front of the store (writes through it invalidate what others cached). */
  cache?: SharedCache;
  /** Messages the Elasticsearch writer stores at the same time (partitions handled in parallel). Default 4. */
  concurrency?: number;
  /** Told of each incident as stored, after its activity was merged (SQLite: live clients of the local app). */
  onIncidentStored?: (incident: Incident) => void;
  env?: NodeJS.ProcessEnv;
}

/**
 * The event-store factory, the one place that chooses the implementation: the store is registered as a service of
 * `services` (started before whatever reads it) and returned as an accessor valid once it started.
 */
export function createEventStore(services: ServiceHost, options: EventStoreFactoryOptions): () => EventStore {
  const { config } = options;
  const cameraNames = new Map(config.cameras.map((c) => [c.id, c.name]));
  const cameraName = (id: string) => cameraNames.get(id);
  const cache = options.cache?.eventStore;

  // SQLite: the store's own batched writer consumes events, alerts and incidents from the bus and acknowledges each
  // message only once its batch is committed to the database. WAL lets readers in other processes read meanwhile.
  if (options.kind === 'sqlite') {
    const sqlite = services.add(
      new EventStoreService({
        config: config.store,
        dataDir: options.dataDir,
        bus: options.bus,
        cameraName,
        ...(options.writer ? {} : { writer: false }),
        ...(cache ? { cache } : {}),
        ...(options.onIncidentStored ? { onIncidentStored: options.onIncidentStored } : {}),
      }),
    );
    return () => sqlite.store;
  }

  const es = createEsEventStore(config.cluster.eventStore, options.dataDir, cameraName, options.env);
  const cached = cache ? new CachedEventStore(es, cache) : undefined;
  const store: EventStore = cached ?? es;
  services.add({
    name: 'event-store',
    start: () => es.setup(),
    dispose: () => store.dispose(),
    health: () => cached?.health() ?? { status: 'ok' },
  });
  if (options.writer) addEsWriter(services, options.bus, store, options.concurrency ?? 4);
  return () => store;
}

/**
 * Writes what the bus carries into Elasticsearch, in the events role group: at least once, a message is committed
 * only after the store acknowledged the write; upserts by deterministic id make a redelivery harmless.
 */
function addEsWriter(services: ServiceHost, bus: Bus, store: EventStore, concurrency: number): void {
  const subs: Subscription[] = [];
  let events: Subscription | undefined;
  const group = ROLE_GROUPS.events;
  services.add({
    name: 'events-writer',
    start: async () => {
      events = await bus.subscribe<VigilEvent>(
        Topics.events,
        async (e) => void (await store.upsertEvents([e])),
        { group, concurrency },
      );
      subs.push(
        events,
        await bus.subscribe<VigilAlert>(Topics.alerts, (a) => store.alerts.upsertAlerts([a]), { group }),
        await bus.subscribe<Incident>(Topics.incidents, (i) => store.incidents.upsertIncidents([i]), {
          group,
        }),
      );
    },
    health: () => partitionsHealth(events),
    dispose: async () => {
      for (const s of subs.splice(0)) await s.dispose();
    },
  });
}

/** Which partitions of its topic a writer holds (Kafka): an instance holding none writes nothing. */
export function partitionsHealth(sub: Subscription | undefined): { status: 'ok'; detail?: string } {
  const partitions = sub?.assignment?.();
  if (!partitions) return { status: 'ok' };
  return partitions.length
    ? { status: 'ok', detail: `partitions ${partitions.join(',')}` }
    : { status: 'ok', detail: 'no partitions assigned' };
}
