import type {
  DesktopSite,
  DesktopSiteInput,
  DesktopSiteRequest,
  DesktopSiteResponse,
} from '../backend/src/contract/desktop.js';
import { ConnectionSettingsError, probeBackend, validateOrigin } from './connection.js';
import { createMainLogger } from './log.js';
import type { SecretStore } from './secret-store.js';
import type { SettingsStore, SiteEntry } from './settings.js';
import {
  DEFAULT_SITE_TIMING,
  initialHealth,
  nextHealth,
  probeDue,
  type SiteHealth,
  type SiteHealthTiming,
  type SiteOutcome,
} from './site-health.js';

/** Name of a site's API token in the secret store. */
export const siteTokenSecret = (id: string): string => `site:${id}`;

/** A relayed request the main process refuses (unknown site, a route outside the relay's list, bad input). */
export class SiteRequestError extends Error {
  override readonly name = 'SiteRequestError';
}

const ID = /^[a-z0-9][a-z0-9-]{0,39}$/;
/** One path segment that names a thing (a camera, event or alert id): no dot segments, no encoded characters. */
const SEGMENT = '(?!\\.{1,2}/)[A-Za-z0-9._~-]{1,200}';

/**
 * The routes the relay carries: GET of what the wall, the incident desk and the search read, and the desk's one
 * action, acknowledging an incident (the site records who acknowledged by its own rules: the person its token
 * belongs to). Everything else (settings, cameras, exports, backups, resolving, bulk or false-positive actions)
 * stays with each site's own window. Live video goes through site-live.ts, not here.
 */
const RELAY_ROUTES: ReadonlyArray<{ method: 'GET' | 'POST'; path: RegExp; query: boolean }> = [
  { method: 'GET', path: /^\/api\/session$/, query: false },
  { method: 'GET', path: /^\/api\/cameras$/, query: false },
  { method: 'GET', path: new RegExp(`^/api/cameras/${SEGMENT}/snapshot\\.jpg$`), query: false },
  { method: 'GET', path: /^\/api\/events$/, query: true },
  { method: 'GET', path: /^\/api\/events\/facets$/, query: true },
  { method: 'GET', path: new RegExp(`^/api/events/${SEGMENT}$`), query: false },
  { method: 'GET', path: new RegExp(`^/api/events/${SEGMENT}/snapshot\\.jpg$`), query: true },
  { method: 'GET', path: /^\/api\/incidents$/, query: true },
  { method: 'POST', path: new RegExp(`^/api/incidents/${SEGMENT}/ack$`), query: false },
];

/**
 * Checks a relayed path against the relay's routes, on the exact bytes that will be sent: the path must be written
 * plainly (no percent-encoding, backslash, dot segment or doubled slash, which a server might normalise into
 * another route). Returns the path; throws SiteRequestError naming the problem.
 */
