import type { Bus, Subscription } from '../contract/bus.js';
import { Topics } from '../contract/bus.js';
import type { VigilAlert, VigilEvent } from '../contract/events.js';
import type { EventStore, UpsertResult } from '../contract/store.js';
import { isDiskFullError, retryDelay } from '../platform/disk-full.js';
import type { Service, ServiceHealth } from '../platform/lifecycle.js';
import { createLogger } from '../platform/log.js';
import { IncidentSchema } from '../bus/schemas.js';
import type { Incident } from '../contract/incidents.js';
import { VigilAlertSchema, VigilEventSchema } from './event-schema.js';
import { storeMetrics } from './metrics.js';

export interface EventWriterOptions {
  bus: Bus;
  store: EventStore;
  /** Most messages per transaction. */
  maxEvents?: number;
  /** Longest wait for a batch to fill, in ms. */
  maxDelayMs?: number;
  /** Called after each commit with the events it made durable. */
  onCommitted?: (events: readonly VigilEvent[], result: UpsertResult) => void;
  /** Called with an incident as stored (activity merged into its state) after each incident message. */
  onIncidentStored?: (incident: Incident) => void;
}

interface Pending {
  event: VigilEvent;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** A bus message the store cannot use; thrown so the bus logs it (and, in a cluster, dead-letters it). */
export class InvalidMessageError extends Error {
  override name = 'InvalidMessageError';
}

/**
 * Writes event and alert messages from the bus into the store (consumer group "store"). Event messages are
 * batched into one transaction; each message is acknowledged (its handler resolves) only after its batch is
 * committed, so an acknowledged event survives a crash.
 *
 * When the disk is full the batch is kept and written again with back-off (250 ms doubling to 10 s) until space
 * returns; its messages stay unacknowledged meanwhile. The queue is bounded: at most `maxEvents` messages are
 * taken from the bus at once, and the bus makes publishers wait (embedded) or keeps the messages (Kafka) beyond.
 */
export class EventWriter implements Service {
  readonly name = 'store.writer';
  readonly #log = createLogger('store.writer');
  readonly #maxEvents: number;
  readonly #maxDelayMs: number;
  #pending: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #subscriptions: Subscription[] = [];
  #lastError: string | undefined;
  /** Since when writes fail because the disk is full (cleared by the next commit). */
  #diskFullSince: number | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryAttempt = 0;
  #disposing = false;

  constructor(private readonly options: EventWriterOptions) {
    this.#maxEvents = options.maxEvents ?? 500;
    this.#maxDelayMs = options.maxDelayMs ?? 25;
  }

  async start(): Promise<void> {
    const { bus } = this.options;
    this.#subscriptions.push(
      await bus.subscribe<unknown>(Topics.events, (m) => this.#onEvent(m), {
        group: 'store',
        // Enough messages in flight at once to fill a batch.
        concurrency: this.#maxEvents,
      }),
      await bus.subscribe<unknown>(Topics.alerts, (m) => this.#onAlert(m), { group: 'store' }),
      await bus.subscribe<unknown>(Topics.incidents, (m) => this.#onIncident(m), { group: 'store' }),
    );
  }

