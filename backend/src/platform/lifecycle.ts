import { createLogger } from './log.js';

/** Anything that holds a resource: a timer, a socket, a child process, a consumer. */
export interface Disposable {
  dispose(): void | Promise<void>;
}

/** Collects disposables and disposes them in reverse order of registration. */
export class DisposableStore implements Disposable {
  readonly #items: Disposable[] = [];
  #disposed = false;

  /** Registers a disposable; disposing the store disposes it. */
  add<T extends Disposable>(item: T): T {
    if (this.#disposed) {
      void item.dispose();
      throw new Error('DisposableStore is already disposed');
    }
    this.#items.push(item);
    return item;
  }

  /** Registers a plain callback. */
  addCallback(fn: () => void | Promise<void>): void {
    this.add({ dispose: fn });
  }

  get isDisposed(): boolean {
    return this.#disposed;
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    const errors: unknown[] = [];
    for (const item of this.#items.splice(0).reverse()) {
      try {
        await item.dispose();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, 'several disposables failed');
  }
}

/** A long-lived part of the backend, started by the composition root. */
export interface Service extends Disposable {
  readonly name: string;
  start(): Promise<void>;
  /** What the service reports on /healthz. */
  health?(): ServiceHealth;
}

export interface ServiceHealth {
  status: 'ok' | 'degraded' | 'down';
  detail?: string;
}

/**
 * Starts services in order and disposes them in reverse. When one fails to start, the ones already started are
 * disposed and the error is rethrown: nothing half-starts.
 */
export class ServiceHost implements Disposable {
  readonly #log = createLogger('platform.services');
  readonly #started: Service[] = [];
  readonly #services: Service[] = [];

  add<T extends Service>(service: T): T {
    this.#services.push(service);
    return service;
  }

  get services(): readonly Service[] {
    return this.#services;
  }

  /** Health of every service that reports one, except `exclude` (the API server reporting on the others). */
  health(exclude?: Service): Record<string, ServiceHealth> {
    const out: Record<string, ServiceHealth> = {};
    for (const s of this.#services) if (s.health && s !== exclude) out[s.name] = s.health();
    return out;
  }

  async start(): Promise<void> {
    for (const service of this.#services) {
      const t0 = performance.now();
      try {
        await service.start();
      } catch (err) {
        this.#log.error({ service: service.name, err }, 'service failed to start; stopping the others');
        await this.dispose();
        throw err;
      }
      this.#started.push(service);
      this.#log.debug({ service: service.name, ms: Math.round(performance.now() - t0) }, 'service started');
    }
  }

  /** Disposes started services in reverse order; one failure does not stop the others from being disposed. */
  async dispose(): Promise<void> {
    for (const service of this.#started.splice(0).reverse()) {
      try {
        await service.dispose();
        this.#log.debug({ service: service.name }, 'service stopped');
      } catch (err) {
        this.#log.error({ service: service.name, err }, 'service failed to stop cleanly');
      }
    }
  }
}
