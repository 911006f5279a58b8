import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ApiError } from '../contract/api.js';
import {
  InvestigationApiRoutes as R,
  PLAN_MAX_BYTES,
  PLAN_TYPES,
  PlacementsBody,
  SiteMap,
  Trail,
  TrailBody,
  TrailSummary,
  type TrailSighting,
} from '../contract/investigation.js';
import type { EventStore } from '../contract/store.js';
import { requestActor } from '../api/auth.js';
import { HiddenError, mayUseCamera, seesEventsOf } from '../api/scope.js';
import type { RouteModule } from '../api/server.js';
import type { AuditRecorder } from '../audit/recorder.js';
import { normalisePlan } from './plan-image.js';
import type { SiteMapStore, TrailStore } from './store.js';
import { noTrail, seesTrail } from './visibility.js';

export interface InvestigationRoutesOptions {
  siteMap: SiteMapStore;
  trails: TrailStore;
  /** The event store: a sighting's camera and time are read from its event. */
  store: () => Pick<EventStore, 'getEvent'>;
  audit: AuditRecorder;
  now?: () => number;
}

const IdParams = z.object({ id: z.string().min(1).max(64).describe('Id of the trail.') });
const ErrorSchema = z.object({ error: z.string(), message: z.string(), field: z.string().optional() });

function summary(t: Trail): TrailSummary {
  const { sightings, ...rest } = t;
  return {
    ...rest,
    sightings: sightings.length,
    confirmed: sightings.filter((s) => s.confirmed).length,
    cameras: [...new Set(sightings.map((s) => s.cameraId))],
  };
}

const unsupportedType = Object.assign(new Error('unsupported media type'), {
  code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
}) as FastifyError;

/** Fastify's own refusals of a plan upload, in words an administrator can act on. */
function planUploadError(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): unknown {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const body: ApiError = {
      error: 'too_large',
      message: `The plan is larger than ${PLAN_MAX_BYTES / 1048576} MB: scale it down and upload it again.`,
    };
    return reply.code(413).send(body);
  }
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || err.code === 'FST_ERR_CTP_EMPTY_TYPE') {
    const body: ApiError = {
      error: 'unsupported_media_type',
      message: `Upload the plan as a PNG, JPEG or WebP image (content type ${PLAN_TYPES.join(', ')}).`,
    };
    return reply.code(415).send(body);
  }
  throw err;
}

