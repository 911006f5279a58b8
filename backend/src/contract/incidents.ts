/**
 * Incidents: what a guard acts on. Detections become events (one per tracked object, all searchable); rule hits
 * on one camera (and zone, when the rule names one) are grouped into one incident while activity continues, and
 * the incident closes after a quiet gap. Also the site's alert settings (escalation levels, channels, sound),
 * snoozes, suppressions ("not a person") and the feedback set.
 */
import { z } from 'zod';
import type { AlertSeverity } from './events.js';
import type { Box } from './media.js';

export type IncidentState = 'new' | 'acknowledged' | 'resolved';

/** One picture of an incident's strip: the best snapshot of one of its events. */
export interface IncidentSnapshot {
  eventId: string;
  label: string;
  ts: number;
  score: number;
  box: Box;
}

/** One notification sent (or tried) for an incident, through one channel. */
export interface IncidentNotification {
  ts: number;
  /** Escalation level that sent it (0: when the incident was raised). */
  level: number;
  levelName: string;
  channelId: string;
  channelKind: NotificationChannelKind;
  status: 'sent' | 'failed';
  attempts: number;
  /** Why it failed, in words (never a secret). */
  error?: string;
}

/**
 * An incident. Activity fields (times, objects, snapshots, severity) come from the detection stage; state fields
 * (acknowledged, resolved, notes, notifications) are changed only by people and the escalation service, and a
 * redelivered activity message never moves them.
 */
export interface Incident {
  /** Deterministic: camera, zone and first hit time. */
  id: string;
  cameraId: string;
  zone?: string;
  /** First rule hit. */
  startTs: number;
  /** Last activity (a rule hit, or a member object moving). */
  lastTs: number;
  /** Set when the incident closed after the quiet gap. */
  endTs?: number;
  /** Highest severity of the rules that hit. */
  severity: AlertSeverity;
  ruleIds: string[];
  ruleNames: string[];
  labels: string[];
  /** Events (objects) of the incident, at most MAX_INCIDENT_EVENTS (objectCount keeps counting). */
  eventIds: string[];
  objectCount: number;
  /** Best snapshots, best first. */
  snapshots: IncidentSnapshot[];
  state: IncidentState;
  acknowledgedBy?: string;
  acknowledgedTs?: number;
  ackNote?: string;
  resolvedBy?: string;
  resolvedTs?: number;
  resolveNote?: string;
  /** Highest escalation level reached (0: notified on raise; absent: none yet). */
  escalationLevel?: number;
  notifications: IncidentNotification[];
  /** Last change of any kind. */
  updatedTs: number;
}

export const MAX_INCIDENT_EVENTS = 500;
export const MAX_INCIDENT_NOTIFICATIONS = 200;
const SEVERITY_RANK: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 };

/** The higher of two severities. */
export function maxSeverity(a: AlertSeverity, b: AlertSeverity): AlertSeverity {
  return SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b;
}

/** The best `max` snapshots of both lists, one per event, best score first. */
export function bestSnapshots(
  a: readonly IncidentSnapshot[],
  b: readonly IncidentSnapshot[],
  max: number,
): IncidentSnapshot[] {
  const byEvent = new Map<string, IncidentSnapshot>();
  for (const s of [...a, ...b]) {
    const old = byEvent.get(s.eventId);
    if (!old || s.score > old.score) byEvent.set(s.eventId, s);
  }
  return [...byEvent.values()].sort((x, y) => y.score - x.score || x.ts - y.ts).slice(0, max);
}

/** A state change by a person. Acknowledge only moves a new incident; resolve any unresolved one. */
export type IncidentAction =
  | { kind: 'acknowledge'; by: string; ts: number; note?: string }
  | { kind: 'resolve'; by: string; ts: number; note?: string };

const MAX_TS = 4_102_444_800_000;
const tsParam = z
  .union([
    z.number(),
    z
      .string()
      .max(16)
      .regex(/^\d{1,16}$/, 'a time in milliseconds since the epoch'),
  ])
  .transform(Number)
  .pipe(z.number().int().min(0).max(MAX_TS, 'a time before 2100 in milliseconds since the epoch'));
