import { Topics, type Subscription } from '../contract/bus.js';
import type { Incident } from '../contract/incidents.js';
import type { VigilAlert, VigilEvent } from '../contract/events.js';
import type { KafkaSubscription } from '../bus/kafka-bus.js';
import { createEsEventStore } from '../store-es/create.js';
import { EventStoreService } from '../store/service.js';
import { createAppearanceIndex } from '../appearance/create.js';
import { ServiceHost } from '../platform/lifecycle.js';
import { createLogger } from '../platform/log.js';
import { CachedEventStore } from '../store/cached-store.js';
import { AuditBusChainer, type MessageAuditLog } from '../audit/bus-chainer.js';
import { auditDbFile } from '../audit/service.js';
import { SqliteAuditLog } from '../audit/sqlite-audit-log.js';
import { loadOrCreateSigningKey, type SigningKey } from '../export/signing.js';
import { createEsAuditLog } from '../store-es/create.js';
import { appDataDir } from '../platform/paths.js';
import path from 'node:path';
import {
  ROLE_GROUPS,
  roleBus,
  roleMetricsServer,
  sharedCache,
  type RoleOptions,
  type RunningRole,
} from './role.js';

/** Where the events role writes. Writes are idempotent: an event id written twice is one event. */
export interface EventSink {
  /** Resolves once the event is durably stored (the bus commits the message only then). */
  upsertEvent(event: VigilEvent): Promise<void>;
}

export interface EventsRoleOptions extends RoleOptions {
  /** The event store to write to (built from `cluster.eventStore` by the caller). */
  sink?: EventSink;
  /** Messages written at the same time (partitions handled in parallel). Default 4. */
  concurrency?: number;
  /** The key that signs audit checkpoints; the installation's key (in the app data folder) by default. */
  signingKey?: SigningKey;
}

/**
 * The events role: consumes `vigil.events.v1` in the `vigil-events` consumer group and writes each event to the
 * event store. At least once: a message is committed only after the store acknowledged the write; the store's
 * upsert by deterministic id makes a redelivery harmless.
 */
export async function startEventsRole(options: EventsRoleOptions): Promise<RunningRole> {
  const log = createLogger('roles.events');
  const services = new ServiceHost();
  const bus = roleBus(services, 'events', options);
  roleMetricsServer(services, 'events', options.config.cluster.metricsPort);

  // --- audit log: chains the records the api instances publish, in Elasticsearch or in <data>/audit.db ---
  const signingKey = options.signingKey ?? loadOrCreateSigningKey(path.join(appDataDir(), 'keys'));
  let auditLog: MessageAuditLog | undefined;
  if (options.config.cluster.eventStore.kind === 'elasticsearch') {
    const esAudit = createEsAuditLog(options.config.cluster.eventStore, { writer: signingKey }, options.env);
    services.add({
      name: 'audit-log',
      start: async () => {
        await esAudit.setup();
        auditLog = esAudit;
      },
      dispose: () => esAudit.dispose(),
    });
  } else {
    let sqliteAudit: SqliteAuditLog | undefined;
    services.add({
      name: 'audit-log',
      start: async () => {
        sqliteAudit = new SqliteAuditLog({ file: auditDbFile(options.dataDir), key: signingKey });
        auditLog = sqliteAudit;
      },
      dispose: async () => sqliteAudit?.dispose(),
    });
  }
  services.add(
    new AuditBusChainer({
      bus,
      group: ROLE_GROUPS.events,
      log: () => {
        if (!auditLog) throw new Error('the audit log is not open yet');
        return auditLog;
      },
    }),
  );

  // --- appearance index ("find this person on other cameras"), filled from the events topic ---
  createAppearanceIndex(services, {
    dataDir: options.dataDir,
    cluster: { eventStore: options.config.cluster.eventStore, env: options.env },
    writer: { bus, group: ROLE_GROUPS.appearance },
  });

  // --- store (event store from cluster.eventStore) ---
  let sink = options.sink;
  if (!sink && options.config.cluster.eventStore.kind === 'elasticsearch') {
    const cameraNames = new Map(options.config.cameras.map((c) => [c.id, c.name]));
    const es = createEsEventStore(
      options.config.cluster.eventStore,
      options.dataDir,
      (id) => cameraNames.get(id),
      options.env,
    );
    // Writes go through the shared cache (when configured) so that the api instances' cached answers are
    // invalidated by them.
    const cache = sharedCache(options);
    const target = cache ? new CachedEventStore(es, cache) : es;
    services.add({ name: 'event-store', start: () => es.setup(), dispose: () => target.dispose() });
    sink = { upsertEvent: async (e) => void (await target.upsertEvents([e])) };
    let alertsSub: Subscription | undefined;
    let incidentsSub: Subscription | undefined;
    services.add({
      name: 'alerts-writer',
      start: async () => {
        alertsSub = await bus.subscribe<VigilAlert>(Topics.alerts, (a) => target.upsertAlerts([a]), {
          group: ROLE_GROUPS.events,
        });
        incidentsSub = await bus.subscribe<Incident>(
          Topics.incidents,
          (i) => target.incidents.upsertIncidents([i]),
          { group: ROLE_GROUPS.events },
        );
      },
      dispose: async () => {
        await alertsSub?.dispose();
        await incidentsSub?.dispose();
      },
    });
  }

  // SQLite (single site split into roles on one machine): the store's own batched writer consumes events and
  // alerts from the bus and acknowledges each message only once its batch is committed to the database.
  if (!sink && options.config.cluster.eventStore.kind === 'sqlite') {
    const cache = sharedCache(options);
    const cameraNames = new Map(options.config.cameras.map((c) => [c.id, c.name]));
    services.add(
      new EventStoreService({
        config: options.config.store,
        dataDir: options.dataDir,
        bus,
        cameraName: (id) => cameraNames.get(id),
        ...(cache ? { cache } : {}),
      }),
    );
    await services.start();
    log.info({ store: 'sqlite' }, 'events role ready');
    return { role: 'events', bus, services, dispose: () => services.dispose() };
  }

  let sub: Subscription | undefined;
  services.add({
    name: 'events-writer',
    start: async () => {
      if (!sink) {
        log.warn('no event store configured: events are not written');
        return;
      }
      sub = await bus.subscribe<VigilEvent>(Topics.events, (event) => sink.upsertEvent(event), {
        group: ROLE_GROUPS.events,
        concurrency: options.concurrency ?? 4,
      });
    },
    // Which partitions of the events topic this instance holds (Kafka): an instance holding none writes nothing.
    health: () => {
      if (!sub || !('assignment' in sub)) return { status: 'ok' };
      const partitions = (sub as KafkaSubscription).assignment();
      return partitions.length
        ? { status: 'ok', detail: `partitions ${partitions.join(',')}` }
        : { status: 'ok', detail: 'no partitions assigned' };
    },
    dispose: async () => {
      await sub?.dispose();
    },
  });

  await services.start();
  log.info('events role ready');
  return { role: 'events', bus, services, dispose: () => services.dispose() };
}
