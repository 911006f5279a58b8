import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { ApiError } from '../contract/api.js';
import type { VigilAlert } from '../contract/events.js';
import { EventsApiRoutes } from '../contract/events-api.js';
import type { AuditAction } from '../contract/audit.js';
import type { AuditRecorder } from '../audit/recorder.js';
import {
  AlertAckSchema,
  AlertListSchema,
  EventPatchSchema,
  SavedSearchSchema,
  StoreInputError,
  inputErrorFrom,
  parseEventQuery,
  type EventQuery,
  type EventStore,
  type RetainPort,
} from '../contract/store.js';
import { requestActor } from '../api/auth.js';
import { HiddenError, LookbackError, lookbackStart, narrowCameras, seesEventsOf } from '../api/scope.js';
import type { RouteModule } from '../api/server.js';
import { createLogger } from '../platform/log.js';

export interface EventRoutesOptions {
  /** The store, or how to get it once started (routes are registered after the store service starts). */
  store: EventStore | (() => EventStore);
  /** Protects an event's footage when it is retained (video holds); optional. */
  retain?: RetainPort;
  /** Where searches, views and changes are recorded. */
  audit: AuditRecorder;
  /** Who is asking, for notes. The local app has one user. */
  actorOf?: (req: FastifyRequest) => string;
  now?: () => number;
  /** Told of an alert acknowledged or resolved here, so live clients (of every api instance) see the change. */
  onAlertChanged?: (alert: VigilAlert) => void | Promise<void>;
}

type Reply = FastifyReply;

function badRequest(reply: Reply, err: StoreInputError): Reply {
  const body: ApiError = { error: 'bad_request', message: err.message, field: err.field };
  return reply.code(400).send(body);
}

function notFound(reply: Reply, what: string): Reply {
  const body: ApiError = { error: 'not_found', message: `${what} does not exist` };
  return reply.code(404).send(body);
}

function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const r = schema.safeParse(body ?? {});
  if (!r.success) throw inputErrorFrom(r.error);
  return r.data;
}

/**
 * An event query within what the caller may see: only their cameras, and for a role with a look-back (a guard)
 * only recent events. A range the caller did not choose is narrowed to the look-back; one reaching further back
 * is refused (403), so a guard is told rather than shown a silently shortened result.
 */
export function scopedEventQuery(req: FastifyRequest, now: number): EventQuery {
  const raw = (req.query ?? {}) as Record<string, unknown>;
  const q = parseEventQuery(raw, now);
  const cameras = narrowCameras(req, q.cameras.length ? q.cameras : undefined);
  const scoped: EventQuery = { ...q, cameras: cameras ?? [] };
  const start = lookbackStart(req, now);
  if (start !== undefined && scoped.from < start) {
    const chosen = raw.from !== undefined && raw.after === undefined;
    // A minute of slack: a page asked for "the last 15 minutes" a moment ago is still within them.
    if (chosen && scoped.from < start - 60_000) throw new LookbackError(req.principal?.lookbackMinutes ?? 0);
    scoped.from = start;
    if (scoped.to <= scoped.from) scoped.to = scoped.from + 1;
  }
  return scoped;
}

/** Throws unless the caller may see this event: 404 for another camera's, 403 for one past the look-back. */
export function requireEventVisible(
  req: FastifyRequest,
  event: { id: string; cameraId: string; startTs: number },
  now: number,
) {
  if (!seesEventsOf(req, event.cameraId))
    throw new HiddenError(`Event "${event.id.slice(0, 100)}" does not exist`);
  const start = lookbackStart(req, now);
  if (start !== undefined && event.startTs < start)
    throw new LookbackError(req.principal?.lookbackMinutes ?? 0);
}

/** Filters worth recording in the audit log (what was searched for, not how it was paged). */
function auditFilters(q: EventQuery): Record<string, unknown> {
  const d: Record<string, unknown> = { from: q.from, to: q.to };
  if (q.cameras.length) d.cameras = q.cameras;
  if (q.labels.length) d.labels = q.labels;
  if (q.zones.length) d.zones = q.zones;
  if (q.terms.length) d.q = q.terms.join(' ');
  if (q.minScore !== undefined) d.minScore = q.minScore;
  if (q.hasSnapshot !== undefined) d.hasSnapshot = q.hasSnapshot;
  if (q.retained !== undefined) d.retained = q.retained;
  return d;
}

