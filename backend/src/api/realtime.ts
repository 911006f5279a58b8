import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { ApiRoutes } from '../contract/api.js';
import { Topics, type Bus, type Subscription, type Topic } from '../contract/bus.js';
import type { RealtimeKind, RealtimeMessage } from '../contract/realtime.js';
import type { Service, ServiceHealth } from '../platform/lifecycle.js';
import { cameraScope } from './scope.js';
import { createLogger } from '../platform/log.js';
import { wsClients, wsDropped, wsMessages } from './metrics.js';
import type { RouteModule } from './server.js';

const Box = z.tuple([z.number(), z.number(), z.number(), z.number()]);

/**
 * What may leave the server on /api/ws, per kind. Objects are stripped to the listed fields, so a field added to
 * a bus message is not sent to browsers until it is listed here.
 */
const Outbound = {
  detections: z.object({
    cameraId: z.string(),
    ts: z.number(),
    width: z.number(),
    height: z.number(),
    detections: z
      .array(
        z.object({
          label: z.string(),
          score: z.number(),
          box: Box,
          trackId: z.string().optional(),
          zones: z.array(z.string()).optional(),
        }),
      )
      .max(500),
  }),
  event: z.object({
    id: z.string(),
    cameraId: z.string(),
    label: z.string(),
    phase: z.enum(['start', 'update', 'end']),
    startTs: z.number(),
    lastTs: z.number(),
    endTs: z.number().optional(),
    topScore: z.number(),
    box: Box,
    zones: z.array(z.string()),
    path: z.array(z.object({ ts: z.number(), box: Box, score: z.number() })).max(1000),
    stationary: z.boolean().optional(),
    // Snapshot bytes never go out: only when and how good.
    snapshot: z.object({ ts: z.number(), score: z.number() }).optional(),
  }),
  alert: z.object({
    id: z.string(),
    ruleId: z.string(),
    ruleName: z.string(),
    eventId: z.string(),
    cameraId: z.string(),
    label: z.string(),
    zone: z.string().optional(),
    severity: z.enum(['info', 'warning', 'critical']),
    state: z.enum(['new', 'acknowledged', 'resolved']),
    raisedTs: z.number(),
    acknowledgedBy: z.string().optional(),
    acknowledgedTs: z.number().optional(),
    resolvedTs: z.number().optional(),
    escalations: z.number().optional(),
  }),
  incident: z.object({
    id: z.string(),
    cameraId: z.string(),
    zone: z.string().optional(),
    startTs: z.number(),
    lastTs: z.number(),
    endTs: z.number().optional(),
    severity: z.enum(['info', 'warning', 'critical']),
    ruleIds: z.array(z.string()).max(100),
    ruleNames: z.array(z.string()).max(100),
    labels: z.array(z.string()).max(100),
    eventIds: z.array(z.string()).max(500),
    objectCount: z.number(),
    snapshots: z
      .array(
        z.object({ eventId: z.string(), label: z.string(), ts: z.number(), score: z.number(), box: Box }),
      )
      .max(20),
    state: z.enum(['new', 'acknowledged', 'resolved']),
    acknowledgedBy: z.string().optional(),
    acknowledgedTs: z.number().optional(),
    ackNote: z.string().optional(),
    resolvedBy: z.string().optional(),
    resolvedTs: z.number().optional(),
    resolveNote: z.string().optional(),
    escalationLevel: z.number().optional(),
    // Channel outcomes only: never an address or a secret.
    notifications: z
      .array(
        z.object({
          ts: z.number(),
          level: z.number(),
          levelName: z.string(),
          channelId: z.string(),
          channelKind: z.enum(['desktop', 'webhook', 'mqtt', 'email']),
          status: z.enum(['sent', 'failed']),
          attempts: z.number(),
          error: z.string().optional(),
        }),
      )
      .max(200),
    updatedTs: z.number(),
  }),
  health: z.object({
    id: z.string(),
    name: z.string().optional(),
    enabled: z.boolean().optional(),
    state: z.enum(['starting', 'streaming', 'reconnecting', 'failed', 'disabled']),
    reason: z.string().optional(),
    since: z.number(),
    fpsIn: z.number().optional(),
    fpsOut: z.number().optional(),
    bytesIn: z.number().optional(),
    recording: z.boolean().optional(),
    width: z.number().optional(),
    height: z.number().optional(),
    codec: z.string().optional(),
  }),
} as const satisfies Record<RealtimeKind, z.ZodType>;