  #onEvent(message: unknown): Promise<void> {
    const parsed = VigilEventSchema.safeParse(message);
    if (!parsed.success) {
      storeMetrics.invalidMessages.inc({ topic: Topics.events });
      const issue = parsed.error.issues[0];
      throw new InvalidMessageError(
        `event message refused: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`,
      );
    }
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ event: parsed.data, resolve, reject });
      if (this.#pending.length >= this.#maxEvents) this.#scheduleFlush(0);
      else this.#scheduleFlush(this.#maxDelayMs);
    });
  }

  async #onAlert(message: unknown): Promise<void> {
    const parsed = VigilAlertSchema.safeParse(message);
    if (!parsed.success) {
      storeMetrics.invalidMessages.inc({ topic: Topics.alerts });
      const issue = parsed.error.issues[0];
      throw new InvalidMessageError(
        `alert message refused: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`,
      );
    }
    for (let attempt = 0; ; attempt++) {
      try {
        await this.options.store.alerts.upsertAlerts([parsed.data as VigilAlert]);
        break;
      } catch (err) {
        if (!isDiskFullError(err) || this.#disposing) throw err;
        this.#onDiskFull(err);
        await new Promise((r) => setTimeout(r, retryDelay(attempt)));
      }
    }
    this.#onCommitted();
    storeMetrics.alertsWritten.inc();
  }

  #onDiskFull(err: unknown): void {
    this.#lastError = err instanceof Error ? err.message : String(err);
    if (this.#diskFullSince === undefined) {
      this.#diskFullSince = Date.now();
      this.#log.error({ err }, 'disk full: events and alerts are kept and written again when space returns');
    }
  }

  #onCommitted(): void {
    if (this.#diskFullSince !== undefined)
      this.#log.warn(
        { afterMs: Date.now() - this.#diskFullSince },
        'disk space is back: waiting events and alerts written',
      );
    this.#diskFullSince = undefined;
    this.#lastError = undefined;
    this.#retryAttempt = 0;
  }

  async #onIncident(message: unknown): Promise<void> {
    const parsed = IncidentSchema.safeParse(message);
    if (!parsed.success) {
      storeMetrics.invalidMessages.inc({ topic: Topics.incidents });
      const issue = parsed.error.issues[0];
      throw new InvalidMessageError(
        `incident message refused: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`,
      );
    }
    const incident = parsed.data as unknown as Incident;
    await this.options.store.incidents.upsertIncidents([incident]);
    if (this.options.onIncidentStored) {
      const stored = await this.options.store.incidents.getIncident(incident.id);
      if (stored) this.options.onIncidentStored(stored);
    }
  }

  #scheduleFlush(delay: number): void {
    // While the disk is full, the back-off timer decides when to try again.
    if (this.#retryTimer) return;
    if (this.#timer && delay > 0) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flushing = this.#flushing.then(() => this.#flush());
    }, delay);
  }

  async #flush(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.#maxEvents);
      const events = batch.map((p) => p.event);
      const end = storeMetrics.batchSeconds.startTimer();
      try {
        const result = await this.options.store.upsertEvents(events);
        end();
        storeMetrics.eventsWritten.inc(events.length);
        this.#onCommitted();
        this.options.onCommitted?.(events, result);
        for (const p of batch) p.resolve();
      } catch (err) {
        end();
        if (isDiskFullError(err) && !this.#disposing) {
          // Keep the batch, in order, in front of what came since, and try again later.
          this.#pending.unshift(...batch);
          this.#onDiskFull(err);
          const delay = retryDelay(this.#retryAttempt++);
          this.#retryTimer = setTimeout(() => {
            this.#retryTimer = undefined;
            this.#flushing = this.#flushing.then(() => this.#flush());
          }, delay);
          return;
        }
        this.#lastError = err instanceof Error ? err.message : String(err);
        this.#log.error({ err, events: events.length }, 'writing a batch of events failed');
        for (const p of batch) p.reject(err);
      }
    }
  }

  /** Writes whatever is waiting now (shutdown, tests). */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#flushing = this.#flushing.then(() => this.#flush());
    await this.#flushing;
  }

  health(): ServiceHealth {
    if (this.#diskFullSince !== undefined)
      return {
        status: 'degraded',
        detail: `disk full: ${this.#pending.length} events waiting to be written (retrying since ${new Date(this.#diskFullSince).toISOString()})`,
      };
    return this.#lastError
      ? { status: 'degraded', detail: `last write failed: ${this.#lastError}` }
      : { status: 'ok' };
  }

  async dispose(): Promise<void> {
    this.#disposing = true;
    const subs = this.#subscriptions.splice(0);
    // Stop taking messages, then commit what was taken: handlers waiting on a batch must settle for the
    // subscriptions to finish disposing.
    const closing = Promise.all(subs.map((s) => s.dispose()));
    await this.flush();
    await closing;
  }
}
