import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { ApiError } from '../contract/api.js';
import {
  labelFamily,
  SIGHTINGS_WINDOW_MS,
  SightingsQueryParams,
  type AppearanceIndex,
} from '../contract/appearance.js';
import {
  EventsApiRoutes,
  type EventDetail,
  type EventSummary,
  type Sighting,
  type SightingsResponse,
} from '../contract/events-api.js';
import type { EventStore } from '../contract/store.js';
import { requestActor } from '../api/auth.js';
import { LookbackError, lookbackStart, narrowCameras, seesEventsOf } from '../api/scope.js';
import type { RouteModule } from '../api/server.js';
import type { AuditRecorder } from '../audit/recorder.js';
import { requireEventVisible } from '../store/routes.js';

export interface SightingRoutesOptions {
  store: () => EventStore;
  index: () => AppearanceIndex;
  audit: AuditRecorder;
  now?: () => number;
}

/** Hits asked of the index beyond the page: some may be events deleted since, which are left out. */
const SLACK = 10;

/** The result-list view of an event (what a search returns), without its path, notes and snapshot details. */
function summaryOf(e: EventDetail): EventSummary {
  return {
    id: e.id,
    cameraId: e.cameraId,
    cameraName: e.cameraName,
    label: e.label,
    phase: e.phase,
    startTs: e.startTs,
    lastTs: e.lastTs,
    ...(e.endTs !== undefined ? { endTs: e.endTs } : {}),
    topScore: e.topScore,
    box: e.box,
    zones: e.zones,
    hasSnapshot: e.hasSnapshot,
    retained: e.retained,
    tags: e.tags,
  };
}

/**
 * GET /api/events/:id/sightings: "find this person (or vehicle) on other cameras". The source event must be one the
 * caller may see (else 404 as for a missing one, or 403 past a guard's look-back); the sightings are narrowed to
 * the caller's cameras and look-back like an event search, and the search is recorded in the audit log.
 */
export function sightingRoutes(options: SightingRoutesOptions): RouteModule {
  const now = options.now ?? Date.now;
  return {
    name: 'sightings',
    register(app: FastifyInstance) {
      app.get<{ Params: { id: string }; Querystring: z.output<typeof SightingsQueryParams> }>(
        EventsApiRoutes.sightings,
        { schema: { querystring: SightingsQueryParams } },
        async (req, reply) => {
          const t = now();
          const store = options.store();
          const source = await store.getEvent(req.params.id);
          if (!source) {
            const body: ApiError = {
              error: 'not_found',
              message: `Event "${req.params.id.slice(0, 100)}" does not exist`,
            };
            return reply.code(404).send(body);
          }
          requireEventVisible(req, source, t);
          const q = req.query;
          let from = q.from ?? source.startTs - SIGHTINGS_WINDOW_MS;
          const to = q.to ?? (source.endTs ?? source.lastTs) + SIGHTINGS_WINDOW_MS;
          if (to < from) {
            const body: ApiError = {
              error: 'bad_request',
              message: 'to must not be before from',
              field: 'to',
            };
            return reply.code(400).send(body);
          }
          // A guard's look-back: a window the guard chose past it is refused, the default one is shortened.
          const earliest = lookbackStart(req, t);
          if (earliest !== undefined && from < earliest) {
            if (q.from !== undefined && from < earliest - 60_000)
              throw new LookbackError(req.principal?.lookbackMinutes ?? 0);
            from = earliest;
          }
          const sameCamera = q.sameCamera === '1';
          const limit = q.limit ?? 20;
          const entry = await options.index().get(source.id);
          await audit(options.audit, req, source, { from, to, sameCamera });
          if (!entry) {
            const body: SightingsResponse = { eventId: source.id, hasDescriptor: false, items: [] };
            return body;
          }
          const hits = await options.index().nearest({
            appearance: entry.appearance,
            family: labelFamily(source.label),
            from,
            to,
            ...cameraFilter(req),
            ...(sameCamera ? {} : { excludeCameras: [source.cameraId] }),
            excludeEventId: source.id,
            limit: limit + SLACK,
          });
          const items: Sighting[] = [];
          for (const hit of hits) {
            if (items.length >= limit) break;
            const event = await store.getEvent(hit.eventId);
            // Deleted by retention since it was indexed, or (with a stale index) of a camera now hidden.
            if (!event || !seesEventsOf(req, event.cameraId)) continue;
            // Seen inside the look-back but started before it: a guard may not open it, so it is not offered.
            if (earliest !== undefined && event.startTs < earliest) continue;
            items.push({ event: summaryOf(event), score: Math.round(hit.score * 1000) / 1000 });
          }
          const body: SightingsResponse = { eventId: source.id, hasDescriptor: true, items };
          return body;
        },
      );
    },
  };
}

function cameraFilter(req: FastifyRequest): { cameras?: string[] } {
  const cameras = narrowCameras(req, undefined);
  return cameras ? { cameras } : {};
}

async function audit(
  recorder: AuditRecorder,
  req: FastifyRequest,
  source: EventDetail,
  detail: { from: number; to: number; sameCamera: boolean },
): Promise<void> {
  await recorder.record(requestActor(req), 'search', {
    target: source.id,
    camera: source.cameraId,
    detail: { sightingsOf: source.id, ...detail },
  });
}
