import type { AuditEntry, AuditLog, AuditRecord, AuditRecordMessage } from '../contract/audit.js';
import { Topics, type Bus, type Subscription } from '../contract/bus.js';
import type { Service } from '../platform/lifecycle.js';

/** An audit log that chains bus messages once each. */
export interface MessageAuditLog extends AuditLog {
  appendMessage(messageId: string, record: AuditRecord): Promise<AuditEntry | undefined>;
}

export interface AuditBusChainerOptions {
  bus: Bus;
  log: () => MessageAuditLog;
  /** The events role's consumer group. */
  group: string;
}

/**
 * The events role's half of the cluster audit log: reads `vigil.audit.v1` (one key, one partition, so in the order
 * the api instances published) and chains each record. At least once: a message is committed after its entry is
 * stored; a redelivered one is recognised by its id and chained once.
 */
export class AuditBusChainer implements Service {
  readonly name = 'audit-chainer';
  #sub: Subscription | undefined;

  constructor(private readonly options: AuditBusChainerOptions) {}

  async start(): Promise<void> {
    this.#sub = await this.options.bus.subscribe<AuditRecordMessage>(
      Topics.audit,
      async (m) => {
        const { id, ...record } = m;
        await this.options.log().appendMessage(id, record);
      },
      { group: this.options.group },
    );
  }

  async dispose(): Promise<void> {
    await this.#sub?.dispose();
  }
}
