import { Topics, type Subscription } from '../contract/bus.js';
import type { VigilEvent } from '../contract/events.js';
import type { Incident } from '../contract/incidents.js';
import type { AppearanceIndex } from '../contract/appearance.js';
import type { EventStore } from '../contract/store.js';
import { createAppearanceIndex } from '../appearance/create.js';
import { ROLE_GROUPS } from '../bus/create.js';
import { AuditBusChainer, type MessageAuditLog } from '../audit/bus-chainer.js';
import type { AuditRecorder } from '../audit/recorder.js';
import { auditDbFile } from '../audit/service.js';
import { SqliteAuditLog } from '../audit/sqlite-audit-log.js';
import type { SigningKey } from '../export/signing.js';
import { ChannelError, type ChannelSendOptions } from '../incidents/channels.js';
import { EscalationService } from '../incidents/escalation.js';
import { ESCALATION_PERMISSION, type WindowPresence } from '../incidents/presence.js';
import type { AlertSettings } from '../incidents/site-settings.js';
import { createEsAuditLog } from '../store-es/create.js';
import { createEventStore, partitionsHealth } from '../store/create.js';
import type { StageContracts } from './contracts.js';

/** Where the events stage writes instead of the event store (tests). Writes are idempotent by event id. */
export interface EventSink {
  /** Resolves once the event is durably stored (the bus commits the message only then). */
  upsertEvent(event: VigilEvent): Promise<void>;
}

export interface EventsStageOptions {
  /** The event store's implementation (the local app: SQLite; a cluster: `cluster.eventStore.kind`). */
  store: 'sqlite' | 'elasticsearch';
  /** The site's alert settings: which channels each escalation level notifies. */
  alertSettings: AlertSettings;
  /** The windows open on the api instances, for the desktop and supervisors-on-duty channels. */
  presence: WindowPresence;
  /** Records each escalation past the first level. */
  audit: AuditRecorder;
  /** Where secrets entered in the alert settings are kept (channel signing keys, passwords). */
  secrets?: ChannelSendOptions['secrets'];
  /** Cluster: lets one events instance notify each incident level (see RedisEscalationLock). */
  claim?: (incidentId: string, level: number) => Promise<boolean>;
  /** Cluster: chain the audit records the api and ingest instances publish, signed with this key. */
  chainAudit?: SigningKey;
  /** Told of each incident as stored (SQLite: the local app's open windows). */
  onIncidentStored?: (incident: Incident) => void;
  /** Write events here instead of the event store, and escalate nothing (tests). */
  sink?: EventSink;
  /** Messages written at the same time (partitions handled in parallel). Default 4. */
  concurrency?: number;
}

/** What the events stage built: the store it writes (for the local app's API to read). */
export interface EventsStage {
  readonly store: (() => EventStore) | undefined;
  /** The appearance index it fills from the events topic ("find this person on other cameras"). */
  readonly appearance: (() => AppearanceIndex) | undefined;
}

/**
 * The events stage: writes the events, alerts and incidents the detect stage publishes into the event store (at
 * least once: a message is committed only after the store acknowledged the write; the store's upsert by
 * deterministic id makes a redelivery harmless), and escalates the incidents that stay new: each level's channels
 * are notified, the notifications recorded on the incident, and the incident published on
 * `vigil.notifications.v1` for the api instances to show in their windows. In a cluster it also chains the audit
 * records the other roles publish.
 */
export function eventsStage(c: StageContracts, options: EventsStageOptions): EventsStage {
  if (options.chainAudit) chainAudit(c, options.chainAudit);
  if (options.sink) {
    writeToSink(c, options.sink, options.concurrency ?? 4);
    return { store: undefined, appearance: undefined };
  }
  const store = createEventStore(c.services, {
    config: c.config,
    dataDir: c.dataDir,
    bus: c.bus,
    kind: options.store,
    writer: true,
    env: c.env,
    ...(c.cache ? { cache: c.cache } : {}),
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    ...(options.onIncidentStored ? { onIncidentStored: options.onIncidentStored } : {}),
  });

  const { presence } = options;
  c.services.add(
    new EscalationService({
      incidents: () => store().incidents,
      settings: options.alertSettings,
      // The incident, with its notification recorded, reaches every open window: desktop notification and sound.
      onChanged: (incident) => void c.bus.publish(Topics.notifications, incident.cameraId, incident),
      audit: options.audit,
      ...(options.claim ? { claim: options.claim } : {}),
      channel: {
        env: c.env,
        ...(options.secrets ? { secrets: options.secrets } : {}),
        desktop: () => {
          if (presence.windows() === 0) throw new ChannelError('no window of Vigil is open to show it');
        },
        supervisorsOnDuty: (team) => presence.connectedWith(ESCALATION_PERMISSION, team),
      },
    }),
  );
  // The appearance descriptors of events, from the events topic in a group of their own: in Elasticsearch beside
  // the events, or in <data>/appearance.db.
  const appearance = createAppearanceIndex(c.services, {
    dataDir: c.dataDir,
    ...(options.store === 'elasticsearch'
      ? { cluster: { eventStore: c.config.cluster.eventStore, env: c.env } }
      : {}),
    writer: { bus: c.bus, group: ROLE_GROUPS.appearance },
  });
  return { store, appearance };
}

/** The audit log: chains the records the api instances publish, in Elasticsearch or in <data>/audit.db. */
function chainAudit(c: StageContracts, signingKey: SigningKey): void {
  let auditLog: MessageAuditLog | undefined;
  if (c.config.cluster.eventStore.kind === 'elasticsearch') {
    const esAudit = createEsAuditLog(c.config.cluster.eventStore, { writer: signingKey }, c.env);
    c.services.add({
      name: 'audit-log',
      start: async () => {
        await esAudit.setup();
        auditLog = esAudit;
      },
      dispose: () => esAudit.dispose(),
    });
  } else {
    let sqliteAudit: SqliteAuditLog | undefined;
    c.services.add({
      name: 'audit-log',
      start: async () => {
        sqliteAudit = new SqliteAuditLog({ file: auditDbFile(c.dataDir), key: signingKey });
        auditLog = sqliteAudit;
      },
      dispose: async () => sqliteAudit?.dispose(),
    });
  }
  c.services.add(
    new AuditBusChainer({
      bus: c.bus,
      group: ROLE_GROUPS.events,
      log: () => {
        if (!auditLog) throw new Error('the audit log is not open yet');
        return auditLog;
      },
    }),
  );
}

function writeToSink(c: StageContracts, sink: EventSink, concurrency: number): void {
  let sub: Subscription | undefined;
  c.services.add({
    name: 'events-writer',
    start: async () => {
      sub = await c.bus.subscribe<VigilEvent>(Topics.events, (event) => sink.upsertEvent(event), {
        group: ROLE_GROUPS.events,
        concurrency,
      });
    },
    health: () => partitionsHealth(sub),
    dispose: async () => {
      await sub?.dispose();
    },
  });
}
