import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { ApiError } from '../contract/api.js';
import type { AuditAction } from '../contract/audit.js';
import type { AuditRecorder } from '../audit/recorder.js';
import {
  AlertSiteSettingsSchema,
  FalsePositiveBody,
  IncidentActionBody,
  IncidentApiRoutes,
  IncidentBulkAckBody,
  IncidentListParams,
  SnoozeBody,
  CHANNEL_SECRET_NAMES,
  type AlertSiteSettings,
  type ChannelTestResult,
  type Incident,
  type IncidentNotificationPayload,
  type IncidentQuery,
  type NotificationChannel,
  type Snooze,
  type Suppression,
} from '../contract/incidents.js';
import type { Box } from '../contract/media.js';
import type { EventStore } from '../contract/store.js';
import { requestActor } from '../api/auth.js';
import { narrowCameras, seesEventsOf } from '../api/scope.js';
import type { RouteModule } from '../api/server.js';
import type { DetectSettings } from '../detect/settings-store.js';
import type { SecretStore } from '../platform/secret-store.js';
import { channelSecretName, sendWithRetries, type ChannelSendOptions } from './channels.js';
import type { FeedbackStore } from './feedback.js';
import type { AlertSettings } from './site-settings.js';

export interface IncidentRoutesOptions {
  store: () => EventStore;
  /** Snoozes and suppressions live with the detection settings (every detect instance reads them). */
  settings: () => DetectSettings;
  alertSettings: AlertSettings;
  feedback: FeedbackStore;
  /** Told of every incident changed here, so live clients see it at once. */
  onIncidentChanged?: (incident: Incident) => void;
  /** Where every change is recorded. */
  audit: AuditRecorder;
  /** Where channel secrets entered in the settings are kept; without it only environment variables name them. */
  secrets?: SecretStore;
  /** How "Send test" reaches desktop windows and supervisors (the escalation service's own options). */
  channel?: ChannelSendOptions;
  now?: () => number;
}

/** A channel as the settings file keeps it: no secret, no "secret set" flag. */
function withoutSecret(c: NotificationChannel): NotificationChannel {
  if (!('secret' in c) && !('secretSet' in c)) return c;
  const copy: Record<string, unknown> = { ...c };
  delete copy.secret;
  delete copy.secretSet;
  return copy as NotificationChannel;
}

/** The settings as the API answers them: each secret only as "set" or not, never its value. */
export function settingsWithSecretFlags(
  settings: AlertSiteSettings,
  secrets: Pick<SecretStore, 'has'> | undefined,
): AlertSiteSettings {
  return {
    ...settings,
    channels: settings.channels.map((c) =>
      CHANNEL_SECRET_NAMES[c.kind]
        ? { ...withoutSecret(c), secretSet: Boolean(secrets?.has(channelSecretName(c.id))) }
        : c,
    ),
  };
}

/** What "Send test" sends: an incident-shaped message marked as a test, so a receiver can tell it apart. */
function testPayload(channel: NotificationChannel, ts: number): IncidentNotificationPayload {
  return {
    type: 'vigil.incident',
    level: 0,
    levelName: 'Test',
    test: true,
    incident: {
      id: `test-${channel.id}-${ts}`,
      cameraId: 'test',
      startTs: ts,
      lastTs: ts,
      severity: 'info',
      ruleNames: ['Test notification'],
      labels: [],
      objectCount: 0,
      state: 'new',
    },
    sentTs: ts,
  };
}

function badRequest(reply: FastifyReply, error: z.ZodError): FastifyReply {
  const issue = error.issues[0];
  const field = issue?.path.join('.') || undefined;
  const body: ApiError = {
    error: 'bad_request',
    message: issue ? `${field ? `${field}: ` : ''}${issue.message}` : 'invalid request',
    ...(field ? { field } : {}),
  };
  return reply.code(400).send(body);
}

function notFound(reply: FastifyReply, message: string): FastifyReply {
  const body: ApiError = { error: 'not_found', message };
  return reply.code(404).send(body);
}

/** The region a suppression covers: the marked box, a quarter larger each way (the detector's box wobbles). */
export function suppressionRegion(box: Box): Box {
  const w = box[2] - box[0];
  const h = box[3] - box[1];
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  return [clamp(box[0] - w / 8), clamp(box[1] - h / 8), clamp(box[2] + w / 8), clamp(box[3] + h / 8)];
}

