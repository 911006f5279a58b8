import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ApiError } from '../contract/api.js';
import { CameraId } from '../contract/config/cameras.js';
import type { AlertRule, CameraZones, DetectStats } from '../contract/detect-api.js';
import { DetectApiRoutes, normaliseAlertRule } from '../contract/detect-api.js';
import type { RouteModule } from '../api/server.js';
import { mayUseCamera, seesEventsOf } from '../api/scope.js';
import type { DetectSettings } from './settings-store.js';

/** What the detection routes serve: the settings, and the detector's statistics where detection runs. */
export interface DetectRoutesSource {
  readonly settings: DetectSettings;
  /** Absent where detection runs in other processes (the cluster's api role). */
  stats?(): DetectStats;
}

/** Records a settings change in the audit log (who, what). */
export type SettingsAudit = (
  req: FastifyRequest,
  target: string,
  detail: Record<string, unknown>,
  /** Zones and masks are `rule-change` of a camera; alert rules are `alert-rule` (the default). */
  kind?: { action: 'rule-change'; camera: string },
) => Promise<void> | void;

const Point = z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]);
const Polygon = z.array(Point).min(3, 'a polygon needs at least 3 points').max(100);

const ZonesBody = z
  .strictObject({
    zones: z
      .array(
        z.strictObject({
          name: z.string().trim().min(1).max(60),
          points: Polygon,
          color: z
            .string()
            .regex(/^#[0-9a-fA-F]{6}$/, 'a colour like #ff8800')
            .optional(),
        }),
      )
      .max(50)
      .refine((zs) => new Set(zs.map((z) => z.name)).size === zs.length, 'zone names must be unique'),
    masks: z
      .array(z.strictObject({ points: Polygon }))
      .max(50)
      .default([]),
  })
  .transform((v): CameraZones => v);

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time like 22:00');

const Seconds = (max: number, what: string) =>
  z
    .number('a number of seconds')
    .min(0, `${what} cannot be negative`)
    .max(max, `${what} is at most ${max} seconds`);

const RuleBody = z
  .strictObject({
    id: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "-" and "_", at most 64')
      .optional(),
    name: z.string('a name').trim().min(1, 'give the rule a name').max(120, 'at most 120 characters'),
    labels: z
      .array(z.string().trim().min(1).max(60), 'a list of labels')
      .max(20, 'at most 20 labels')
      .optional(),
    /** One label (the older form). */
    label: z.string().trim().min(1).max(60).optional(),
    cameraIds: z.array(CameraId).max(100, 'at most 100 cameras').optional(),
    /** One camera (the older form). */
    cameraId: CameraId.optional(),
    zone: z.string().trim().min(1, 'a zone name').max(60, 'at most 60 characters').optional(),
    schedule: z
      .strictObject({
        from: HHMM,
        to: HHMM,
        days: z.array(z.int().min(0).max(6)).max(7).optional(),
      })
      .optional(),
    minDurationSec: Seconds(86_400, 'the minimum duration').default(0),
    dwellSec: Seconds(86_400, 'the dwell time').default(0),
    minCount: z
      .int('a whole number of objects')
      .min(1, 'at least 1 object')
      .max(50, 'at most 50 objects')
      .default(1),
    cooldownSec: Seconds(86_400, 'the cooldown').default(0),
    severity: z.enum(['info', 'warning', 'critical'], 'info, warning or critical').default('warning'),
    enabled: z.boolean().default(true),
  })
  .superRefine((r, ctx) => {
    if (!r.labels?.length && !r.label)
      ctx.addIssue({ code: 'custom', path: ['labels'], message: 'choose at least one label' });
    if (r.dwellSec > 0 && !r.zone)
      ctx.addIssue({ code: 'custom', path: ['dwellSec'], message: 'a dwell time needs a zone to dwell in' });
  })
  .transform((r): Omit<AlertRule, 'id'> & { id?: string } => {
    const { label: _label, cameraId: _cameraId, ...rest } = r;
    const n = normaliseAlertRule({ ...r, id: r.id ?? '' });
    return { ...rest, labels: n.labels, cameraIds: n.cameraIds };
  });

function badRequest(reply: FastifyReply, error: z.ZodError): FastifyReply {
  const issue = error.issues[0];
  const field = issue?.path.join('.') || undefined;
  const body: ApiError = {
    error: 'bad_request',
    message: issue ? `${field ? `${field}: ` : ''}${issue.message}` : 'invalid request body',
    ...(field ? { field } : {}),
  };
  return reply.code(400).send(body);
}

function notFound(reply: FastifyReply, message: string): FastifyReply {
  const body: ApiError = { error: 'not_found', message };
  return reply.code(404).send(body);
}

/**
 * HTTP routes of detection: zones and masks per camera, alert rules, detector statistics. The same routes serve
 * the local backend (the detection service's settings file) and the cluster's api role (the shared settings).
 */
export function detectRoutes(service: DetectRoutesSource, audit?: SettingsAudit): RouteModule {
  return {
    name: 'detect',
    register(app: FastifyInstance) {
      const cameraParam = (reply: FastifyReply, id: string): string | undefined => {
        const parsed = CameraId.safeParse(id);
        if (parsed.success) return parsed.data;
        badRequest(reply, parsed.error);
        return undefined;
      };

      app.get<{ Params: { id: string } }>(DetectApiRoutes.zones, async (req, reply) => {
        const id = cameraParam(reply, req.params.id);
        if (id && !mayUseCamera(req, id, 'live')) return notFound(reply, `no camera "${id}"`);
        return id ? service.settings.zones(id) : reply;
      });

      app.put<{ Params: { id: string } }>(DetectApiRoutes.zones, async (req, reply) => {
        const id = cameraParam(reply, req.params.id);
        if (!id) return reply;
        const parsed = ZonesBody.safeParse(req.body);
        if (!parsed.success) return badRequest(reply, parsed.error);
        await service.settings.setZones(id, parsed.data);
        await audit?.(
          req,
          `zones ${id}`,
          { zones: parsed.data.zones.map((z) => z.name), masks: parsed.data.masks.length },
          { action: 'rule-change', camera: id },
        );
        return service.settings.zones(id);
      });

      // A rule names cameras: a caller sees the rules of their cameras, with only those cameras named.
      const visibleRule = (req: FastifyRequest, rule: AlertRule): AlertRule | undefined => {
        if (!rule.cameraIds?.length) return rule;
        const cameras = rule.cameraIds.filter((c) => seesEventsOf(req, c));
        return cameras.length ? { ...rule, cameraIds: cameras } : undefined;
      };
      app.get(DetectApiRoutes.alertRules, async (req) =>
        service.settings
          .alertRules()
          .map((r) => visibleRule(req, r))
          .filter((r): r is AlertRule => r !== undefined),
      );

      app.get<{ Params: { id: string } }>(DetectApiRoutes.alertRule, async (req, reply) => {
        const found = service.settings.alertRules().find((r) => r.id === req.params.id);
        const rule = found && visibleRule(req, found);
        return rule ?? notFound(reply, `no alert rule "${req.params.id}"`);
      });

      app.post(DetectApiRoutes.alertRules, async (req, reply) => {
        const parsed = RuleBody.safeParse(req.body);
        if (!parsed.success) return badRequest(reply, parsed.error);
        const id = parsed.data.id ?? randomUUID();
        if (service.settings.alertRules().some((r) => r.id === id)) {
          const body: ApiError = { error: 'conflict', message: `alert rule "${id}" exists`, field: 'id' };
          return reply.code(409).send(body);
        }
        const rule: AlertRule = { ...parsed.data, id };
        await service.settings.upsertRule(rule);
        await audit?.(req, rule.id, { change: 'created', rule });
        return reply.code(201).send(rule);
      });

      app.put<{ Params: { id: string } }>(DetectApiRoutes.alertRule, async (req, reply) => {
        if (!service.settings.alertRules().some((r) => r.id === req.params.id))
          return notFound(reply, `no alert rule "${req.params.id}"`);
        const parsed = RuleBody.safeParse(req.body);
        if (!parsed.success) return badRequest(reply, parsed.error);
        const rule: AlertRule = { ...parsed.data, id: req.params.id };
        await service.settings.upsertRule(rule);
        await audit?.(req, rule.id, { change: 'updated', rule });
        return rule;
      });

      app.delete<{ Params: { id: string } }>(DetectApiRoutes.alertRule, async (req, reply) => {
        if (!(await service.settings.deleteRule(req.params.id)))
          return notFound(reply, `no alert rule "${req.params.id}"`);
        await audit?.(req, req.params.id, { change: 'deleted' });
        return reply.code(204).send();
      });

      app.get(DetectApiRoutes.stats, async (req, reply) => {
        if (service.stats) {
          const stats = service.stats();
          return {
            ...stats,
            perCamera: Object.fromEntries(
              Object.entries(stats.perCamera).filter(([camera]) => mayUseCamera(req, camera)),
            ),
          };
        }
        const body: ApiError = {
          error: 'unavailable',
          message:
            "Detection runs in the detect role instances of this cluster: their figures are on each instance's /metrics (cluster.metricsPort).",
        };
        return reply.code(503).send(body);
      });
    },
  };
}