/**
 * Classifies a message for clients: returns it in its outbound shape, or undefined when the kind is unknown or the
 * data does not match the kind's shape. Nothing unclassified is ever sent.
 */
export function classify(kind: string, data: unknown): RealtimeMessage | undefined {
  if (!Object.hasOwn(Outbound, kind)) return undefined;
  const parsed = Outbound[kind as RealtimeKind].safeParse(data);
  if (!parsed.success) return undefined;
  return { kind, data: parsed.data } as RealtimeMessage;
}

/** Bus topic → outbound kind. */
const TOPIC_KINDS: ReadonlyArray<[Topic, RealtimeKind]> = [
  [Topics.detections, 'detections'],
  [Topics.events, 'event'],
  [Topics.alerts, 'alert'],
  [Topics.health, 'health'],
  // Incidents just notified by an escalation (their notifications recorded): desktop notifications and sound.
  [Topics.notifications, 'incident'],
];

export interface RealtimeHubOptions {
  bus: Bus;
  /**
   * A client whose socket has more than this many bytes not yet sent is slow: it stops receiving detections (they
   * are only useful live) until it catches up. Events, alerts and health are still sent.
   */
  slowClientBytes?: number;
  /** A client this far behind is disconnected (code 1013, try again later) rather than buffered without bound. */
  maxBufferedBytes?: number;
  /** Interval of WebSocket pings that detect dead connections. */
  pingIntervalMs?: number;
}

interface Client {
  socket: WebSocket;
  /** Only detections/health of these cameras (all when undefined). */
  cameras?: Set<string>;
  /** Whether the caller may see a camera at all (their camera rights): nothing else ever reaches them. */
  sees: (cameraId: string) => boolean;
  /** The caller's permissions and team (who receives escalations). */
  permissions: ReadonlySet<string>;
  team?: string;
  alive: boolean;
  dropped: number;
}

/**
 * The realtime hub: subscribes to the bus topics (detections, events, alerts, health) and fans them out to the
 * connected clients of WS /api/ws as classified JSON messages, with per-client back-pressure.
 */
export class RealtimeHub implements Service, RouteModule {
  readonly name = 'realtime';
  readonly #log = createLogger('api.realtime');
  readonly #clients = new Set<Client>();
  readonly #subscriptions: Subscription[] = [];
  readonly #slowBytes: number;
  readonly #maxBytes: number;
  readonly #pingMs: number;
  #ping: NodeJS.Timeout | undefined;
  #sent = 0;
  #dropped = 0;

  constructor(private readonly options: RealtimeHubOptions) {
    this.#slowBytes = options.slowClientBytes ?? 256 * 1024;
    this.#maxBytes = options.maxBufferedBytes ?? 8 * 1024 * 1024;
    this.#pingMs = options.pingIntervalMs ?? 30_000;
  }

  /** Number of connected clients. */
  get clients(): number {
    return this.#clients.size;
  }

