import net from 'node:net';
import type { ApiError } from '../contract/api.js';
import type { Permission, Role, RouteRule } from '../contract/people.js';
import type { CameraScope } from '../people/scope.js';

/**
 * Who may call a route, declared in the route's own options (`config: { access: 'public' }`):
 * - `public`: anyone (liveness, the login exchange, the static UI);
 * - `session`: a logged-in browser (session cookie) or the instance's bearer token — the default of every route
 *   that does not say;
 * - `token`: only the bearer token (the desktop shell and scripts), never a browser session.
 */
export type RouteAccess = 'public' | 'session' | 'token';

/** The authenticated caller of a request. */
export interface Principal {
  readonly user: string;
  /** How the caller proved who it is. */
  readonly via: 'token' | 'session';
  /** The session a browser presented (to end it on log out). */
  readonly sessionId?: string;
  /** The account's session epoch when the session opened (a new password or role ends older sessions). */
  readonly epoch?: number;
  /** Set once the caller's account is resolved: the role (`token` for API tokens) and what it may do. */
  readonly role?: Role | 'token';
  readonly permissions?: ReadonlySet<Permission>;
  /** The cameras the caller may see, per right. */
  readonly cameras?: CameraScope;
  readonly team?: string;
  /** A supervisor's team: the people whose audit entries and handovers they review. */
  readonly teamMembers?: readonly string[];
  readonly displayName?: string;
  /** How far back the archive reaches for this caller (minutes); undefined: no limit. */
  readonly lookbackMinutes?: number;
  /** A session that may only create the first administrator. */
  readonly setup?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route; a route that does not say requires a session. */
    access?: RouteAccess;
  }
  interface FastifyRequest {
    /** The caller, set by the access check before any handler runs; undefined on public routes without one. */
    principal?: Principal;
  }
}

/** What the access check decided for one request. */
export type AccessDecision =
  { readonly allow: true } | { readonly allow: false; readonly status: 401 | 403; readonly body: ApiError };

/** The access a matched route declares: `session` unless it says otherwise. */
export function declaredAccess(config: { access?: unknown } | undefined): RouteAccess {
  const access = config?.access;
  return access === 'public' || access === 'token' ? access : 'session';
}

/**
 * Decides whether `principal` may call a route, from the route's own declarations (after routing, never from the
 * URL): the credential its options ask for (`access`) and the permission its entry in `ROUTE_PERMISSIONS` names
 * (`rule`). Unmatched requests are allowed: the not-found handler serves only the UI shell or a 404.
 */
export function decideAccess(
  route: { access?: unknown } | undefined,
  principal: Principal | undefined,
  unmatched: boolean,
  rule: RouteRule = 'signed-in',
): AccessDecision {
  if (unmatched) return { allow: true };
  const access = declaredAccess(route);
  if (access === 'public' || rule === 'public') return { allow: true };
  if (!principal) {
    return {
      allow: false,
      status: 401,
      body: {
        error: 'unauthorized',
        message:
          'Missing, expired or invalid session. Open a new login link printed by the backend, or send the Bearer token.',
      },
    };
  }
  if (access === 'token' && principal.via !== 'token') {
    return {
      allow: false,
      status: 403,
      body: {
        error: 'forbidden',
        message: 'Only the desktop shell or a script with the API token may do this.',
      },
    };
  }
  if (rule === 'signed-in' || principal.permissions?.has(rule)) return { allow: true };
  return {
    allow: false,
    status: 403,
    body: {
      error: 'forbidden',
      message: principal.setup
        ? 'Create the first administrator before anything else.'
        : `Your role (${principal.role ?? 'none'}) may not do this: it needs the "${rule}" permission.`,
    },
  };
}

/** A host name with its port, as in a Host header or a URL's host (`name`, `name:8443`, `[::1]:8470`). */
function splitHost(value: string): { name: string; port: string } | undefined {
  const v = value.trim().toLowerCase();
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(v);
  if (!m) return undefined;
  const name = (m[1] ?? '').replace(/^\[|\]$/g, '').replace(/\.$/, '');
  return name ? { name, port: m[2] ?? '' } : undefined;
}