/** HTTP routes of the event store: search, facets, histogram, event detail and annotations, alerts. */
export function eventRoutes(options: EventRoutesOptions): RouteModule {
  const getStore = typeof options.store === 'function' ? options.store : () => options.store as EventStore;
  let store: EventStore = undefined as unknown as EventStore;
  const log = createLogger('store.routes');
  const actorOf = options.actorOf ?? requestActor;
  const now = options.now ?? Date.now;

  const audit = async (
    req: FastifyRequest,
    action: AuditAction,
    target?: string,
    detail?: Record<string, unknown>,
    camera?: string,
  ) =>
    options.audit.record(actorOf(req), action, {
      ...(target !== undefined ? { target } : {}),
      ...(detail ? { detail } : {}),
      ...(camera ? { camera } : {}),
    });

  const alertChanged = async (alert: VigilAlert) => {
    try {
      await options.onAlertChanged?.(alert);
    } catch (err) {
      // The change is stored; only its live notification failed.
      log.warn({ err, alert: alert.id }, 'could not notify live clients of an alert change');
    }
  };

  return {
    name: 'store',
    register(app: FastifyInstance) {
      store = getStore();
      // Client mistakes become 400s naming the field; anything else goes to the server's handler (500, logged).
      const handle =
        <R extends FastifyRequest>(fn: (req: R, reply: Reply) => Promise<unknown>) =>
        async (req: R, reply: Reply) => {
          try {
            return await fn(req, reply);
          } catch (err) {
            if (err instanceof StoreInputError) return badRequest(reply, err);
            throw err;
          }
        };

      app.get(
        EventsApiRoutes.events,
        handle(async (req) => {
          const q = scopedEventQuery(req, now());
          const out = await store.search(q);
          if (!q.after) await audit(req, 'search', undefined, auditFilters(q));
          return out;
        }),
      );

      app.get(
        EventsApiRoutes.facets,
        handle(async (req) => store.facets(scopedEventQuery(req, now()))),
      );

      app.get(
        EventsApiRoutes.histogram,
        handle(async (req) => store.histogram(scopedEventQuery(req, now()))),
      );

      app.get<{ Params: { id: string } }>(
        EventsApiRoutes.event,
        handle(async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
          const event = await store.getEvent(req.params.id);
          if (!event) return notFound(reply, `Event "${req.params.id.slice(0, 100)}"`);
          requireEventVisible(req, event, now());
          await audit(req, 'view', event.id, undefined, event.cameraId);
          return event;
        }),
      );

      app.patch<{ Params: { id: string } }>(
        EventsApiRoutes.event,
        handle(async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
          const patch = parseBody(EventPatchSchema, req.body);
          const before = await store.getEvent(req.params.id);
          if (!before) return notFound(reply, `Event "${req.params.id.slice(0, 100)}"`);
          requireEventVisible(req, before, now());
          const after = await store.updateEvent(req.params.id, patch, actorOf(req), now());
          if (!after) return notFound(reply, `Event "${req.params.id.slice(0, 100)}"`);
          await audit(
            req,
            'update',
            after.id,
            {
              ...(patch.note !== undefined ? { note: true } : {}),
              ...(patch.tags !== undefined ? { tags: patch.tags } : {}),
              ...(patch.retain !== undefined ? { retain: patch.retain } : {}),
            },
            after.cameraId,
          );
          if (options.retain && before.retained !== after.retained) {
            try {
              await options.retain.onRetainChanged(after, after.retained);
            } catch (err) {
              log.error({ err, eventId: after.id }, 'could not change the footage hold of a retained event');
              const body: ApiError = {
                error: 'hold_failed',
                message: after.retained
                  ? 'The event is marked retained, but its footage could not be protected from retention. Try again; see the backend log.'
                  : 'The event is no longer retained, but the hold on its footage could not be released. Try again; see the backend log.',
              };
              return reply.code(502).send(body);
            }
          }
          return after;
        }),
      );

      app.get<{ Params: { id: string }; Querystring: { kind?: string } }>(
        EventsApiRoutes.snapshot,
        handle(
          async (req: FastifyRequest<{ Params: { id: string }; Querystring: { kind?: string } }>, reply) => {
            const kind = req.query.kind ?? 'crop';
            if (kind !== 'crop' && kind !== 'frame')
              throw new StoreInputError('kind', 'kind must be crop or frame');
            const event = await store.getEvent(req.params.id);
            if (!event) return notFound(reply, `Event "${req.params.id.slice(0, 100)}"`);
            requireEventVisible(req, event, now());
            const bytes = await store.readSnapshot(req.params.id, kind);
            if (!bytes)
              return notFound(reply, `A ${kind} snapshot of event "${req.params.id.slice(0, 100)}"`);
            return reply
              .type('image/jpeg')
              .header('cache-control', 'private, max-age=60')
              .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
          },
        ),
      );

      app.get(
        EventsApiRoutes.alerts,
        handle(async (req) => {
          const opts = parseBody(AlertListSchema, req.query);
          return (await store.listAlerts(opts)).filter((a) => seesEventsOf(req, a.cameraId));
        }),
      );

      app.post<{ Params: { id: string } }>(
        EventsApiRoutes.alertAck,
        handle(async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
          const body = parseBody(AlertAckSchema, req.body);
          const existing = await store.getAlert(req.params.id);
          if (existing && !seesEventsOf(req, existing.cameraId))
            throw new HiddenError(`Alert "${req.params.id.slice(0, 100)}" does not exist`);
          // Who acknowledged is the caller; only the instance token (automation) may name someone else.
          const by = (req.principal?.role === 'token' ? body.by : undefined) ?? actorOf(req);
          const alert = await store.acknowledgeAlert(req.params.id, by, now());
          if (!alert) return notFound(reply, `Alert "${req.params.id.slice(0, 100)}"`);
          await audit(req, 'acknowledge', alert.id, { by }, alert.cameraId);
          await alertChanged(alert);
          return alert;
        }),
      );

      app.post<{ Params: { id: string } }>(
        EventsApiRoutes.alertResolve,
        handle(async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
          const existing = await store.getAlert(req.params.id);
          if (existing && !seesEventsOf(req, existing.cameraId))
            throw new HiddenError(`Alert "${req.params.id.slice(0, 100)}" does not exist`);
          const alert = await store.resolveAlert(req.params.id, now());
          if (!alert) return notFound(reply, `Alert "${req.params.id.slice(0, 100)}"`);
          await audit(req, 'resolve', alert.id, undefined, alert.cameraId);
          await alertChanged(alert);
          return alert;
        }),
      );

      app.get(
        EventsApiRoutes.savedSearches,
        handle(async () => store.listSavedSearches()),
      );

      app.post(
        EventsApiRoutes.savedSearches,
        handle(async (req, reply) => {
          const body = parseBody(SavedSearchSchema, req.body);
          try {
            const { cursor: _cursor, ...rest } = body.query;
            parseEventQuery(rest, now());
          } catch (err) {
            if (err instanceof StoreInputError) throw new StoreInputError(`query.${err.field}`, err.message);
            throw err;
          }
          const saved = await store.createSavedSearch(body, actorOf(req), now());
          await audit(req, 'saved-search', saved.id, { name: saved.name });
          return reply.code(201).send(saved);
        }),
      );

      app.delete<{ Params: { id: string } }>(
        EventsApiRoutes.savedSearch,
        handle(async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
          if (!(await store.deleteSavedSearch(req.params.id)))
            return notFound(reply, `Saved search "${req.params.id.slice(0, 100)}"`);
          return reply.code(204).send();
        }),
      );

      app.get(
        EventsApiRoutes.liveStats,
        handle(async (req) => {
          const stats = await store.liveStats(now());
          const perCamera = Object.fromEntries(
            Object.entries(stats.perCamera).filter(([camera]) => seesEventsOf(req, camera)),
          );
          const total = Object.values(perCamera).reduce(
            (n, labels) => n + Object.values(labels).reduce((m, c) => m + c, 0),
            0,
          );
          return { ...stats, perCamera, total };
        }),
      );
    },
  };
}