  async start(): Promise<void> {
    // A group of its own per hub: every API process relays every message.
    const group = `api.realtime.${crypto.randomBytes(4).toString('hex')}`;
    for (const [topic, kind] of TOPIC_KINDS) {
      this.#subscriptions.push(
        await this.options.bus.subscribe<unknown>(
          topic,
          (message) => {
            this.publish(kind, message);
          },
          {
            group,
          },
        ),
      );
    }
    this.#ping = setInterval(() => this.#heartbeat(), this.#pingMs);
    this.#ping.unref();
  }

  register(app: FastifyInstance): void {
    app.get(ApiRoutes.realtime, { websocket: true, schema: { hide: true } }, (socket, req) => {
      const query = req.query as { cameras?: unknown };
      const cameras =
        typeof query.cameras === 'string' && query.cameras
          ? new Set(query.cameras.split(',').filter(Boolean))
          : undefined;
      const scope = cameraScope(req);
      this.#attach({
        socket,
        cameras,
        sees: (id) => scope.sees(id),
        permissions: req.principal?.permissions ?? new Set(),
        ...(req.principal?.team ? { team: req.principal.team } : {}),
        alive: true,
        dropped: 0,
      });
    });
  }

  /** How many connected people hold a permission (of a team, when given), e.g. supervisors on duty. */
  connectedWith(permission: string, team?: string): number {
    let n = 0;
    for (const c of this.#clients)
      if (c.permissions.has(permission) && (!team || c.team?.toLowerCase() === team.toLowerCase())) n++;
    return n;
  }

  /** The team (lower case; '' for none) of each connected person holding a permission, for shared presence. */
  connectedTeams(permission: string): string[] {
    const teams: string[] = [];
    for (const c of this.#clients) if (c.permissions.has(permission)) teams.push(c.team?.toLowerCase() ?? '');
    return teams;
  }

  #attach(client: Client): void {
    const { socket } = client;
    this.#clients.add(client);
    wsClients.set(this.#clients.size);
    socket.on('pong', () => (client.alive = true));
    // Clients have nothing to say on this socket; whatever they send is ignored.
    socket.on('message', () => {});
    socket.on('error', () => {});
    socket.on('close', () => {
      this.#clients.delete(client);
      wsClients.set(this.#clients.size);
    });
  }

  /** Classifies a message and sends it to every interested client. Returns how many clients it was sent to. */
  publish(kind: string, data: unknown): number {
    const message = classify(kind, data);
    if (!message) {
      this.#dropped++;
      wsDropped.inc({ kind: Object.hasOwn(Outbound, kind) ? kind : 'unknown', reason: 'unclassified' });
      return 0;
    }
    const cameraId = message.kind === 'health' ? message.data.id : message.data.cameraId;
    let text: string | undefined;
    let sent = 0;
    for (const client of this.#clients) {
      if (client.socket.readyState !== client.socket.OPEN) continue;
      if (!client.sees(cameraId)) continue;
      if (client.cameras && !client.cameras.has(cameraId)) continue;
      const buffered = client.socket.bufferedAmount;
      if (buffered > this.#maxBytes) {
        this.#log.warn({ buffered }, 'realtime client too far behind; disconnecting it');
        client.socket.close(1013, 'too slow: reconnect');
        continue;
      }
      if (message.kind === 'detections' && buffered > this.#slowBytes) {
        client.dropped++;
        this.#dropped++;
        wsDropped.inc({ kind: 'detections', reason: 'slow_client' });
        continue;
      }
      text ??= JSON.stringify(message);
      client.socket.send(text);
      sent++;
    }
    if (sent) {
      this.#sent += sent;
      wsMessages.inc({ kind: message.kind }, sent);
    }
    return sent;
  }

  #heartbeat(): void {
    for (const client of this.#clients) {
      if (!client.alive) {
        client.socket.terminate();
        continue;
      }
      client.alive = false;
      client.socket.ping();
    }
  }

  health(): ServiceHealth {
    return {
      status: 'ok',
      detail: `${this.#clients.size} clients, ${this.#sent} sent, ${this.#dropped} dropped`,
    };
  }

  async dispose(): Promise<void> {
    if (this.#ping) clearInterval(this.#ping);
    await Promise.all(this.#subscriptions.splice(0).map((s) => s.dispose()));
    for (const client of this.#clients) client.socket.close(1001, 'server shutting down');
    this.#clients.clear();
    wsClients.set(0);
  }
}