/**
 * HTTP routes of incidents: list and act on them (acknowledge, resolve, bulk acknowledge, "not a person"),
 * snoozes, suppressions, the feedback set and the site's alert settings. Every change is audited with the actor
 * of the request.
 */
export function incidentRoutes(options: IncidentRoutesOptions): RouteModule {
  const now = options.now ?? Date.now;
  return {
    name: 'incidents',
    register(app: FastifyInstance) {
      const audit = (
        req: FastifyRequest,
        action: AuditAction,
        target: string,
        detail?: Record<string, unknown>,
        camera?: string,
      ) =>
        options.audit.record(req, action, {
          target,
          ...(detail ? { detail } : {}),
          ...(camera ? { camera } : {}),
        });
      const changed = (i: Incident) => options.onIncidentChanged?.(i);

      app.get(IncidentApiRoutes.incidents, async (req, reply) => {
        const parsed = IncidentListParams.safeParse(req.query ?? {});
        if (!parsed.success) return badRequest(reply, parsed.error);
        const p = parsed.data;
        // Only the caller's cameras: a guard never learns of another camera's incidents.
        const narrowed = narrowCameras(req, p.camera);
        const query: IncidentQuery = {
          ...(p.state ? { states: p.state } : {}),
          ...(narrowed ? { cameras: narrowed } : {}),
          ...(p.severity ? { severities: p.severity } : {}),
          ...(p.from !== undefined ? { from: p.from } : {}),
          ...(p.to !== undefined ? { to: p.to } : {}),
          ...(p.limit !== undefined ? { limit: p.limit } : {}),
        };
        return options.store().incidents.listIncidents(query);
      });

      app.get<{ Params: { id: string } }>(IncidentApiRoutes.incident, async (req, reply) => {
        const i = await options.store().incidents.getIncident(req.params.id);
        return i && seesEventsOf(req, i.cameraId)
          ? i
          : notFound(reply, `no incident "${req.params.id.slice(0, 100)}"`);
      });

      for (const [route, kind] of [
        [IncidentApiRoutes.ack, 'acknowledge'],
        [IncidentApiRoutes.resolve, 'resolve'],
      ] as const) {
        app.post<{ Params: { id: string } }>(route, async (req, reply) => {
          const parsed = IncidentActionBody.safeParse(req.body ?? {});
          if (!parsed.success) return badRequest(reply, parsed.error);
          const by = requestActor(req);
          const note = parsed.data.note || undefined;
          const existing = await options.store().incidents.getIncident(req.params.id);
          if (existing && !seesEventsOf(req, existing.cameraId))
            return notFound(reply, `no incident "${req.params.id.slice(0, 100)}"`);
          const i = await options
            .store()
            .incidents.actOnIncident(req.params.id, { kind, by, ts: now(), ...(note ? { note } : {}) });
          if (!i) return notFound(reply, `no incident "${req.params.id.slice(0, 100)}"`);
          await audit(req, kind, i.id, note ? { note } : undefined, i.cameraId);
          changed(i);
          return i;
        });
      }

      app.post(IncidentApiRoutes.bulkAck, async (req, reply) => {
        const parsed = IncidentBulkAckBody.safeParse(req.body ?? {});
        if (!parsed.success) return badRequest(reply, parsed.error);
        const by = requestActor(req);
        const note = parsed.data.note || undefined;
        const acknowledged: Incident[] = [];
        const missing: string[] = [];
        for (const id of new Set(parsed.data.ids)) {
          const existing = await options.store().incidents.getIncident(id);
          if (existing && !seesEventsOf(req, existing.cameraId)) {
            missing.push(id);
            continue;
          }
          const i = await options
            .store()
            .incidents.actOnIncident(id, { kind: 'acknowledge', by, ts: now(), ...(note ? { note } : {}) });
          if (!i) {
            missing.push(id);
            continue;
          }
          acknowledged.push(i);
          changed(i);
        }
        await audit(req, 'acknowledge', acknowledged.map((i) => i.id).join(','), {
          bulk: true,
          count: acknowledged.length,
          ...(note ? { note } : {}),
        });
        return { acknowledged, missing };
      });

      app.post<{ Params: { id: string } }>(IncidentApiRoutes.falsePositive, async (req, reply) => {
        const parsed = FalsePositiveBody.safeParse(req.body ?? {});
        if (!parsed.success) return badRequest(reply, parsed.error);
        const store = options.store();
        const incident = await store.incidents.getIncident(req.params.id);
        if (!incident || !seesEventsOf(req, incident.cameraId))
          return notFound(reply, `no incident "${req.params.id.slice(0, 100)}"`);
        const shot = parsed.data.eventId
          ? incident.snapshots.find((s) => s.eventId === parsed.data.eventId)
          : incident.snapshots[0];
        if (!shot) {
          const body: ApiError = {
            error: 'bad_request',
            field: 'eventId',
            message: parsed.data.eventId
              ? 'eventId: that object is not in this incident’s snapshots'
              : 'this incident has no snapshot to mark',
          };
          return reply.code(400).send(body);
        }
        const by = requestActor(req);
        const ts = now();
        const suppression: Suppression = {
          id: crypto.randomUUID(),
          cameraId: incident.cameraId,
          label: shot.label,
          region: suppressionRegion(shot.box),
          createdBy: by,
          createdTs: ts,
          ...(parsed.data.expiresInMin ? { expiresTs: ts + parsed.data.expiresInMin * 60_000 } : {}),
          incidentId: incident.id,
          eventId: shot.eventId,
        };
        await options.settings().addSuppression(suppression);
        const [frame, crop] = await Promise.all([
          store.readSnapshot(shot.eventId, 'frame'),
          store.readSnapshot(shot.eventId, 'crop'),
        ]);
        const feedback = options.feedback.add(
          {
            cameraId: incident.cameraId,
            eventId: shot.eventId,
            incidentId: incident.id,
            detectedLabel: shot.label,
            verdict: 'false-positive',
            box: shot.box,
            score: shot.score,
            ts: shot.ts,
            by,
            markedTs: ts,
          },
          { ...(frame ? { frame } : {}), ...(crop ? { crop } : {}) },
        );
        const note = parsed.data.note || `not a ${shot.label}: suppressed`;
        const resolved = await store.incidents.actOnIncident(incident.id, { kind: 'resolve', by, ts, note });
        await audit(
          req,
          'false-positive',
          incident.id,
          {
            eventId: shot.eventId,
            suppression: suppression.id,
            region: suppression.region,
            ...(suppression.expiresTs ? { expiresTs: suppression.expiresTs } : {}),
          },
          incident.cameraId,
        );
        if (resolved) changed(resolved);
        return { incident: resolved, suppression, feedback };
      });

      app.get(IncidentApiRoutes.snoozes, async (req) => {
        const t = now();
        return options
          .settings()
          .snoozes()
          .filter((s) => s.untilTs > t && (s.kind !== 'camera' || seesEventsOf(req, s.target)));
      });

      app.post(IncidentApiRoutes.snoozes, async (req, reply) => {
        const parsed = SnoozeBody.safeParse(req.body ?? {});
        if (!parsed.success) return badRequest(reply, parsed.error);
        const { kind, target, minutes } = parsed.data;
        if (kind === 'camera' && !seesEventsOf(req, target)) return notFound(reply, `no camera "${target}"`);
        if (
          kind === 'rule' &&
          !options
            .settings()
            .alertRules()
            .some((r) => r.id === target)
        )
          return notFound(reply, `no alert rule "${target}"`);
        const ts = now();
        const snooze: Snooze = { kind, target, untilTs: ts + minutes * 60_000, by: requestActor(req), ts };
        await options.settings().setSnooze(snooze);
        await audit(req, 'snooze', `${kind}:${target}`, { minutes, untilTs: snooze.untilTs });
        return reply.code(201).send(snooze);
      });

      app.delete<{ Params: { kind: string; target: string } }>(
        IncidentApiRoutes.snooze,
        async (req, reply) => {
          const kind =
            req.params.kind === 'camera' || req.params.kind === 'rule' ? req.params.kind : undefined;
          if (!kind || !(await options.settings().deleteSnooze(kind, req.params.target)))
            return notFound(reply, `no snooze of ${req.params.kind} "${req.params.target.slice(0, 64)}"`);
          await audit(req, 'snooze', `${kind}:${req.params.target}`, { ended: true });
          return reply.code(204).send();
        },
      );

      app.get(IncidentApiRoutes.suppressions, async () => {
        const t = now();
        return options
          .settings()
          .suppressions()
          .filter((s) => s.expiresTs === undefined || s.expiresTs > t);
      });

      app.delete<{ Params: { id: string } }>(IncidentApiRoutes.suppression, async (req, reply) => {
        if (!(await options.settings().deleteSuppression(req.params.id)))
          return notFound(reply, `no suppression "${req.params.id.slice(0, 64)}"`);
        await audit(req, 'suppression', req.params.id, { removed: true });
        return reply.code(204).send();
      });

      app.get(IncidentApiRoutes.feedback, async () => options.feedback.list());

      app.get(IncidentApiRoutes.feedbackExport, async (req, reply) => {
        await audit(req, 'export', 'feedback', { items: options.feedback.list().length });
        return reply
          .type('application/x-ndjson')
          .header('content-disposition', 'attachment; filename="vigil-feedback.jsonl"')
          .send([...options.feedback.exportLines()].join(''));
      });

      app.get<{ Params: { id: string } }>(IncidentApiRoutes.feedbackImage, async (req, reply) => {
        const bytes = options.feedback.image(req.params.id, 'frame');
        if (!bytes) return notFound(reply, `no feedback image "${req.params.id.slice(0, 64)}"`);
        return reply.type('image/jpeg').send(bytes);
      });

      const secrets = options.secrets;
      const withFlags = (settings: AlertSiteSettings) => settingsWithSecretFlags(settings, secrets);
      const refuse = (reply: FastifyReply, field: string, message: string) => {
        const body: ApiError = { error: 'bad_request', field, message: `${field}: ${message}` };
        return reply.code(400).send(body);
      };

      app.get(IncidentApiRoutes.alertSettings, async () => withFlags(options.alertSettings.get()));

      app.put(IncidentApiRoutes.alertSettings, async (req, reply) => {
        const parsed = AlertSiteSettingsSchema.safeParse(req.body ?? {});
        if (!parsed.success) return badRequest(reply, parsed.error);
        // Secrets go to the secret store, never into the settings file; a channel without a new one keeps its own.
        const writes = new Map<string, string>();
        for (const [i, c] of parsed.data.channels.entries()) {
          const given = 'secret' in c ? c.secret : undefined;
          if (given !== undefined) {
            if (!secrets)
              return refuse(
                reply,
                `channels.${i}.secret`,
                'this server keeps no secrets; name an environment variable instead',
              );
            writes.set(channelSecretName(c.id), given);
          }
          if (c.kind === 'webhook' && !c.secretEnv) {
            const name = channelSecretName(c.id);
            const kept = writes.has(name) ? Boolean(writes.get(name)) : Boolean(secrets?.has(name));
            if (!kept) return refuse(reply, `channels.${i}.secret`, 'enter a signing secret');
          }
        }
        const before = options.alertSettings.get().channels.map((c) => c.id);
        const saved = await options.alertSettings.set({
          ...parsed.data,
          channels: parsed.data.channels.map(withoutSecret),
        });
        for (const [name, value] of writes) secrets?.set(name, value);
        // A removed channel's secret goes with it.
        const kept = new Set(saved.channels.map((c) => c.id));
        for (const id of before) if (!kept.has(id)) secrets?.delete(channelSecretName(id));
        await audit(req, 'alert-settings', 'site', {
          sound: saved.sound,
          channels: saved.channels.map((c) => `${c.id} (${c.kind})`),
          escalation: saved.escalation.map((l) => `${l.name} after ${l.afterSec}s`),
          // Which secrets changed, never their values.
          ...(writes.size
            ? { secretsChanged: [...writes.keys()].map((n) => n.split('/')[1]).filter(Boolean) }
            : {}),
        });
        return withFlags(saved);
      });

      app.post<{ Params: { id: string } }>(IncidentApiRoutes.channelTest, async (req, reply) => {
        const channel = options.alertSettings.get().channels.find((c) => c.id === req.params.id);
        if (!channel) return notFound(reply, `no channel "${req.params.id.slice(0, 40)}"; save it first`);
        const ts = now();
        const outcome = await sendWithRetries(
          channel,
          testPayload(channel, ts),
          { retries: 0 },
          { ...options.channel, ...(secrets ? { secrets } : {}) },
        );
        const result: ChannelTestResult = {
          channelId: channel.id,
          ok: outcome.ok,
          ts,
          ...(outcome.error ? { error: outcome.error } : {}),
        };
        await audit(req, 'alert-settings', `channel:${channel.id}`, {
          test: true,
          kind: channel.kind,
          ok: outcome.ok,
          ...(outcome.error ? { error: outcome.error } : {}),
        });
        return result;
      });
    },
  };
}
