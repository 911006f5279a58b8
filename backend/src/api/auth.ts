import crypto from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { SESSION_COOKIE } from '../contract/api.js';

/** How the API server authenticates requests and logs browsers in. */
export interface ApiAuth {
  /** The bearer token of this instance (desktop shell, scripts). */
  readonly token: string;
  /** Whether a request carries a valid token or session cookie. */
  isAuthenticated(req: Pick<FastifyRequest, 'headers'>): boolean | Promise<boolean>;
  /** Exchanges a single-use login code for the Set-Cookie value of a session; undefined for a bad code. */
  login(code: string): string | undefined | Promise<string | undefined>;
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && crypto.timingSafeEqual(ab, bb);
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/**
 * Session authentication for the local API: one random token per launch (or `VIGIL_API_TOKEN`), accepted as a
 * Bearer header (desktop shell, scripts) or as an HttpOnly cookie (browsers), plus single-use login codes that a
 * browser exchanges for the cookie.
 */
export class SessionAuth implements ApiAuth {
  readonly token: string;
  readonly #loginCodes = new Set<string>();

  constructor(token?: string) {
    this.token = token && token.length >= 16 ? token : crypto.randomBytes(32).toString('base64url');
  }

  /** Creates a single-use code for a login link. */
  issueLoginCode(): string {
    const code = crypto.randomBytes(24).toString('base64url');
    this.#loginCodes.add(code);
    return code;
  }

  /** Consumes a login code; true once per code. */
  redeemLoginCode(code: string): boolean {
    for (const known of this.#loginCodes) {
      if (safeEqual(known, code)) {
        this.#loginCodes.delete(known);
        return true;
      }
    }
    return false;
  }

  /** Whether a request carries the session token. */
  isAuthenticated(req: Pick<FastifyRequest, 'headers'>): boolean {
    const header = req.headers.authorization;
    if (header?.startsWith('Bearer ') && safeEqual(header.slice(7).trim(), this.token)) return true;
    const cookie = cookieValue(req.headers.cookie, SESSION_COOKIE);
    return cookie !== undefined && safeEqual(cookie, this.token);
  }

  /** The Set-Cookie value that logs a browser in. */
  sessionCookie(): string {
    return sessionCookieFor(this.token);
  }

  login(code: string): string | undefined {
    return this.redeemLoginCode(code) ? this.sessionCookie() : undefined;
  }
}

/** The Set-Cookie value carrying a session token. */
export function sessionCookieFor(token: string): string {
  return `${SESSION_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
}

/**
 * Who made a request, for audit entries, notes and incident state: the one place that reads it. The session
 * authentication of this build has a single local operator; per-user sessions set `vigilUser` on the request.
 */
export function requestActor(req: FastifyRequest): string {
  const user = (req as FastifyRequest & { vigilUser?: unknown }).vigilUser;
  return typeof user === 'string' && user ? user : 'local';
}
