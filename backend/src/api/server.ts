import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
  type RouteOptions,
} from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifyWebsocket from '@fastify/websocket';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import {
  ApiRoutes,
  SESSION_COOKIE,
  appContentSecurityPolicy,
  type KibanaResponse,
  type ApiError,
  type HealthResponse,
} from '../contract/api.js';
import {
  PeopleApiRoutes,
  routeKey,
  SignInBody,
  UserName,
  Password,
  type RouteRule,
  type SessionResponse,
} from '../contract/people.js';
import { ROUTE_PERMISSIONS } from '../contract/route-permissions.js';
import type { People } from '../people/service.js';
import type { Service, ServiceHealth } from '../platform/lifecycle.js';
import { createLogger } from '../platform/log.js';
import { VERSION } from '../platform/version.js';
import {
  checkHostAndOrigin,
  decideAccess,
  declaredAccess,
  HostPolicy,
  type Principal,
  type RouteAccess,
} from './access.js';
import {
  clearedSessionCookie,
  INSTANCE_TOKEN_USER,
  presentedCredentials,
  sessionCookieFor,
  type ApiAuth,
} from './auth.js';
import { HiddenError, LookbackError } from './scope.js';
import { SessionSockets } from './session-sockets.js';
import { openApiTransform, schemaCompilers, OPENAPI_INFO } from './schema.js';
import { observeRequest, renderMetrics, metricsContentType } from './metrics.js';
import { isDiskFullError } from '../platform/disk-full.js';

/** A group of routes contributed by one capability (video, events, …), registered before the server listens. */
export interface RouteModule {
  readonly name: string;
  register(app: FastifyInstance): void | Promise<void>;
}

export interface ApiServerOptions {
  host: string;
  port: number;
  auth: ApiAuth;
  /** Accounts, roles and API tokens: who a session or token belongs to and what they may do. */
  people: People;
  mode: 'local' | 'cluster';
  /** Built renderer (index.html + assets); the UI is not served when absent. */
  rendererDir?: string;
  routes?: readonly RouteModule[];
  /** Health of the other services, for /healthz. */
  health?: () => Record<string, ServiceHealth>;
  /** Kibana dashboards to embed (cluster deployments); the tab is hidden without a URL. */
  kibana?: { url: string; dashboards: Array<{ id: string; title: string }> };
  /** Host names browsers use besides loopback names and IP addresses (`server.publicNames`). */
  publicNames?: readonly string[];
  /** The permission table (`ROUTE_PERMISSIONS`); tests that add routes of their own extend it. */
  routeRules?: Readonly<Record<string, RouteRule>>;
  /** The OS user the backend runs as: the account the desktop shell signs in when that is turned on. */
  osUser?: string;
  /** How often the sessions of open WebSockets are checked (ended sessions close their sockets); 60 s. */
  sessionCheckMs?: number;
}

/** A route as registered with the server: what the access check enforces for it. */
export interface RegisteredRoute {
  readonly method: string;
  readonly url: string;
  readonly access: RouteAccess;
  /** The permission its entry in `ROUTE_PERMISSIONS` names. */
  readonly rule: RouteRule;
  readonly websocket: boolean;
}

/**
 * The permission a route needs: its entry in `ROUTE_PERMISSIONS` (a HEAD route answers as its GET does). A route
 * with no entry is a programming error and stops the server, unless it is public by its own declaration (the UI).
 */
export function routeRule(
  method: string,
  url: string,
  access: RouteAccess,
  table: Readonly<Record<string, RouteRule>> = ROUTE_PERMISSIONS,
): RouteRule {
  const rule = table[routeKey(method, url)] ?? (method === 'HEAD' ? table[routeKey('GET', url)] : undefined);
  if (rule) return rule;
  if (access === 'public') return 'public';
  throw new Error(`The route ${method} ${url} has no entry in ROUTE_PERMISSIONS: say who may call it.`);
}

const ServiceHealthSchema = z.object({
  status: z.enum(['ok', 'degraded', 'down']),
  detail: z.string().optional(),
});
const HealthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    version: z.string(),
    uptimeSeconds: z.number(),
    services: z.record(z.string(), ServiceHealthSchema),
  })
  .describe('Liveness and the health of every service.');
