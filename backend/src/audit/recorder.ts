import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AuditAction, AuditLog, AuditRecord, AuditRecordMessage } from '../contract/audit.js';
import { Topics, type Bus } from '../contract/bus.js';
import { requestActor } from '../api/auth.js';
import type { Service, ServiceHealth } from '../platform/lifecycle.js';
import { createLogger } from '../platform/log.js';

/** Where the recorder sends entries: the audit log itself, or the bus to the process that chains them. */
export interface AuditWriter {
  append(record: AuditRecord): Promise<unknown>;
}

/** What an action concerned. */
export interface AuditSubject {
  camera?: string;
  target?: string;
  detail?: Record<string, unknown>;
}

/**
 * The key of every audit message on the bus: one key, so one partition holds them all and the events role chains
 * them in the order the api instances published them. kafkajs' default partitioner sends equal keys to one
 * partition (murmur2 of the key, https://kafka.js.org/docs/producing#default-partitioners), and Kafka keeps order
 * only within a partition (https://kafka.apache.org/documentation/#intro_concepts_and_terms).
 */
export const AUDIT_BUS_KEY = 'audit';

/** Publishes records to `vigil.audit.v1` (an api instance of a cluster); the events role chains them. */
export class BusAuditWriter implements AuditWriter {
  constructor(private readonly bus: Bus) {}

  async append(record: AuditRecord): Promise<void> {
    const message: AuditRecordMessage = { id: randomUUID(), ...record };
    await this.bus.publish(Topics.audit, AUDIT_BUS_KEY, message);
  }
}

/**
 * How routes write the audit log. A failed write is logged, counted and shown in health, and the error reaches the
 * caller (`record`), so a request that must be audited is refused rather than carried out unrecorded; where the
 * action already happened (a live view closing), `recordAfter` logs and counts without throwing.
 */
export class AuditRecorder implements Service {
  readonly name = 'audit';
  readonly #log = createLogger('audit.recorder');
  readonly #writer: () => AuditWriter;
  readonly #now: () => number;
  #failures = 0;
  #lastFailure: { ts: number; message: string } | undefined;
  /** Whether the write that finished last succeeded (not a clock: two writes may share a millisecond). */
  #writing = true;

  constructor(writer: AuditWriter | (() => AuditWriter), now: () => number = Date.now) {
    this.#writer = typeof writer === 'function' ? writer : () => writer;
    this.#now = now;
  }

  async start(): Promise<void> {}

  /** Records an action of the request's caller; throws (after logging) when the entry could not be written. */
  async record(req: FastifyRequest | string, action: AuditAction, subject: AuditSubject = {}): Promise<void> {
    const actor = typeof req === 'string' ? req : requestActor(req);
    const record: AuditRecord = {
      ts: this.#now(),
      actor,
      action,
      ...(subject.camera ? { camera: subject.camera } : {}),
      ...(subject.target !== undefined ? { target: subject.target } : {}),
      ...(subject.detail ? { detail: subject.detail } : {}),
    };
    try {
      await this.#writer().append(record);
      this.#writing = true;
    } catch (err) {
      this.#failures++;
      this.#writing = false;
      this.#lastFailure = { ts: record.ts, message: (err as Error).message };
      this.#log.error({ err, action, actor, camera: subject.camera }, 'could not write the audit log');
      throw err;
    }
  }

  /** Records something that already happened: a failure is logged and shown in health, never thrown. */
  recordAfter(req: FastifyRequest | string, action: AuditAction, subject: AuditSubject = {}): Promise<void> {
    return this.record(req, action, subject).catch(() => {});
  }

  health(): ServiceHealth {
    if (!this.#lastFailure) return { status: 'ok' };
    // A failure before the last success is history: say so, but the log is being written again.
    const recovered = this.#writing;
    return {
      status: recovered ? 'ok' : 'degraded',
      detail: `${this.#failures} audit entr${this.#failures === 1 ? 'y' : 'ies'} could not be written; last at ${new Date(this.#lastFailure.ts).toISOString()}: ${this.#lastFailure.message}`,
    };
  }

  async dispose(): Promise<void> {}
}

/** The recorder of a process that holds the log itself. */
export function logWriter(log: () => AuditLog): AuditWriter {
  return { append: (r) => log().append(r) };
}
