import type { Redis } from 'ioredis';
import { connectRedis, type SharedRedisOptions } from '../api/shared-redis.js';
import type { Service, ServiceHealth } from '../platform/lifecycle.js';
import { createLogger } from '../platform/log.js';

/** Who a notification shown in a window can reach: the open windows, and the people connected with a permission. */
export interface WindowPresence {
  /** Open windows (WebSocket clients of the API). */
  windows(): number;
  /** Connected people holding a permission (of a team, when given), e.g. the supervisors on duty. */
  connectedWith(permission: string, team?: string): number;
}

/** The permission of the people the "supervisors on duty" channel reaches. */
export const ESCALATION_PERMISSION = 'escalations.receive';

/** What one api instance has connected, as it reports it. */
interface PresenceReport {
  ts: number;
  windows: number;
  /** The team (lower case; '' for none) of each connected person holding ESCALATION_PERMISSION. */
  receivers: string[];
}

/** The source of an api instance's report: its realtime hub. */
export interface PresenceSource {
  readonly clients: number;
  connectedTeams(permission: string): string[];
}

/** Reports older than this are of an instance that stopped without saying so: ignored and removed. */
const STALE_MS = 5_000;

/**
 * Windows open on the api instances of a cluster, for the escalating events instance to judge "no window open" and
 * "no supervisor on duty connected": each api instance writes what its realtime hub has connected into one Redis
 * hash (a field per instance, every `intervalMs`, removed at stop); the events instances read the hash on the same
 * pace and count the fresh fields. A window opened a moment ago may count only after one interval.
 */
export class RedisPresence implements Service, WindowPresence {
  readonly name = 'presence';
  readonly #log = createLogger('incidents.presence');
  readonly #key: string;
  readonly #redis: Redis;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #reports: PresenceReport[] = [];
  #error: string | undefined;

  constructor(
    options: SharedRedisOptions,
    private readonly role: { reports: PresenceSource; instance: string } | { reads: true },
    intervalMs = 1_000,
  ) {
    this.#key = `${options.keyPrefix ?? 'vigil:'}presence`;
    this.#redis = connectRedis(options);
    this.#redis.on('error', () => {});
    this.#intervalMs = intervalMs;
  }

  async start(): Promise<void> {
    await this.#redis.connect().catch((err: unknown) => (this.#error = (err as Error).message));
    await this.#tick();
    this.#timer = setInterval(() => void this.#tick(), this.#intervalMs);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    try {
      if ('reports' in this.role) {
        const { reports, instance } = this.role;
        const report: PresenceReport = {
          ts: Date.now(),
          windows: reports.clients,
          receivers: reports.connectedTeams(ESCALATION_PERMISSION),
        };
        await this.#redis.hset(this.#key, instance, JSON.stringify(report));
      } else {
        await this.#read();
      }
      this.#error = undefined;
    } catch (err) {
      if (this.#error === undefined) this.#log.warn({ err }, 'presence not shared through Redis');
      this.#error = (err as Error).message;
    }
  }

  async #read(): Promise<void> {
    const all = await this.#redis.hgetall(this.#key);
    const now = Date.now();
    const fresh: PresenceReport[] = [];
    const stale: string[] = [];
    for (const [instance, text] of Object.entries(all)) {
      let report: PresenceReport | undefined;
      try {
        report = JSON.parse(text) as PresenceReport;
      } catch {
        report = undefined;
      }
      if (report && typeof report.ts === 'number' && now - report.ts <= STALE_MS) fresh.push(report);
      else stale.push(instance);
    }
    if (stale.length) await this.#redis.hdel(this.#key, ...stale);
    this.#reports = fresh;
  }

  windows(): number {
    return this.#reports.reduce((n, r) => n + (Number(r.windows) || 0), 0);
  }

  connectedWith(permission: string, team?: string): number {
    if (permission !== ESCALATION_PERMISSION) return 0;
    const wanted = team?.toLowerCase();
    let n = 0;
    for (const r of this.#reports)
      for (const t of Array.isArray(r.receivers) ? r.receivers : []) if (!wanted || t === wanted) n++;
    return n;
  }

  health(): ServiceHealth {
    return this.#error
      ? { status: 'degraded', detail: `open windows not shared through Redis: ${this.#error}` }
      : { status: 'ok', detail: `${this.windows()} windows open on the api instances` };
  }

  async dispose(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    if ('reports' in this.role) await this.#redis.hdel(this.#key, this.role.instance).catch(() => {});
    this.#redis.disconnect();
  }
}

/** How long a claim on an incident level holds (the notifying instance's sends and retries fit well within it). */
const CLAIM_MS = 120_000;

/**
 * Lets one events instance notify each incident level: `SET <prefix>escalation:<incident>:<level> <instance> NX PX`.
 * Whoever sets the key first notifies; the others skip the level. The key is not released after the notification:
 * it outlives the moment the other instances could still read the incident without the level recorded (a store
 * read lagging behind the write, such as Elasticsearch's refresh), and expires by itself. An instance that stops
 * while notifying leaves the level to another one once the claim expired.
 */
export class RedisEscalationLock implements Service {
  readonly name = 'escalation-lock';
  readonly #prefix: string;
  readonly #redis: Redis;

  constructor(
    options: SharedRedisOptions,
    private readonly instance: string,
    private readonly claimMs = CLAIM_MS,
  ) {
    this.#prefix = `${options.keyPrefix ?? 'vigil:'}escalation:`;
    this.#redis = connectRedis(options);
    this.#redis.on('error', () => {});
  }

  async start(): Promise<void> {
    // Unreachable now: claims fail (nothing is notified twice) until Redis is back.
    await this.#redis.connect().catch(() => {});
  }

  /** True when this instance now holds the claim on the incident's level. */
  async claim(incidentId: string, level: number): Promise<boolean> {
    const ok = await this.#redis.set(
      `${this.#prefix}${incidentId}:${level}`,
      this.instance,
      'PX',
      this.claimMs,
      'NX',
    );
    return ok === 'OK';
  }

  health(): ServiceHealth {
    return this.#redis.status === 'ready'
      ? { status: 'ok' }
      : { status: 'degraded', detail: 'Redis unreachable: incidents are not escalated until it is back' };
  }

  async dispose(): Promise<void> {
    this.#redis.disconnect();
  }
}
