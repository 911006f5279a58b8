import { Topics, type Bus, type Subscription } from '../contract/bus.js';
import type { Service } from '../platform/lifecycle.js';
import { createLogger } from '../platform/log.js';
import type { HandoverStore } from './store.js';

/** A camera status as the health topic carries it (the fields the outage history needs). */
interface HealthMessage {
  id: string;
  state: string;
  since?: number;
  name?: string;
  reason?: string;
}

/**
 * Keeps the history of camera outages that handovers report: follows the health topic and records when each camera
 * went down (reconnecting, failed) and when it streamed again (or was turned off on purpose).
 */
export class CameraOutageRecorder implements Service {
  readonly name = 'camera-outages';
  readonly #log = createLogger('handover.outages');
  #subscription: Subscription | undefined;

  constructor(
    private readonly options: {
      bus: Bus;
      store: HandoverStore;
      /** Consumer group: every instance that keeps a history of its own reads in a group of its own. */
      group: string;
      now?: () => number;
    },
  ) {}

  async start(): Promise<void> {
    this.#subscription = await this.options.bus.subscribe<HealthMessage>(
      Topics.health,
      (m) => this.record(m),
      { group: this.options.group },
    );
  }

  /** Records one health message. */
  async record(m: HealthMessage): Promise<void> {
    const ts = m.since ?? (this.options.now ?? Date.now)();
    try {
      if (m.state === 'reconnecting' || m.state === 'failed') {
        await this.options.store.cameraDown(m.id, ts, {
          ...(m.name ? { name: m.name } : {}),
          ...(m.reason ? { reason: m.reason } : {}),
        });
      } else if (m.state === 'streaming' || m.state === 'disabled') {
        await this.options.store.cameraUp(m.id, ts);
      }
    } catch (err) {
      this.#log.error({ err, camera: m.id }, 'could not record a camera outage');
    }
  }

  async dispose(): Promise<void> {
    await this.#subscription?.dispose();
    this.#subscription = undefined;
  }
}
