import fs from 'node:fs';
import path from 'node:path';
import {
  AlertSiteSettingsSchema,
  type AlertSiteSettings,
  type AlertSiteSettingsInput,
} from '../contract/incidents.js';
import type { Redis } from 'ioredis';
import { connectRedis, type SharedRedisOptions } from '../api/shared-redis.js';
import type { SharedCache } from '../cache/create.js';
import type { Service, ServiceHealth, ServiceHost } from '../platform/lifecycle.js';
import { createLogger } from '../platform/log.js';

/** The site's alert settings as every role reads and changes them, wherever they are kept. */
export interface AlertSettings {
  get(): AlertSiteSettings;
  onChange(listener: (s: AlertSiteSettings) => void): void;
  /** Validates (throws the zod error on bad input), stores and applies new settings; resolves once stored. */
  set(input: AlertSiteSettingsInput): AlertSiteSettings | Promise<AlertSiteSettings>;
}

/**
 * The site's alert settings (sound, notification channels, escalation levels) in one small JSON file under the
 * data folder, so every window and browser of the site sees the same ones and they survive a reload. Secrets are
 * never in it: channels name the environment variables that hold them.
 */
export class AlertSettingsStore implements AlertSettings {
  readonly #log = createLogger('incidents.settings');
  #settings: AlertSiteSettings = AlertSiteSettingsSchema.parse({});
  readonly #listeners: Array<(s: AlertSiteSettings) => void> = [];

  constructor(readonly file: string) {}

  /** Reads the file; a damaged file is logged and the defaults are used (the file is kept for inspection). */
  load(): void {
    if (!fs.existsSync(this.file)) return;
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(this.file, 'utf8'));
    } catch {
      json = undefined;
    }
    const parsed = AlertSiteSettingsSchema.safeParse(json);
    if (parsed.success) this.#settings = parsed.data;
    else
      this.#log.error(
        { file: this.file, issue: parsed.error.issues[0]?.message },
        'alert settings unreadable',
      );
  }

  get(): AlertSiteSettings {
    return this.#settings;
  }

  onChange(listener: (s: AlertSiteSettings) => void): void {
    this.#listeners.push(listener);
  }

  /** Validates and stores new settings (temporary file, then rename). Throws the zod error on bad input. */
  set(input: AlertSiteSettingsInput): AlertSiteSettings {
    const settings = AlertSiteSettingsSchema.parse(input);
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(settings, null, 2));
    fs.renameSync(tmp, this.file);
    this.#settings = settings;
    for (const l of this.#listeners) l(settings);
    return settings;
  }
}

/** The alert settings kept in `file`, read. */
export function loadedAlertSettings(file: string): AlertSettingsStore {
  const store = new AlertSettingsStore(file);
  store.load();
  return store;
}

/**
 * The site's alert settings in the cluster's shared Redis, so that the api instance an administrator changes them
 * on and the events instances that escalate use the same ones: one key holds the settings, and a change is
 * announced on a channel that every instance follows (and read again when an instance reconnects). Until an
 * administrator saves settings in the cluster, the defaults apply.
 */
export class RedisAlertSettings implements AlertSettings, Service {
  readonly name = 'alert-settings';
  readonly #log = createLogger('incidents.settings');
  readonly #key: string;
  readonly #channel: string;
  readonly #client: Redis;
  readonly #subscriber: Redis;
  readonly #listeners: Array<(s: AlertSiteSettings) => void> = [];
  #settings: AlertSiteSettings = AlertSiteSettingsSchema.parse({});

  constructor(
    options: SharedRedisOptions,
    /** Settings an instance kept in its data folder before they were shared: they seed Redis once, if it has none. */
    private readonly seedFile?: string,
  ) {
    const prefix = options.keyPrefix ?? 'vigil:';
    // Keys and channels carry the prefix by hand: ioredis' keyPrefix does not apply to pub/sub channels.
    this.#key = `${prefix}alerts:settings`;
    this.#channel = `${prefix}alerts:settings`;
    this.#client = connectRedis(options);
    this.#subscriber = connectRedis(options);
    for (const r of [this.#client, this.#subscriber]) r.on('error', () => {});
    this.#subscriber.on('message', (channel: string) => {
      if (channel === this.#channel) void this.#reload();
    });
    this.#subscriber.on('ready', () => {
      void this.#subscriber.subscribe(this.#channel).then(
        () => this.#reload(),
        () => {},
      );
    });
  }

  async start(): Promise<void> {
    // Unreachable now: the defaults apply, health says so, and the settings are read once Redis is back.
    await Promise.all([this.#client.connect(), this.#subscriber.connect()]).catch((err: unknown) =>
      this.#log.warn({ err }, 'Redis unreachable: the alert settings are read once it is back'),
    );
    if (this.#subscriber.status === 'ready') await this.#subscriber.subscribe(this.#channel).catch(() => {});
    await this.#seed();
    await this.#reload();
  }

  /** Carries settings kept in the data folder over into Redis when Redis holds none yet (SET NX: the first wins). */
  async #seed(): Promise<void> {
    if (!this.seedFile || !fs.existsSync(this.seedFile)) return;
    const local = new AlertSettingsStore(this.seedFile);
    local.load();
    const seeded = await this.#client.set(this.#key, JSON.stringify(local.get()), 'NX').catch(() => null);
    if (seeded === 'OK') this.#log.info({ file: this.seedFile }, 'alert settings carried over into Redis');
  }

  async #reload(): Promise<void> {
    let text: string | null;
    try {
      text = await this.#client.get(this.#key);
    } catch (err) {
      this.#log.warn({ err }, 'could not read the alert settings from Redis; keeping the ones read before');
      return;
    }
    if (text === null) return;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = AlertSiteSettingsSchema.safeParse(json);
    if (!parsed.success) {
      this.#log.error({ key: this.#key }, 'alert settings in Redis unreadable; keeping the ones read before');
      return;
    }
    this.#apply(parsed.data);
  }

  #apply(settings: AlertSiteSettings): void {
    this.#settings = settings;
    for (const l of this.#listeners) l(settings);
  }

  get(): AlertSiteSettings {
    return this.#settings;
  }

  onChange(listener: (s: AlertSiteSettings) => void): void {
    this.#listeners.push(listener);
  }

  async set(input: AlertSiteSettingsInput): Promise<AlertSiteSettings> {
    const settings = AlertSiteSettingsSchema.parse(input);
    await this.#client.set(this.#key, JSON.stringify(settings));
    await this.#client.publish(this.#channel, 'changed');
    this.#apply(settings);
    return settings;
  }

  health(): ServiceHealth {
    return this.#subscriber.status === 'ready'
      ? { status: 'ok' }
      : {
          status: 'degraded',
          detail: 'Redis unreachable: alert-settings changes made elsewhere are not seen',
        };
  }

  async dispose(): Promise<void> {
    this.#client.disconnect();
    this.#subscriber.disconnect();
  }
}

/**
 * The site's alert settings of a process: in the cluster's shared Redis when there is one (every api and events
 * instance reads and changes the same), else in `<data>/alerts/settings.json`.
 */
export function createAlertSettings(
  services: ServiceHost,
  dataDir: string,
  cache: SharedCache | undefined,
): AlertSettings {
  const file = path.join(dataDir, 'alerts', 'settings.json');
  if (cache) return services.add(new RedisAlertSettings(cache.redis, file));
  return loadedAlertSettings(file);
}
