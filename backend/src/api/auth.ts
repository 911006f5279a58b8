import crypto from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { SESSION_COOKIE } from '../contract/api.js';
import type { Principal } from './access.js';

/** The user name a session carries before the first administrator exists (it may only create one). */
export const SETUP_USER = '@setup';
/** The name the instance's own bearer token acts under (the desktop shell, `VIGIL_API_TOKEN` scripts). */
export const INSTANCE_TOKEN_USER = 'instance-token';

/** How long login codes and browser sessions live. */
export interface SessionPolicy {
  /** A login link is valid this long (and only once). */
  loginCodeTtlMs: number;
  /** A session unused this long is ended. */
  idleMs: number;
  /** A session ends this long after it was opened, used or not. */
  lifetimeMs: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = {
  loginCodeTtlMs: 5 * 60_000,
  idleMs: 8 * 3600_000,
  lifetimeMs: 24 * 3600_000,
};

/** The session policy of the `server.sessions` configuration. */
export function sessionPolicyOf(config: {
  loginCodeMinutes: number;
  idleMinutes: number;
  lifetimeHours: number;
}): SessionPolicy {
  return {
    loginCodeTtlMs: config.loginCodeMinutes * 60_000,
    idleMs: config.idleMinutes * 60_000,
    lifetimeMs: config.lifetimeHours * 3600_000,
  };
}

/** How the API server authenticates requests and logs browsers in. */
export interface ApiAuth {
  /** The bearer token of this instance (desktop shell, scripts); never accepted from a cookie. */
  readonly token: string;
  /** The caller of a request: the bearer token's holder, a live browser session, or nobody. */
  authenticate(req: Pick<FastifyRequest, 'headers'>): Principal | undefined | Promise<Principal | undefined>;
  /**
   * Exchanges a single-use login code for a new session id that may only create the first administrator;
   * undefined for a bad, used or expired code.
   */
  login(code: string): string | undefined | Promise<string | undefined>;
  /** Opens a session for a person whose password (or the desktop shell's token) was checked; its id. */
  openSession(user: string, epoch?: number): string | Promise<string>;
  /** Ends a session (log out); its id stops working at once. */
  endSession(sessionId: string): void | Promise<void>;
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && crypto.timingSafeEqual(ab, bb);
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** A random secret: 32 bytes, URL-safe. */
export function randomSecret(bytes = 32): string {
  return crypto.randomBytes(bytes).toString('base64url');
}

/** The key a code or session id is stored under: its SHA-256, so a dump of the store logs nobody in. */
export function hashed(secret: string): string {
  return crypto.createHash('sha256').update(secret).digest('hex');
}

/** The bearer token and the session cookie a request presents (bounded, so a huge header is not hashed). */
export function presentedCredentials(req: Pick<FastifyRequest, 'headers'>): {
  bearer?: string;
  sessionId?: string;
} {
  const header = req.headers.authorization;
  const bearer = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
  const sessionId = cookieValue(req.headers.cookie, SESSION_COOKIE);
  return {
    ...(bearer && bearer.length <= 4096 ? { bearer } : {}),
    ...(sessionId && sessionId.length <= 200 ? { sessionId } : {}),
  };
}

/** The Set-Cookie value carrying a session id. */
export function sessionCookieFor(sessionId: string, secure = false): string {
  return `${SESSION_COOKIE}=${encodeURIComponent(sessionId)}; HttpOnly; SameSite=Strict; Path=/${secure ? '; Secure' : ''}`;
}

/** The Set-Cookie value that removes the session cookie. */
export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
}

interface LocalSession {
  user: string;
  epoch: number;
  opened: number;
  lastSeen: number;
}

/** At most this many login codes wait to be used, and this many sessions are open (oldest go first). */
const MAX_LOGIN_CODES = 1000;
const MAX_SESSIONS = 10_000;

/**
 * Authentication of one backend process: one random token per launch (or `VIGIL_API_TOKEN`), accepted only as a
 * Bearer header (desktop shell, scripts); single-use login codes that expire within minutes; and browser sessions,
 * each a random id in an HttpOnly cookie, that idle out, expire, and end on log out. Codes and session ids are kept
 * as hashes.
 */
export class SessionAuth implements ApiAuth {
  readonly token: string;
  readonly #policy: SessionPolicy;
  readonly #now: () => number;
  /** hash(code) → expiry time. */
  readonly #loginCodes = new Map<string, number>();
  /** hash(session id) → session. */
  readonly #sessions = new Map<string, LocalSession>();

  constructor(token?: string, policy: SessionPolicy = DEFAULT_SESSION_POLICY, now: () => number = Date.now) {
    this.token = token && token.length >= 16 ? token : randomSecret();
    this.#policy = policy;
    this.#now = now;
  }

  /** Creates a single-use code for a login link, valid for the policy's few minutes. */
  issueLoginCode(): string {
    this.#sweep();
    while (this.#loginCodes.size >= MAX_LOGIN_CODES)
      this.#loginCodes.delete(this.#loginCodes.keys().next().value!);
    const code = randomSecret(24);
    this.#loginCodes.set(hashed(code), this.#now() + this.#policy.loginCodeTtlMs);
    return code;
  }

  login(code: string): string | undefined {
    if (!code || code.length > 200) return undefined;
    const key = hashed(code);
    const expires = this.#loginCodes.get(key);
    this.#loginCodes.delete(key);
    if (expires === undefined || expires <= this.#now()) return undefined;
    return this.openSession(SETUP_USER);
  }

  openSession(user: string, epoch = 0): string {
    this.#sweep();
    while (this.#sessions.size >= MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value!);
    const id = randomSecret();
    const now = this.#now();
    this.#sessions.set(hashed(id), { user, epoch, opened: now, lastSeen: now });
    return id;
  }

  endSession(sessionId: string): void {
    this.#sessions.delete(hashed(sessionId));
  }

  authenticate(req: Pick<FastifyRequest, 'headers'>): Principal | undefined {
    const { bearer, sessionId } = presentedCredentials(req);
    if (bearer !== undefined && safeEqual(bearer, this.token))
      return { user: INSTANCE_TOKEN_USER, via: 'token' };
    if (sessionId === undefined) return undefined;
    const key = hashed(sessionId);
    const session = this.#sessions.get(key);
    if (!session) return undefined;
    const now = this.#now();
    if (!this.#alive(session, now)) {
      this.#sessions.delete(key);
      return undefined;
    }
    session.lastSeen = now;
    return { user: session.user, via: 'session', sessionId, epoch: session.epoch };
  }

  /** Number of open sessions (for tests and health). */
  get sessionCount(): number {
    this.#sweep();
    return this.#sessions.size;
  }

  #alive(session: LocalSession, now: number): boolean {
    return now - session.lastSeen < this.#policy.idleMs && now - session.opened < this.#policy.lifetimeMs;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [key, expires] of this.#loginCodes) if (expires <= now) this.#loginCodes.delete(key);
    for (const [key, session] of this.#sessions) if (!this.#alive(session, now)) this.#sessions.delete(key);
  }
}

/**
 * Who made a request, for audit entries, notes and incident state: the one place that reads it. The principal
 * is set by the server's access hook after routing.
 */
export function requestActor(req: FastifyRequest): string {
  return req.principal?.user ?? 'local';
}