const SessionSchema = z
  .object({
    user: z.string(),
    displayName: z.string().optional(),
    role: z.string(),
    permissions: z.array(z.string()),
    cameras: z.union([z.array(z.string()), z.literal('*')]),
    lookbackMinutes: z.number().optional(),
    setup: z.boolean().optional(),
    mode: z.enum(['local', 'cluster']),
    version: z.string(),
  })
  .describe('Who the caller is and what they may do.');
const SetupBody = z.object({ username: UserName, password: Password });
const LoginQuery = z.object({ code: z.string().max(200).optional().describe('One-time login code.') });

/** A wait in words: "45 s", "3 min". */
function formatWait(seconds: number): string {
  return seconds < 120 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`;
}

/** The route pattern of a request (`/api/cameras/:id`), for metric labels that stay few. */
function routeLabel(req: { routeOptions?: { url?: string } }): string {
  return req.routeOptions?.url ?? 'unmatched';
}

/** The HTTP + WebSocket API: built from its dependencies, bound to 127.0.0.1 by default, token-authenticated. */
export class ApiServer implements Service {
  readonly name = 'api';
  readonly app: FastifyInstance;
  readonly #log = createLogger('api.server');
  readonly #started = Date.now();
  readonly #routeOptions: RouteOptions[] = [];
  readonly #sessionSockets = new SessionSockets();
  #sessionCheck: NodeJS.Timeout | undefined;
  #url: string | undefined;

  constructor(private readonly options: ApiServerOptions) {
    this.app = Fastify({
      loggerInstance: createLogger('api.http') as FastifyBaseLogger,
      // Request lines are not logged: URLs may carry login codes.
      logController: new LogController({ disableRequestLogging: true }),
      bodyLimit: 1024 * 1024,
    });
  }

  /** Every route registered, with the access it declares (collected as routes are added, so none is missed). */
  get routes(): readonly RegisteredRoute[] {
    return this.#routeOptions.flatMap((route) =>
      (Array.isArray(route.method) ? route.method : [route.method]).map((method) => ({
        method,
        url: route.url,
        access: declaredAccess(route.config),
        rule: this.#ruleOf(method, route.url, declaredAccess(route.config)),
        websocket: route.websocket === true,
      })),
    );
  }

  /** Base URL once listening, e.g. http://127.0.0.1:8470 */
  get url(): string {
    if (!this.#url) throw new Error('API server is not listening');
    return this.#url;
  }

  async start(): Promise<void> {
    const { app, options } = this;
    const { auth } = options;

    // Every route is kept as registered; its access is read when asked, after every onRoute hook had its say.
    // Every route is kept as registered; its access and permission are read when asked, after every onRoute hook
    // had its say (the UI scope marks its routes public).
    app.addHook('onRoute', (route) => {
      this.#routeOptions.push(route);
    });
    // A route nobody said who may call stops the server before it listens.
    app.addHook('onReady', async () => {
      for (const route of this.routes) void route.rule;
    });

    // WebSocket routes (live video, realtime hub) go through the same onRequest checks as HTTP: a refused upgrade
    // is answered with its status and never becomes a socket. Registered before the access hook so that the
    // plugin's own hook marks upgrade requests first (it closes refused upgrade sockets).
    await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });

    // A live connection lasts no longer than the browser session that opened it. An open socket counts as use of
    // its session (a wall being watched keeps its session from idling out), but not past its lifetime.
    const upgradeSessions = new WeakMap<IncomingMessage, string>();
    app.websocketServer.on('connection', (socket: WebSocket, raw: IncomingMessage) => {
      const sessionId = upgradeSessions.get(raw);
      if (sessionId) this.#sessionSockets.track(sessionId, socket);
    });
    this.#sessionCheck = setInterval(() => {
      void this.#sessionSockets.recheck(
        async (id) =>
          (await this.#callerOf({ headers: { cookie: `${SESSION_COOKIE}=${encodeURIComponent(id)}` } }))
            ?.via === 'session',
      );
    }, options.sessionCheckMs ?? 60_000);
    this.#sessionCheck.unref();

    // The one access check. It runs after routing, so it judges the route the router matched (whatever spelling
    // of the path reached it) by that route's own declaration, never by the URL.
    const hosts = new HostPolicy({ bindHost: options.host, publicNames: options.publicNames ?? [] });
    app.addHook('onRequest', async (req, reply) => {
      const refused = checkHostAndOrigin(hosts, req);
      if (refused) return reply.code(refused.status).send(refused.body);
      const principal = await this.#callerOf(req);
      if (principal) req.principal = principal;
      if (principal?.sessionId && req.headers.upgrade) upgradeSessions.set(req.raw, principal.sessionId);
      const decision = decideAccess(
        req.routeOptions.config,
        principal,
        req.is404,
        req.is404
          ? 'public'
          : this.#ruleOf(req.method, req.routeOptions.url ?? '', declaredAccess(req.routeOptions.config)),
      );
      if (!decision.allow) return reply.code(decision.status).send(decision.body);
    });

    app.addHook('onResponse', async (req, reply) => {
      observeRequest(req.method, routeLabel(req), reply.statusCode, reply.elapsedTime / 1000);
    });

    app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, req, reply) => {
      if (hasZodFastifySchemaValidationErrors(err)) {
        const issue = err.validation[0];
        const where = err.validationContext ?? 'request';
        const field = issue?.instancePath
          ? issue.instancePath.replace(/^\//, '').replace(/\//g, '.')
          : undefined;
        const body: ApiError = {
          error: 'invalid_request',
          message: `Invalid ${where}${field ? ` field "${field}"` : ''}: ${issue?.message ?? err.message}`,
          ...(field ? { field } : {}),
        };
        return reply.code(400).send(body);
      }
      if (isDiskFullError(err)) {
        // Not the caller's fault and not a bug: say what is wrong, so the operator can act.
        this.#log.error({ err, url: req.url.split('?')[0] }, 'request failed: the disk is full');
        const body: ApiError = {
          error: 'disk_full',
          message:
            'The data disk is full: this request has to write (data or the audit log) and was not carried out. Free space on the data disk and try again.',
        };
        return reply.code(503).send(body);
      }
      if (err instanceof HiddenError) {
        const body: ApiError = { error: 'not_found', message: err.message };
        return reply.code(404).send(body);
      }
      if (err instanceof LookbackError) {
        const body: ApiError = { error: 'forbidden', message: err.message };
        return reply.code(403).send(body);
      }
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      if (status >= 500) this.#log.error({ err, url: req.url.split('?')[0] }, 'request failed');
      const body: ApiError =
        status >= 500
          ? { error: 'internal', message: 'The backend could not complete the request; see the backend log.' }
          : { error: 'bad_request', message: err.message };
      return reply.code(status).send(body);
    });

    // Zod schemas validate requests and describe routes for the OpenAPI document; plain JSON schemas still work.
    const compilers = schemaCompilers();
    app.setValidatorCompiler(compilers.validator);
    app.setSerializerCompiler(compilers.serializer);
    await app.register(fastifySwagger, {
      openapi: OPENAPI_INFO,
      transform: openApiTransform,
    });

    app.get(ApiRoutes.openapi, { schema: { hide: true } }, async () => app.swagger());
    app.get(ApiRoutes.metrics, { schema: { hide: true } }, async (_req, reply) => {
      return reply.type(metricsContentType()).send(await renderMetrics());
    });

    app.get(
      ApiRoutes.health,
      { config: { access: 'public' }, schema: { response: { 200: HealthSchema } } },
      async (): Promise<HealthResponse> => {
        const services = options.health?.() ?? {};
        const degraded = Object.values(services).some((s) => s.status !== 'ok');
        return {
          status: degraded ? 'degraded' : 'ok',
          version: VERSION,
          uptimeSeconds: Math.round((Date.now() - this.#started) / 1000),
          services,
        };
      },
    );

    app.get<{ Querystring: { code?: string } }>(
      ApiRoutes.login,
      { config: { access: 'public' }, schema: { querystring: LoginQuery } },
      async (req, reply) => {
        const code = typeof req.query.code === 'string' ? req.query.code : '';
        const sessionId = await auth.login(code);
        if (!sessionId) {
          return reply
            .code(401)
            .type('text/plain')
            .send(
              'This login link is invalid, expired or was already used. Press Enter in the terminal where Vigil runs for a new one.',
            );
        }
        return reply
          .header('set-cookie', sessionCookieFor(sessionId, req.protocol === 'https'))
          .redirect('/', 303);
      },
    );

    const { people } = options;
    const secure = (req: { protocol: string }) => req.protocol === 'https';

    // Sign-in with a user name and password. Failures count towards a lock-out of the account (or of the name,
    // when it is not an account, so the answer never tells which names exist).
    app.post<{ Body: z.infer<typeof SignInBody> }>(
      PeopleApiRoutes.signIn,
      { config: { access: 'public' }, schema: { body: SignInBody } },
      async (req, reply) => {
        const result = await people.signIn(req.body.username, req.body.password);
        if (!result.ok) {
          const body: ApiError =
            result.reason === 'locked'
              ? {
                  error: 'locked',
                  message: `Too many failed sign-ins: try again in ${formatWait(result.retryAfterSeconds)}, or ask an administrator.`,
                }
              : { error: 'unauthorized', message: 'Wrong user name or password.' };
          if (result.reason === 'locked') reply.header('retry-after', String(result.retryAfterSeconds));
          return reply.code(result.reason === 'locked' ? 429 : 401).send(body);
        }
        const sessionId = await auth.openSession(result.user.name, result.user.sessionEpoch);
        const principal = await people.resolve({
          user: result.user.name,
          via: 'session',
          sessionId,
          epoch: result.user.sessionEpoch,
        });
        return reply
          .header('set-cookie', sessionCookieFor(sessionId, secure(req)))
          .send(this.#sessionOf(principal!));
      },
    );

    // Whether the site has any account yet (the sign-in page then explains how to create the first one).
    app.get(PeopleApiRoutes.status, { config: { access: 'public' } }, async () => ({
      accounts: (await people.store.countUsers()) > 0,
    }));

    // The first administrator: from a session opened by a login link printed on the terminal, or by the desktop
    // shell with its token, and only while there is no account at all.
    app.post<{ Body: z.infer<typeof SetupBody> }>(
      PeopleApiRoutes.setup,
      { schema: { body: SetupBody } },
      async (req, reply) => {
        const principal = req.principal!;
        if (!principal.setup && principal.user !== INSTANCE_TOKEN_USER) {
          const body: ApiError = {
            error: 'forbidden',
            message:
              'Only a new installation, opened with its login link, can create its first administrator.',
          };
          return reply.code(403).send(body);
        }
        if ((await people.store.countUsers()) > 0) {
          const body: ApiError = {
            error: 'conflict',
            message: 'This installation already has an administrator: sign in.',
          };
          return reply.code(409).send(body);
        }
        const admin = await people.addUser(
          { name: req.body.username, role: 'admin', password: req.body.password, cameras: [] },
          req.body.username,
        );
        if (principal.sessionId) await auth.endSession(principal.sessionId);
        const epoch = (await people.store.getUser(admin.name))?.sessionEpoch ?? 0;
        const sessionId = await auth.openSession(admin.name, epoch);
        const resolved = await people.resolve({ user: admin.name, via: 'session', sessionId, epoch });
        return reply
          .code(201)
          .header('set-cookie', sessionCookieFor(sessionId, secure(req)))
          .send(this.#sessionOf(resolved!));
      },
    );

    // The desktop shell trades its token for a session of its window: a setup session on a new installation,
    // the account named like the OS user when an administrator turned desktop sign-in on, else none (the
    // window shows the sign-in page).
    app.post(
      ApiRoutes.authSession,
      { config: { access: 'token' }, schema: { hide: true } },
      async (req, reply) => {
        let user: string | undefined;
        let epoch = 0;
        if ((await people.store.countUsers()) === 0) user = '@setup';
        else if ((await people.store.getSettings()).desktopAutoSignIn) {
          const account = await people.store.getUser(options.osUser ?? '');
          if (account && !account.disabled) {
            user = account.name;
            epoch = account.sessionEpoch;
            await people.audit({ actor: account.name, action: 'sign-in', detail: { via: 'desktop' } });
          }
        }
        if (!user) {
          const body: ApiError = { error: 'sign_in_required', message: 'Sign in with your account.' };
          return reply.code(403).send(body);
        }
        const sessionId = await auth.openSession(user, epoch);
        return reply
          .code(204)
          .header('set-cookie', sessionCookieFor(sessionId, secure(req)))
          .send();
      },
    );

    app.post(ApiRoutes.logout, { schema: { hide: true } }, async (req, reply) => {
      const sessionId = req.principal?.sessionId;
      if (sessionId) {
        await auth.endSession(sessionId);
        this.#sessionSockets.close(sessionId);
        await people.signedOut(req.principal!.user);
      }
      return reply.code(204).header('set-cookie', clearedSessionCookie()).send();
    });

    const kibanaOrigin = options.kibana?.url ? new URL(options.kibana.url).origin : undefined;
    app.get(ApiRoutes.kibana, async (): Promise<KibanaResponse> => ({
      enabled: kibanaOrigin !== undefined,
      url: options.kibana?.url.replace(/\/+$/, '') ?? '',
      dashboards: kibanaOrigin ? (options.kibana?.dashboards ?? []) : [],
    }));
    // Pages get their CSP as a header (not a meta tag) so it can name the configured Kibana origin for frames.
    const csp = appContentSecurityPolicy(kibanaOrigin);
    app.addHook('onSend', async (_req, reply, payload) => {
      const type = reply.getHeader('content-type');
      if (typeof type === 'string' && type.startsWith('text/html'))
        reply.header('content-security-policy', csp);
      return payload;
    });

    app.get(
      ApiRoutes.session,
      { schema: { response: { 200: SessionSchema } } },
      async (req): Promise<SessionResponse> => this.#sessionOf(req.principal!),
    );

    for (const module of options.routes ?? []) await module.register(app);

    const rendererDir = options.rendererDir;
    if (rendererDir && fs.existsSync(path.join(rendererDir, 'index.html'))) {
      // The built UI is public (it holds no data): every route of this scope says so.
      await app.register(async (ui) => {
        ui.addHook('onRoute', (route) => {
          route.config = { ...route.config, access: 'public' };
        });
        await ui.register(fastifyStatic, { root: rendererDir, index: ['index.html'], wildcard: false });
      });
      // Client-side routes (/events, /cameras …) load the app shell; unknown API paths stay 404. Unmatched
      // requests pass the access check, so this handler serves nothing but the shell.
      const indexHtml = path.join(rendererDir, 'index.html');
      app.setNotFoundHandler(async (req, reply) => {
        if (req.method === 'GET' && !req.headers.upgrade && !req.url.startsWith('/api/'))
          return reply.type('text/html; charset=utf-8').send(await fs.promises.readFile(indexHtml));
        const body: ApiError = {
          error: 'not_found',
          message: `No route ${req.method} ${req.url.split('?')[0]}`,
        };
        return reply.code(404).send(body);
      });
    } else {
      this.#log.warn(
        { rendererDir },
        'renderer build not found: the UI is not served (run `npm run build:renderer`)',
      );
    }

    const address = await app.listen({ host: options.host, port: options.port });
    this.#url = address.replace('[::1]', 'localhost');
    this.#log.info({ url: this.#url }, 'API listening');
  }

  #ruleOf(method: string, url: string, access: RouteAccess): RouteRule {
    return routeRule(method, url, access, this.options.routeRules);
  }

  /** The caller of a request, resolved to an account with its permissions; undefined for nobody. */
  async #callerOf(req: Pick<FastifyRequest, 'headers'>): Promise<Principal | undefined> {
    const { auth, people } = this.options;
    const authenticated = await auth.authenticate(req);
    if (authenticated) return people.resolve(authenticated);
    const { bearer } = presentedCredentials(req);
    return bearer ? people.authenticateToken(bearer) : undefined;
  }

  /** GET /api/session's answer for a caller. */
  #sessionOf(p: Principal): SessionResponse {
    return {
      user: p.user,
      ...(p.displayName ? { displayName: p.displayName } : {}),
      role: p.role ?? 'token',
      permissions: [...(p.permissions ?? [])],
      cameras: p.cameras?.cameras() ?? '*',
      ...(p.lookbackMinutes !== undefined ? { lookbackMinutes: p.lookbackMinutes } : {}),
      ...(p.setup ? { setup: true } : {}),
      mode: this.options.mode,
      version: VERSION,
    };
  }

  health(): ServiceHealth {
    return { status: this.#url ? 'ok' : 'down' };
  }

  async dispose(): Promise<void> {
    clearInterval(this.#sessionCheck);
    this.#sessionSockets.clear();
    await this.app.close();
    this.#url = undefined;
  }
}