export function relayPath(method: unknown, path: unknown): string {
  if (method !== 'GET' && method !== 'POST')
    throw new SiteRequestError('method: only GET and POST are relayed');
  if (typeof path !== 'string' || path.length > 2048 || !path.startsWith('/') || path.startsWith('//')) {
    throw new SiteRequestError('path: expected a path on the site, e.g. /api/events');
  }
  const q = path.indexOf('?');
  const pathname = q < 0 ? path : path.slice(0, q);
  const query = q < 0 ? '' : path.slice(q + 1);
  if (/[%\\]|\/\.{1,2}(\/|$)|\/\//.test(pathname)) {
    throw new SiteRequestError(`path: "${pathname.slice(0, 100)}" is not written plainly`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020#\u007f]/.test(path)) throw new SiteRequestError('path: contains a control character');
  const route = RELAY_ROUTES.find((r) => r.method === method && r.path.test(pathname));
  if (!route) throw new SiteRequestError(`${method} ${pathname.slice(0, 100)} is not relayed to other sites`);
  if (query && !route.query) throw new SiteRequestError(`${pathname.slice(0, 100)} takes no query`);
  return path;
}

/** Checks a site to add; returns it normalised (the origin of its URL, a trimmed name). */
export function validateSiteInput(input: unknown, existing: readonly SiteEntry[]): DesktopSiteInput {
  const i = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const id = typeof i.id === 'string' ? i.id.trim() : '';
  if (!ID.test(id)) {
    throw new ConnectionSettingsError(
      'id: 1–40 lower-case letters, digits or "-", starting with a letter or digit',
      'id',
    );
  }
  if (existing.some((s) => s.id === id))
    throw new ConnectionSettingsError(`id: "${id}" is already a site`, 'id');
  const name = typeof i.name === 'string' ? i.name.trim() : '';
  if (!name || name.length > 100) throw new ConnectionSettingsError('name: 1–100 characters', 'name');
  const url = validateOrigin(typeof i.url === 'string' ? i.url : '', 'url');
  const token = typeof i.token === 'string' ? i.token : '';
  if (!token || token.length > 4096 || /\s/.test(token)) {
    throw new ConnectionSettingsError(
      'token: the API token has no spaces and at most 4096 characters',
      'token',
    );
  }
  return { id, name, url, token };
}

const MAX_IMAGE_BYTES = 8 * 1024 * 1024;

export interface SiteRelayOptions {
  settings: Pick<SettingsStore, 'value' | 'update'>;
  secrets: Pick<SecretStore, 'get' | 'set'>;
  timing?: SiteHealthTiming;
  requestTimeoutMs?: number;
  now?: () => number;
}

/**
 * The desktop's further sites: their list (settings.json, no secrets), their tokens (the OS secret store), their
 * health (probed and reconnected by itself with backoff), and a relay that lets the window read them. The window is
 * served by one site's origin, so it never calls another site itself: no CORS, no token in the page.
 */
export class SiteRelay {
  readonly #log = createMainLogger('main.sites');
  readonly #health = new Map<string, SiteHealth>();
  readonly #probing = new Set<string>();
  readonly #timing: SiteHealthTiming;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: SiteRelayOptions) {
    this.#timing = o.timing ?? DEFAULT_SITE_TIMING;
    this.#now = o.now ?? Date.now;
  }

  #health_(id: string): SiteHealth {
    let h = this.#health.get(id);
    if (!h) this.#health.set(id, (h = initialHealth(this.#now())));
    return h;
  }

  list(): DesktopSite[] {
    return this.o.settings.value.sites.map((s) => {
      const h = this.#health_(s.id);
      return {
        id: s.id,
        name: s.name,
        url: s.url,
        hasToken: Boolean(this.o.secrets.get(siteTokenSecret(s.id))),
        state: h.state,
        ...(h.detail ? { detail: h.detail } : {}),
      };
    });
  }

  add(input: unknown): DesktopSite[] {
    const site = validateSiteInput(input, this.o.settings.value.sites);
    this.o.secrets.set(siteTokenSecret(site.id), site.token);
    this.o.settings.update((s) => {
      s.sites.push({ id: site.id, name: site.name, url: site.url });
    });
    this.#health.set(site.id, initialHealth(this.#now()));
    this.#log.info({ site: site.id, url: site.url }, 'site added');
    void this.tick();
    return this.list();
  }

  remove(id: unknown): DesktopSite[] {
    if (typeof id !== 'string' || !this.o.settings.value.sites.some((s) => s.id === id)) {
      throw new SiteRequestError(`no site "${String(id).slice(0, 40)}"`);
    }
    this.o.settings.update((s) => {
      s.sites = s.sites.filter((x) => x.id !== id);
    });
    this.o.secrets.set(siteTokenSecret(id), '');
    this.#health.delete(id);
    return this.list();
  }

  #record(id: string, outcome: SiteOutcome): void {
    if (!this.o.settings.value.sites.some((s) => s.id === id)) return;
    const before = this.#health_(id);
    const after = nextHealth(before, outcome, this.#now(), this.#timing);
    if (after.state !== before.state) this.#log.info({ site: id, state: after.state }, 'site connection');
    this.#health.set(id, after);
  }

  #site(id: unknown): { entry: SiteEntry; token: string } {
    const entry = this.o.settings.value.sites.find((s) => s.id === id);
    if (!entry) throw new SiteRequestError(`no site "${String(id).slice(0, 40)}"`);
    const token = this.o.secrets.get(siteTokenSecret(entry.id));
    if (!token) throw new SiteRequestError(`site "${entry.name}" has no API token; add it again`);
    return { entry, token };
  }

  /** Where and as whom the main process reaches a site (for the live relay; never sent to a window). */
  connection(id: unknown): { name: string; url: string; token: string } {
    const { entry, token } = this.#site(id);
    return { name: entry.name, url: entry.url, token };
  }

  /** Relays one request to a site. A site that does not answer gives status 0 and is marked offline. */
  async request(input: unknown): Promise<DesktopSiteResponse> {
    const r = (typeof input === 'object' && input !== null ? input : {}) as Partial<DesktopSiteRequest>;
    const path = relayPath(r.method, r.path);
    const { entry, token } = this.#site(r.site);
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    let body: string | undefined;
    if (r.method === 'POST') {
      body = JSON.stringify(r.body ?? {});
      if (body.length > 100_000) throw new SiteRequestError('body: at most 100,000 characters');
      headers['content-type'] = 'application/json';
    }
    let res: Response;
    try {
      res = await fetch(`${entry.url}${path}`, {
        method: r.method,
        headers,
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(this.o.requestTimeoutMs ?? 10_000),
      });
    } catch (err) {
      this.#record(entry.id, 'unreachable');
      return { status: 0, error: `${entry.name} did not answer (${(err as Error).message})` };
    }
    if (res.status === 401) this.#record(entry.id, 'unauthorized');
    else if (res.status < 500) this.#record(entry.id, 'ok');
    const type = res.headers.get('content-type') ?? '';
    try {
      if (type.startsWith('image/jpeg')) {
        const bytes = Buffer.from(await res.arrayBuffer());
        if (bytes.length > MAX_IMAGE_BYTES) return { status: 502, error: 'image too large to relay' };
        return { status: res.status, dataUrl: `data:image/jpeg;base64,${bytes.toString('base64')}` };
      }
      if (type.includes('json')) return { status: res.status, json: await res.json() };
      await res.body?.cancel();
      return { status: res.status };
    } catch (err) {
      this.#record(entry.id, 'unreachable');
      return { status: 0, error: `${entry.name} broke off its answer (${(err as Error).message})` };
    }
  }

  async #probe(entry: SiteEntry): Promise<SiteOutcome> {
    const token = this.o.secrets.get(siteTokenSecret(entry.id));
    if (!token) return 'unauthorized';
    const signal = AbortSignal.timeout(this.o.requestTimeoutMs ?? 5000);
    return probeBackend(entry.url, token, signal);
  }

  /** Probes every site whose probe is due (online sites now and then, offline ones with backoff). */
  async tick(): Promise<void> {
    const now = this.#now();
    await Promise.all(
      this.o.settings.value.sites
        .filter((s) => !this.#probing.has(s.id) && probeDue(this.#health_(s.id), now))
        .map(async (s) => {
          this.#probing.add(s.id);
          try {
            this.#record(s.id, await this.#probe(s));
          } finally {
            this.#probing.delete(s.id);
          }
        }),
    );
  }

  /** Starts the health checks (every `pollMs`, each site when due). */
  start(pollMs = 500): void {
    this.stop();
    this.#timer = setInterval(() => void this.tick(), pollMs);
    this.#timer.unref?.();
    void this.tick();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
