import type { ConnectionOptions } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import type { VigilAlert } from '../contract/events.js';
import type { Service, ServiceHealth } from '../platform/lifecycle.js';
import { createLogger } from '../platform/log.js';
import type { Principal } from './access.js';
import {
  DEFAULT_SESSION_POLICY,
  hashed,
  INSTANCE_TOKEN_USER,
  presentedCredentials,
  randomSecret,
  safeEqual,
  SETUP_USER,
  type ApiAuth,
  type SessionPolicy,
} from './auth.js';

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

/** A connection to the shared Redis (lazy: call connect()); commands fail fast while it is unreachable. */
export function connectRedis(options: SharedRedisOptions): Redis {
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
 * link issued by one instance can be used on any, and the session it opens is accepted (and ended on log out) by
 * all of them. Redis holds only SHA-256 hashes of codes and session ids; each key expires by itself (a code within
 * minutes; a session when idle, and never later than its lifetime). Without Redis, sessions are refused (fail
 * closed) while the bearer token still works.
 */
export class SharedSessionAuth implements ApiAuth, Service {
  readonly name = 'sessions';
  readonly token: string;
  readonly redis: Redis;
  readonly #log = createLogger('api.sessions');
  readonly #prefix: string;
  readonly #policy: SessionPolicy;
  readonly #now: () => number;
  #down = false;

  constructor(options: SharedRedisOptions & { token?: string; policy?: SessionPolicy; now?: () => number }) {
    this.token = options.token && options.token.length >= 16 ? options.token : randomSecret();
    this.#prefix = `${options.keyPrefix ?? 'vigil:'}auth:`;
    this.#policy = options.policy ?? DEFAULT_SESSION_POLICY;
    this.#now = options.now ?? Date.now;
    this.redis = connectRedis(options);
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

  /** Creates a single-use login code, valid on every api instance for the policy's few minutes. */
  async issueLoginCode(): Promise<string> {
    const code = randomSecret(24);
    await this.redis.set(`${this.#prefix}code:${hashed(code)}`, '1', 'PX', this.#policy.loginCodeTtlMs);
    return code;
  }

  async login(code: string): Promise<string | undefined> {
    if (!code || code.length > 200) return undefined;
    const key = `${this.#prefix}code:${hashed(code)}`;
    try {
      // Read and delete in one transaction: two instances redeeming the same code at once cannot both succeed.
      const result = await this.redis.multi().get(key).del(key).exec();
      if (result?.[0]?.[1] !== '1') return undefined;
      return await this.openSession(SETUP_USER);
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'login refused: Redis did not answer');
      return undefined;
    }
  }

  async openSession(user: string, epoch = 0): Promise<string> {
    const id = randomSecret();
    const session: StoredSession = { user, epoch, opened: this.#now() };
    await this.redis.set(
      this.#sessionKey(id),
      JSON.stringify(session),
      'PX',
      Math.min(this.#policy.idleMs, this.#policy.lifetimeMs),
    );
    return id;
  }

  async endSession(sessionId: string): Promise<void> {
    await this.redis.del(this.#sessionKey(sessionId));
  }

  async authenticate(req: Pick<FastifyRequest, 'headers'>): Promise<Principal | undefined> {
    const { bearer, sessionId } = presentedCredentials(req);
    if (bearer !== undefined && safeEqual(bearer, this.token))
      return { user: INSTANCE_TOKEN_USER, via: 'token' };
    if (sessionId === undefined) return undefined;
    const key = this.#sessionKey(sessionId);
    try {
      const text = await this.redis.get(key);
      if (!text) return undefined;
      const session = JSON.parse(text) as StoredSession;
      const left = session.opened + this.#policy.lifetimeMs - this.#now();
      if (!(left > 0) || typeof session.user !== 'string') {
        await this.redis.del(key);
        return undefined;
      }
      // Used now: it idles out from now, but never outlives its lifetime.
      await this.redis.pexpire(key, Math.max(1, Math.min(this.#policy.idleMs, left)));
      return { user: session.user, via: 'session', sessionId, epoch: session.epoch ?? 0 };
    } catch {
      return undefined;
    }
  }

  #sessionKey(id: string): string {
    return `${this.#prefix}session:${hashed(id)}`;
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

/** A session as Redis keeps it (under the hash of its id). */
interface StoredSession {
  user: string;
  epoch?: number;
  opened: number;
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
    this.#publisher = connectRedis(options);
    this.#subscriber = connectRedis(options);
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