/** /api/sitemap and /api/trails: the site map with its cameras, and investigators' trails across cameras. */
export function investigationRoutes(options: InvestigationRoutesOptions): RouteModule {
  const { siteMap, trails, audit } = options;
  const now = options.now ?? Date.now;

  /**
   * The sightings of a trail as saved: sightings already in the trail keep their camera and time (their event may
   * since have gone with retention); new ones are read from their events, which the caller must be able to see.
   */
  async function resolveSightings(
    req: FastifyRequest,
    input: ReadonlyArray<{ eventId: string; confirmed?: boolean }>,
    before: readonly TrailSighting[] = [],
  ): Promise<TrailSighting[]> {
    const known = new Map(before.map((s) => [s.eventId, s]));
    const out: TrailSighting[] = [];
    for (const s of input) {
      const confirmed = s.confirmed ?? false;
      const kept = known.get(s.eventId);
      if (kept) {
        out.push({ ...kept, confirmed });
        continue;
      }
      const event = await options.store().getEvent(s.eventId);
      if (!event || !seesEventsOf(req, event.cameraId))
        throw new HiddenError(`Event "${s.eventId.slice(0, 100)}" does not exist`);
      out.push({
        eventId: event.id,
        cameraId: event.cameraId,
        label: event.label.slice(0, 100),
        ts: event.startTs,
        endTs: Math.max(event.startTs, event.endTs ?? event.lastTs),
        confirmed,
      });
    }
    return out;
  }

  const visibleTrail = (req: FastifyRequest, id: string): Trail => {
    const trail = trails.get(id);
    if (!trail || !seesTrail(req, trail)) throw new HiddenError(noTrail(id));
    return trail;
  };

  const trailAudit = (t: Trail, change: string) => ({
    target: t.id,
    detail: {
      change,
      name: t.name,
      caseNumber: t.caseNumber,
      sightings: t.sightings.map((s) => ({
        eventId: s.eventId,
        cameraId: s.cameraId,
        confirmed: s.confirmed,
      })),
    },
  });

  return {
    name: 'investigation',
    register(app: FastifyInstance) {
      // The plan arrives as the image itself; other routes never see these content types.
      app.addContentTypeParser(
        [...PLAN_TYPES],
        { parseAs: 'buffer', bodyLimit: PLAN_MAX_BYTES },
        (_req, body, done) => done(null, body),
      );

      app.get(R.sitemap, { schema: { response: { 200: SiteMap } } }, async (req): Promise<SiteMap> => {
        const map = siteMap.get();
        // Only the cameras the caller may see are shown on the map.
        return { ...map, placements: map.placements.filter((p) => mayUseCamera(req, p.cameraId)) };
      });

      app.get(R.sitemapPlan, async (_req, reply) => {
        const plan = siteMap.plan();
        if (!plan) {
          const body: ApiError = { error: 'not_found', message: 'No site plan has been uploaded yet.' };
          return reply.code(404).send(body);
        }
        return reply
          .type(plan.info.type)
          .header('cache-control', 'no-cache')
          .header('x-content-type-options', 'nosniff')
          .send(plan.bytes);
      });

      app.put(
        R.sitemapPlan,
        { bodyLimit: PLAN_MAX_BYTES, errorHandler: planUploadError, schema: { response: { 200: SiteMap } } },
        async (req, reply) => {
          // JSON (or form data) is parsed by the server's own parsers: not a picture.
          if (!Buffer.isBuffer(req.body)) return planUploadError(unsupportedType, req, reply);
          const plan = await normalisePlan(req.body);
          await audit.record(req, 'site-map', {
            target: 'plan',
            detail: { type: plan.type, width: plan.width, height: plan.height, bytes: plan.bytes.length },
          });
          const map = siteMap.setPlan(plan, requestActor(req), now());
          return { ...map, placements: map.placements.filter((p) => mayUseCamera(req, p.cameraId)) };
        },
      );

      app.put<{ Body: PlacementsBody }>(
        R.sitemapCameras,
        { schema: { body: PlacementsBody, response: { 200: SiteMap, 404: ErrorSchema } } },
        async (req) => {
          const hidden = req.body.placements.find((p) => !mayUseCamera(req, p.cameraId));
          if (hidden) throw new HiddenError(`No camera "${hidden.cameraId}".`);
          // Placements of cameras the caller may not see stay as they are.
          const kept = siteMap.get().placements.filter((p) => !mayUseCamera(req, p.cameraId));
          await audit.record(req, 'site-map', {
            target: 'cameras',
            detail: { placed: req.body.placements.map((p) => p.cameraId) },
          });
          const map = siteMap.setPlacements([...kept, ...req.body.placements], now());
          return { ...map, placements: map.placements.filter((p) => mayUseCamera(req, p.cameraId)) };
        },
      );

      app.get(
        R.trails,
        { schema: { response: { 200: z.array(TrailSummary).describe('Trails, newest first.') } } },
        async (req) =>
          trails
            .list()
            .filter((t) => seesTrail(req, t))
            .map(summary),
      );

      app.post<{ Body: z.output<typeof TrailBody> }>(
        R.trails,
        { schema: { body: TrailBody, response: { 201: Trail, 404: ErrorSchema, 409: ErrorSchema } } },
        async (req, reply) => {
          const sightings = await resolveSightings(req, req.body.sightings);
          const trail = trails.create({ ...req.body, sightings }, requestActor(req), now());
          try {
            await audit.record(req, 'trail', trailAudit(trail, 'created'));
          } catch (err) {
            // Not carried out unrecorded.
            trails.remove(trail.id);
            throw err;
          }
          return reply.code(201).send(trail);
        },
      );

      app.get<{ Params: z.infer<typeof IdParams> }>(
        R.trail,
        { schema: { params: IdParams, response: { 200: Trail, 404: ErrorSchema } } },
        async (req) => visibleTrail(req, req.params.id),
      );

      app.put<{ Params: z.infer<typeof IdParams>; Body: z.output<typeof TrailBody> }>(
        R.trail,
        { schema: { params: IdParams, body: TrailBody, response: { 200: Trail, 404: ErrorSchema } } },
        async (req) => {
          const before = visibleTrail(req, req.params.id);
          const sightings = await resolveSightings(req, req.body.sightings, before.sightings);
          const next: Trail = { ...before, name: req.body.name, caseNumber: req.body.caseNumber, sightings };
          await audit.record(req, 'trail', trailAudit(next, 'changed'));
          const saved = trails.update(before.id, { ...req.body, sightings }, requestActor(req), now());
          if (!saved) throw new HiddenError(noTrail(req.params.id));
          return saved;
        },
      );

      app.delete<{ Params: z.infer<typeof IdParams> }>(
        R.trail,
        { schema: { params: IdParams, response: { 204: z.null(), 404: ErrorSchema } } },
        async (req, reply) => {
          const trail = visibleTrail(req, req.params.id);
          await audit.record(req, 'trail', trailAudit(trail, 'deleted'));
          trails.remove(trail.id);
          return reply.code(204).send(null);
        },
      );
    },
  };
}
