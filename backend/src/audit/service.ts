import path from 'node:path';
import type { AuditLog } from '../contract/audit.js';
import type { SigningKey } from '../export/signing.js';
import type { Service } from '../platform/lifecycle.js';
import { SqliteAuditLog } from './sqlite-audit-log.js';

/** The audit log's file in a data folder. */
export function auditDbFile(dataDir: string): string {
  return path.join(dataDir, 'audit.db');
}

export interface AuditLogServiceOptions {
  dataDir: string;
  key: SigningKey;
  /** The event database, whose old `audit` table is chained once. */
  legacyEventsDb?: string;
  checkpointEvery?: number;
  checkpointIntervalMs?: number;
}

/** The embedded audit log as a service: opened at start, its head signed and the file closed at dispose. */
export class AuditLogService implements Service {
  readonly name = 'audit-log';
  #log: SqliteAuditLog | undefined;

  constructor(private readonly options: AuditLogServiceOptions) {}

  get log(): AuditLog {
    if (!this.#log) throw new Error('the audit log is not open yet');
    return this.#log;
  }

  async start(): Promise<void> {
    this.#log = new SqliteAuditLog({
      file: auditDbFile(this.options.dataDir),
      key: this.options.key,
      ...(this.options.legacyEventsDb ? { legacyEventsDb: this.options.legacyEventsDb } : {}),
      ...(this.options.checkpointEvery ? { checkpointEvery: this.options.checkpointEvery } : {}),
      ...(this.options.checkpointIntervalMs !== undefined
        ? { checkpointIntervalMs: this.options.checkpointIntervalMs }
        : {}),
    });
  }

  async dispose(): Promise<void> {
    await this.#log?.dispose();
    this.#log = undefined;
  }
}
