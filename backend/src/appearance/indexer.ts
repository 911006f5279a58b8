import { Topics, type Bus, type Subscription } from '../contract/bus.js';
import { labelFamily, type AppearanceIndex } from '../contract/appearance.js';
import type { VigilEvent } from '../contract/events.js';
import type { Service, ServiceHealth } from '../platform/lifecycle.js';
import { createLogger } from '../platform/log.js';
import { AppearanceSchema } from '../bus/schemas.js';

/**
 * Reads the events topic in a consumer group of its own and puts each event's appearance descriptor (sent
 * whenever the track's averaged look changed) into the appearance index. The event store is not involved: it keeps
 * events, this keeps what they look like. A message is acknowledged once its descriptor is stored, so none is lost
 * on a crash.
 */
export class AppearanceIndexer implements Service {
  readonly name = 'appearance.indexer';
  readonly #log = createLogger('appearance.indexer');
  #subscription: Subscription | undefined;
  #lastError: string | undefined;

  constructor(private readonly options: { bus: Bus; index: () => AppearanceIndex; group: string }) {}

  async start(): Promise<void> {
    this.#subscription = await this.options.bus.subscribe<VigilEvent>(
      Topics.events,
      (event) => this.#onEvent(event),
      { group: this.options.group, concurrency: 4 },
    );
  }

  async #onEvent(event: VigilEvent): Promise<void> {
    if (!event.appearance) return;
    const parsed = AppearanceSchema.safeParse(event.appearance);
    if (!parsed.success) {
      // A malformed descriptor loses only the search by appearance of this event; the event itself is stored.
      this.#log.warn(
        { event: event.id },
        'an event arrived with a malformed appearance descriptor; not indexed',
      );
      return;
    }
    try {
      await this.options.index().put([
        {
          eventId: event.id,
          cameraId: event.cameraId,
          family: labelFamily(event.label),
          ts: event.snapshot?.ts ?? event.lastTs,
          appearance: parsed.data,
        },
      ]);
      this.#lastError = undefined;
    } catch (err) {
      this.#lastError = err instanceof Error ? err.message : String(err);
      throw err;
    }
  }

  health(): ServiceHealth {
    return this.#lastError
      ? { status: 'degraded', detail: `storing an appearance descriptor failed: ${this.#lastError}` }
      : { status: 'ok' };
  }

  async dispose(): Promise<void> {
    await this.#subscription?.dispose();
    this.#subscription = undefined;
  }
}