const listOf = <T extends z.ZodType<string, string>>(item: T) =>
  z
    .union([z.string().max(2000), z.array(z.string().max(300)).max(50)], 'a comma-separated list')
    .transform((v) => (typeof v === 'string' ? v.split(',') : v).map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(item).max(50, 'at most 50 values'));

/** GET /api/incidents query. Lists combine with OR inside a filter, filters with AND. */
export const IncidentListParams = z.strictObject({
  state: listOf(z.enum(['new', 'acknowledged', 'resolved'], 'new, acknowledged or resolved')).optional(),
  camera: listOf(z.string().max(63, 'at most 63 characters')).optional(),
  severity: listOf(z.enum(['info', 'warning', 'critical'], 'info, warning or critical')).optional(),
  /** Incidents active at some time in [from, to): lastTs ≥ from and startTs < to. */
  from: tsParam.optional(),
  to: tsParam.optional(),
  limit: z
    .union([
      z.number(),
      z
        .string()
        .max(4)
        .regex(/^\d{1,4}$/, 'a whole number from 1 to 500'),
    ])
    .transform(Number)
    .pipe(z.number().int().min(1, 'from 1 to 500').max(500, 'from 1 to 500'))
    .optional(),
});

/** A validated incident list query. */
export interface IncidentQuery {
  states?: IncidentState[];
  cameras?: string[];
  severities?: AlertSeverity[];
  from?: number;
  to?: number;
  /** Newest (startTs) first; default 200. */
  limit?: number;
}

const Note = z.string('text').trim().max(2000, 'at most 2000 characters');
/** POST /api/incidents/:id/ack and /resolve body. */
export const IncidentActionBody = z.strictObject({ note: Note.optional() });
/** POST /api/incidents/ack body: acknowledge several at once, with one note. */
export const IncidentBulkAckBody = z.strictObject({
  ids: z.array(z.string().min(1).max(300), 'a list of incident ids').min(1, 'at least one id').max(500),
  note: Note.optional(),
});
/** POST /api/incidents/:id/false-positive body: "not a <label>" on one snapshot (or the best one). */
export const FalsePositiveBody = z.strictObject({
  eventId: z.string().min(1).max(300).optional(),
  /** Minutes the suppression lasts; absent: until removed. */
  expiresInMin: z.number().int().min(1, 'at least 1 minute').max(525_600, 'at most a year').optional(),
  note: Note.optional(),
});

/** A known false positive: objects of `label` whose box centre is inside `region` on the camera raise nothing. */
export interface Suppression {
  id: string;
  cameraId: string;
  label: string;
  /** Normalised box (x1, y1, x2, y2). */
  region: Box;
  createdBy: string;
  createdTs: number;
  expiresTs?: number;
  /** The incident and event it was made from. */
  incidentId?: string;
  eventId?: string;
}

/** A snooze: the camera or rule raises nothing until `untilTs`. Visible to everyone on duty. */
export interface Snooze {
  kind: 'camera' | 'rule';
  /** Camera id or rule id. */
  target: string;
  untilTs: number;
  by: string;
  ts: number;
}

/** POST /api/snoozes body. */
export const SnoozeBody = z.strictObject({
  kind: z.enum(['camera', 'rule'], 'camera or rule'),
  target: z.string().trim().min(1, 'a camera or rule id').max(64, 'at most 64 characters'),
  minutes: z
    .number('a number of minutes')
    .int('whole minutes')
    .min(1, 'at least 1')
    .max(1440, 'at most 1440'),
});

/** One marked snapshot of the feedback set (a labelled example for retraining). */
export interface FeedbackItem {
  id: string;
  cameraId: string;
  eventId: string;
  incidentId: string;
  /** What the detector said. */
  detectedLabel: string;
  /** What a person said it is ("not-person" style negatives). */
  verdict: 'false-positive';
  box: Box;
  score: number;
  ts: number;
  by: string;
  markedTs: number;
}

export type NotificationChannelKind = 'desktop' | 'supervisors' | 'webhook' | 'mqtt' | 'email';

const EnvName = z
  .string()
  .max(64)
  .regex(/^[A-Z_][A-Z0-9_]{0,63}$/, 'an environment variable name like VIGIL_WEBHOOK_KEY');
