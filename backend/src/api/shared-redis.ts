import crypto from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import { SESSION_COOKIE } from '../contract/api.js';
import type { VigilAlert } from '../contract/events.js';
import type { Service, ServiceHealth } from '../platform/lifecycle.js';
import { createLogger } from '../platform/log.js';
import { cookieValue, safeEqual, sessionCookieFor, type ApiAuth } from './auth.js';

/** Where the Redis shared by the api instances of a cluster is. */
export interface SharedRedisOptions {
  url: string;
  /** Redis 6 ACL user (unset: the default user). */
  username?: string;
  password?: string;
  /** TLS options for a rediss:// URL (CA, client certificate). */
  tls?: ConnectionOptions;
  /** Prefix of every key and channel ("vigil:"). */
  keyPrefix?: string;
}

/** A login link is valid this long. */
const LOGIN_CODE_TTL_SECONDS = 10 * 60;
/** A browser session lasts this long without a new login. */
const SESSION_TTL_SECONDS = 12 * 3600;

function hashed(secret: string): string {
  return crypto.createHash('sha256').update(secret).digest('hex');
}

function connect(options: SharedRedisOptions): Redis {
  return new Redis(options.url, {
    ...(options.username ? { username: options.username } : {}),
    ...(options.password ? { password: options.password } : {}),
    ...(options.tls ? { tls: options.tls } : {}),
    // Without Redis nobody can log in on another instance; requests fail fast instead of queueing.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    lazyConnect: true,
  });
}

/**
 * Authentication shared by the api instances of a cluster: the instance's bearer token (VIGIL_API_TOKEN, the same
 * on every instance behind one load balancer), plus login codes and browser sessions kept in Redis, so a login
 * link issued by one instance can be used on any, and the session it opens is accepted by all of them. Redis
 * holds only SHA-256 hashes of codes and session tokens. Without Redis, sessions are refused (fail closed) while
 * the bearer token still works.
 */
export class SharedSessionAuth implements ApiAuth, Service {
  readonly name = 'sessions';
  readonly token: string;
  readonly redis: Redis;
  readonly #log = createLogger('api.sessions');
  readonly #prefix: string;
  #down = false;

  constructor(options: SharedRedisOptions & { token?: string }) {
    this.token =
      options.token && options.token.length >= 16
        ? options.token
        : crypto.randomBytes(32).toString('base64url');
    this.#prefix = `${options.keyPrefix ?? 'vigil:'}auth:`;
    this.redis = connect(options);
    this.redis.on('error', (err: Error) => {
      if (!this.#down)
        this.#log.warn({ err: err.message }, 'Redis unavailable: browser sessions are refused');
      this.#down = true;
    });
    this.redis.on('ready', () => {
      if (this.#down) this.#log.info('Redis is back: browser sessions are accepted again');
      this.#down = false;
    });
  }

  async start(): Promise<void> {
    // An unreachable Redis does not stop the instance: ioredis keeps reconnecting, the bearer token still works.
    await this.redis.connect().catch(() => {});
  }

  /** Creates a single-use login code, valid on every api instance for ten minutes. */
  async issueLoginCode(): Promise<string> {
    const code = crypto.randomBytes(24).toString('base64url');
    await this.redis.set(`${this.#prefix}code:${hashed(code)}`, '1', 'EX', LOGIN_CODE_TTL_SECONDS);
    return code;
  }

  async login(code: string): Promise<string | undefined> {
    if (!code || code.length > 200) return undefined;
    const key = `${this.#prefix}code:${hashed(code)}`;
    try {
      // Read and delete in one transaction: two instances redeeming the same code at once cannot both succeed.
      const result = await this.redis.multi().get(key).del(key).exec();
      if (result?.[0]?.[1] !== '1') return undefined;
      const session = crypto.randomBytes(32).toString('base64url');
      await this.redis.set(`${this.#prefix}session:${hashed(session)}`, '1', 'EX', SESSION_TTL_SECONDS);
      return sessionCookieFor(session);
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'login refused: Redis did not answer');
      return undefined;
    }
  }

  async isAuthenticated(req: Pick<FastifyRequest, 'headers'>): Promise<boolean> {
    const header = req.headers.authorization;
    const bearer = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    const cookie = cookieValue(req.headers.cookie, SESSION_COOKIE);
    const presented = [bearer, cookie].filter((v): v is string => !!v && v.length <= 200);
    if (presented.some((v) => safeEqual(v, this.token))) return true;
    for (const value of presented) {
      try {
        if ((await this.redis.exists(`${this.#prefix}session:${hashed(value)}`)) === 1) return true;
      } catch {
        return false;
      }
    }
    return false;
  }

  health(): ServiceHealth {
    return this.redis.status === 'ready'
      ? { status: 'ok' }
      : { status: 'degraded', detail: 'Redis unavailable: only the bearer token is accepted' };
  }

  async dispose(): Promise<void> {
    this.redis.disconnect();
  }
}

/**
 * Alert state changes (acknowledged, resolved) made on one api instance, relayed to the WebSocket clients of every
 * instance over a Redis channel. Each instance, the sender included, hands what arrives to `deliver`; when Redis
 * is unavailable the sender delivers its own change locally, so its own clients still see it.
 */
export class RedisAlertFanout implements Service {
  readonly name = 'alert-fanout';
  readonly #log = createLogger('api.alert-fanout');
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #channel: string;

  constructor(
    options: SharedRedisOptions,
    private readonly deliver: (alert: VigilAlert) => void,
  ) {
    this.#channel = `${options.keyPrefix ?? 'vigil:'}alerts`;
    this.#publisher = connect(options);
    this.#subscriber = connect(options);
    for (const r of [this.#publisher, this.#subscriber])
      r.on('error', (err: Error) => this.#log.debug({ err: err.message }, 'Redis error'));
    this.#subscriber.on('message', (channel: string, text: string) => {
      if (channel !== this.#channel) return;
      try {
        this.deliver(JSON.parse(text) as VigilAlert);
      } catch (err) {
        this.#log.warn({ err: (err as Error).message }, 'unreadable alert change on the Redis channel');
      }
    });
  }

  async start(): Promise<void> {
    // Subscribed on every (re)connection; an unreachable Redis does not stop the instance.
    this.#subscriber.on('ready', () => {
      this.#subscriber.subscribe(this.#channel).catch(() => {});
    });
    await Promise.all([this.#publisher.connect(), this.#subscriber.connect()]).catch(() => {});
    if (this.#subscriber.status === 'ready') await this.#subscriber.subscribe(this.#channel).catch(() => {});
  }

  /** Sends an alert's new state to every api instance. */
  async publish(alert: VigilAlert): Promise<void> {
    try {
      await this.#publisher.publish(this.#channel, JSON.stringify(alert));
    } catch (err) {
      this.#log.warn(
        { err: (err as Error).message },
        'Redis unavailable: alert change shown on this instance only',
      );
      this.deliver(alert);
    }
  }

  health(): ServiceHealth {
    return this.#subscriber.status === 'ready'
      ? { status: 'ok' }
      : {
          status: 'degraded',
          detail: 'Redis unavailable: alert changes stay on the instance that made them',
        };
  }

  async dispose(): Promise<void> {
    this.#subscriber.disconnect();
    this.#publisher.disconnect();
  }
}