export interface HostPolicyOptions {
  /** The address the server binds to (`server.host`); a name here is served too. */
  bindHost: string;
  /** Further names (optionally `name:port`) browsers use to reach the server (`server.publicNames`). */
  publicNames: readonly string[];
}

/**
 * Which Host headers and Origins the server answers. DNS rebinding points an attacker's name at this machine, so
 * the browser sends that name as Host: only loopback names, IP literals (a page whose origin is an IP address is
 * that address, not a rebound name), the bound host and the configured public names are served. A page of another
 * origin (another site, or another port of 127.0.0.1, which browsers count as the same site for SameSite cookies)
 * may not change state or open a WebSocket: its Origin must be the UI's own.
 */
export class HostPolicy {
  readonly #names = new Set<string>();
  /** Public names as configured: `name` (the UI on the scheme's default port) or `name:port`. */
  readonly #publicHosts = new Set<string>();

  constructor(options: HostPolicyOptions) {
    const bind = splitHost(options.bindHost);
    if (bind && net.isIP(bind.name) === 0) this.#names.add(bind.name);
    for (const entry of options.publicNames) {
      const parsed = splitHost(entry);
      if (!parsed) continue;
      this.#names.add(parsed.name);
      this.#publicHosts.add(parsed.port ? `${parsed.name}:${parsed.port}` : parsed.name);
    }
  }

  /** Whether the server answers requests addressed to this Host header. */
  servesHost(hostHeader: string | undefined): boolean {
    const host = hostHeader ? splitHost(hostHeader) : undefined;
    if (!host) return false;
    const { name } = host;
    return (
      net.isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost') || this.#names.has(name)
    );
  }

  /**
   * Whether a request's Origin is the UI's own: the origin of the page this server serves (its host equals the
   * request's Host), or one of the public names (behind a reverse proxy the Host may be rewritten).
   */
  isOwnOrigin(origin: string, hostHeader: string | undefined): boolean {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // includes "null" (sandboxed frames, file: pages, redirects across origins)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    if (url.origin !== origin.toLowerCase().replace(/\/$/, '')) return false;
    const own = hostHeader ? splitHost(hostHeader) : undefined;
    const theirs = splitHost(url.host);
    if (!own || !theirs) return false;
    if (own.name === theirs.name && own.port === theirs.port) return true;
    // A public name: with its configured port, or on the scheme's default port when none is configured.
    return this.#publicHosts.has(theirs.port ? `${theirs.name}:${theirs.port}` : theirs.name);
  }
}

/** Methods that never change state; everything else is checked for a foreign Origin. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses a request addressed to a foreign Host (DNS rebinding), and a state-changing request or a WebSocket
 * upgrade whose Origin is present and not the UI's own. Requests without an Origin (the desktop shell's main
 * process, scripts, curl) are not browsers' cross-origin requests and pass on to authentication.
 */
export function checkHostAndOrigin(
  policy: HostPolicy,
  req: { method: string; headers: Record<string, string | string[] | undefined> },
): { status: 403 | 421; body: ApiError } | undefined {
  const host = req.headers.host;
  const hostHeader = typeof host === 'string' ? host : undefined;
  if (!policy.servesHost(hostHeader)) {
    return {
      status: 421,
      body: {
        error: 'unknown_host',
        message:
          'This server does not answer to that host name. Reach it by an IP address or localhost, or add the name to server.publicNames in the configuration.',
      },
    };
  }
  const origin = req.headers.origin;
  if (typeof origin !== 'string') return undefined;
  const upgrade = req.headers.upgrade;
  const isUpgrade = typeof upgrade === 'string' && upgrade.toLowerCase() === 'websocket';
  if (!isUpgrade && SAFE_METHODS.has(req.method)) return undefined;
  if (policy.isOwnOrigin(origin, hostHeader)) return undefined;
  return {
    status: 403,
    body: {
      error: 'cross_origin',
      message: 'Requests that change data, and live connections, are only accepted from the Vigil UI itself.',
    },
  };
}