const ChannelId = z
  .string()
  .max(40)
  .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'lower-case letters, digits, "-" and "_"');
const ChannelBase = {
  id: ChannelId,
  name: z.string().trim().min(1, 'a name').max(80, 'at most 80 characters'),
};
/**
 * A channel's secret (a webhook's signing key, an MQTT or SMTP password) is write-only: a settings body may carry
 * `secret` to set or replace it (empty: remove it), the backend keeps it in its encrypted secret store, never in
 * the settings file, and answers only `secretSet`. A `secretSet` sent back is ignored.
 */
const ChannelSecret = {
  secret: z.string().max(500, 'at most 500 characters').optional(),
  secretSet: z.boolean().optional(),
};
/** Channel kinds that carry a secret, and what it is called in words. */
export const CHANNEL_SECRET_NAMES: Partial<Record<NotificationChannelKind, string>> = {
  webhook: 'signing secret',
  mqtt: 'password',
  email: 'password',
};
const httpUrl = z
  .string()
  .max(2000)
  .regex(/^https?:\/\/[^\s]+$/, 'an http:// or https:// address');

/** A notification channel, as an administrator configures it. Secrets are named environment variables. */
export const NotificationChannelSchema = z.discriminatedUnion('kind', [
  z.strictObject({ ...ChannelBase, kind: z.literal('desktop') }),
  /** The supervisors on duty (signed in, with `escalations.receive`), optionally of one team: notification and sound. */
  z.strictObject({
    ...ChannelBase,
    kind: z.literal('supervisors'),
    team: z.string().trim().max(64).optional(),
  }),
  z.strictObject({
    ...ChannelBase,
    kind: z.literal('webhook'),
    url: httpUrl,
    /** Environment variable with the HMAC key, when the key is not kept by the backend (`secret`). */
    secretEnv: EnvName.optional(),
    ...ChannelSecret,
  }),
  z.strictObject({
    ...ChannelBase,
    kind: z.literal('mqtt'),
    url: z
      .string()
      .max(2000)
      .regex(/^(mqtts?|wss?):\/\/[^\s]+$/, 'an mqtt:// or mqtts:// address'),
    topic: z
      .string()
      .min(1, 'a topic')
      .max(200)
      .regex(/^[^#+\s]+$/, 'a topic without wildcards'),
    /** The user name (not a secret), or the environment variable holding it. */
    username: z.string().trim().max(200, 'at most 200 characters').optional(),
    usernameEnv: EnvName.optional(),
    passwordEnv: EnvName.optional(),
    ...ChannelSecret,
  }),
  z.strictObject({
    ...ChannelBase,
    kind: z.literal('email'),
    host: z.string().trim().min(1, 'an SMTP host').max(255),
    port: z.number().int().min(1).max(65535),
    /** TLS from the start (port 465); otherwise STARTTLS when the server offers it. */
    secure: z.boolean().default(false),
    from: z.email('an e-mail address').max(254),
    to: z.array(z.email('an e-mail address').max(254)).min(1, 'at least one recipient').max(20),
    /** The user name (not a secret), or the environment variable holding it. */
    username: z.string().trim().max(200, 'at most 200 characters').optional(),
    usernameEnv: EnvName.optional(),
    passwordEnv: EnvName.optional(),
    ...ChannelSecret,
  }),
]);
export type NotificationChannel = z.infer<typeof NotificationChannelSchema>;

/**
 * A step of the escalation chain: when an incident is still new `afterSec` after it was raised, notify through
 * these channels. Level 0 with afterSec 0 notifies on raise. A recipient ("supervisor on duty") is a channel, so
 * people-based recipients slot in as another channel kind.
 */
export const EscalationLevelSchema = z.strictObject({
  name: z.string().trim().min(1, 'a name').max(80, 'at most 80 characters'),
  afterSec: z.number().int('whole seconds').min(0, 'at least 0').max(86_400, 'at most a day'),
  channelIds: z.array(ChannelId).min(1, 'choose at least one channel').max(20),
});
export type EscalationLevel = z.infer<typeof EscalationLevelSchema>;

/** The site's alert settings, kept on the backend (PUT /api/alert-settings). */
export const AlertSiteSettingsSchema = z
  .strictObject({
    /** Play a sound in every open window when a new incident arrives. */
    sound: z.boolean().default(true),
    channels: z.array(NotificationChannelSchema).max(50).default([]),
    escalation: z.array(EscalationLevelSchema).max(10).default([]),
    /** Tries per notification before it counts as failed. */
    retries: z.number().int().min(0).max(10).default(3),
  })
  .superRefine((s, ctx) => {
    const ids = new Set<string>();
    s.channels.forEach((c, i) => {
      if (ids.has(c.id))
        ctx.addIssue({
          code: 'custom',
          path: ['channels', i, 'id'],
          message: `channel id "${c.id}" is used twice`,
        });
      ids.add(c.id);
    });
    s.escalation.forEach((l, i) => {
      l.channelIds.forEach((id, j) => {
        if (!ids.has(id))
          ctx.addIssue({
            code: 'custom',
            path: ['escalation', i, 'channelIds', j],
            message: `no channel "${id}"`,
          });
      });
      const prev = s.escalation[i - 1];
      if (prev && l.afterSec <= prev.afterSec)
        ctx.addIssue({
          code: 'custom',
          path: ['escalation', i, 'afterSec'],
          message: 'each level must come later than the one before',
        });
    });
  });
export type AlertSiteSettings = z.infer<typeof AlertSiteSettingsSchema>;
export type AlertSiteSettingsInput = z.input<typeof AlertSiteSettingsSchema>;

/** The payload every channel sends (webhook body, MQTT message, e-mail JSON attachment). */
export interface IncidentNotificationPayload {
  type: 'vigil.incident';
  level: number;
  levelName: string;
  incident: Pick<
    Incident,
    | 'id'
    | 'cameraId'
    | 'zone'
    | 'startTs'
    | 'lastTs'
    | 'severity'
    | 'ruleNames'
    | 'labels'
    | 'objectCount'
    | 'state'
  >;
  sentTs: number;
  /** Sent by "Send test" in the settings: no incident behind it. */
  test?: boolean;
}

/** What "Send test" of one channel answered (POST /api/alert-settings/channels/:id/test). */
export interface ChannelTestResult {
  channelId: string;
  ok: boolean;
  ts: number;
  /** Why it failed, in words (never a secret). */
  error?: string;
}

/** Header names of a signed webhook: `sha256=<hex HMAC of "<timestamp>.<body>">` and the timestamp in ms. */
export const WEBHOOK_SIGNATURE_HEADER = 'x-vigil-signature';
export const WEBHOOK_TIMESTAMP_HEADER = 'x-vigil-timestamp';

/** Incident routes (all under the authenticated /api prefix). */
export const IncidentApiRoutes = {
  incidents: '/api/incidents',
  incident: '/api/incidents/:id',
  ack: '/api/incidents/:id/ack',
  resolve: '/api/incidents/:id/resolve',
  bulkAck: '/api/incidents/ack',
  falsePositive: '/api/incidents/:id/false-positive',
  snoozes: '/api/snoozes',
  snooze: '/api/snoozes/:kind/:target',
  suppressions: '/api/suppressions',
  suppression: '/api/suppressions/:id',
  feedback: '/api/feedback',
  feedbackExport: '/api/feedback/export',
  feedbackImage: '/api/feedback/:id/image.jpg',
  alertSettings: '/api/alert-settings',
  channelTest: '/api/alert-settings/channels/:id/test',
} as const;

/** The incident part of the event store: both stores implement it, the store contract suite checks it. */
export interface IncidentStore {
  /** Idempotent upsert of activity messages (mergeIncidentActivity); never moves a state backwards. */
  upsertIncidents(incidents: readonly Incident[]): Promise<void>;
  getIncident(id: string): Promise<Incident | undefined>;
  /** Newest (startTs) first. */
  listIncidents(query?: IncidentQuery): Promise<Incident[]>;
  /** Applies a person's action; undefined when there is no such incident. */
  actOnIncident(id: string, action: IncidentAction): Promise<Incident | undefined>;
  /** Records a notification against the incident; undefined when there is no such incident. */
  recordNotification(id: string, n: IncidentNotification): Promise<Incident | undefined>;
}
