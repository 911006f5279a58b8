import type { Bus, Subscription } from '../contract/bus.js';
import { Topics } from '../contract/bus.js';
import type { VigilAlert, VigilEvent } from '../contract/events.js';
import type { EventStore, UpsertResult } from '../contract/store.js';
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
    await this.options.store.upsertAlerts([parsed.data as VigilAlert]);
    storeMetrics.alertsWritten.inc();
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
        this.#lastError = undefined;
        this.options.onCommitted?.(events, result);
        for (const p of batch) p.resolve();
      } catch (err) {
        end();
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
    this.#flushing = this.#flushing.then(() => this.#flush());
    await this.#flushing;
  }

  health(): ServiceHealth {
    return this.#lastError
      ? { status: 'degraded', detail: `last write failed: ${this.#lastError}` }
      : { status: 'ok' };
  }

  async dispose(): Promise<void> {
    const subs = this.#subscriptions.splice(0);
    // Stop taking messages, then commit what was taken: handlers waiting on a batch must settle for the
    // subscriptions to finish disposing.
    const closing = Promise.all(subs.map((s) => s.dispose()));
    await this.flush();
    await closing;
  }
}
