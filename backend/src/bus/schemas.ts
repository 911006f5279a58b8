import { z } from 'zod';
import { Topics, type Topic } from '../contract/bus.js';
import { AuditRecordMessage } from '../contract/audit.js';
import { APPEARANCE_MAX_LENGTH } from '../contract/events.js';

/**
 * Wire schemas of the JSON topics. A consumer validates every message before its handler sees it; a message that
 * fails goes to the dead-letter topic with the reason. Objects are loose (unknown fields pass through) so a newer
 * producer can add fields without breaking older consumers; a breaking change gets a new topic version.
 */
const Box = z.tuple([z.number(), z.number(), z.number(), z.number()]);
const Ts = z.number().int().nonnegative();

export const DetectionSchema = z.looseObject({
  label: z.string().min(1),
  score: z.number().min(0).max(1),
  box: Box,
  trackId: z.string().optional(),
  zones: z.array(z.string()).optional(),
});

export const FrameDetectionsSchema = z.looseObject({
  cameraId: z.string().min(1),
  ts: Ts,
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  detections: z.array(DetectionSchema),
});

/** An appearance descriptor on an event: a bounded vector of finite numbers. */
export const AppearanceSchema = z.object({
  v: z.literal(1),
  vector: z.array(z.number().min(-1).max(1)).min(1).max(APPEARANCE_MAX_LENGTH),
});

export const VigilEventSchema = z.looseObject({
  id: z.string().min(1),
  cameraId: z.string().min(1),
  label: z.string().min(1),
  phase: z.enum(['start', 'update', 'end']),
  startTs: Ts,
  lastTs: Ts,
  endTs: Ts.optional(),
  topScore: z.number().min(0).max(1),
  box: Box,
  zones: z.array(z.string()),
  path: z.array(z.looseObject({ ts: Ts, box: Box, score: z.number() })),
  stationary: z.boolean().optional(),
  snapshot: z
    .looseObject({
      ts: Ts,
      score: z.number(),
      frameJpeg: z.string().optional(),
      cropJpeg: z.string().optional(),
    })
    .optional(),
  appearance: AppearanceSchema.optional(),
});

export const VigilAlertSchema = z.looseObject({
  id: z.string().min(1),
  ruleId: z.string().min(1),
  ruleName: z.string(),
  eventId: z.string().min(1),
  cameraId: z.string().min(1),
  label: z.string(),
  zone: z.string().optional(),
  severity: z.enum(['info', 'warning', 'critical']),
  state: z.enum(['new', 'acknowledged', 'resolved']),
  raisedTs: Ts,
});

/** Camera health: the camera status object of the API, identified by `id`. */
export const HealthSchema = z.looseObject({
  id: z.string().min(1),
  state: z.string().min(1),
  since: Ts.optional(),
});

const Polygon = z.array(z.tuple([z.number(), z.number()])).min(3);

/** A change of zones or alert rules (the settings topic); strict enough that a detect instance can apply it. */
export const DetectSettingsChangeSchema = z.discriminatedUnion('kind', [
  z.looseObject({
    kind: z.literal('zones'),
    cameraId: z.string().min(1),
    zones: z.looseObject({
      zones: z.array(
        z.looseObject({ name: z.string().min(1), points: Polygon, color: z.string().optional() }),
      ),
      masks: z.array(z.looseObject({ points: Polygon })),
    }),
    ts: Ts,
  }),
  z.looseObject({
    kind: z.literal('alert-rule'),
    rule: z.looseObject({
      id: z.string().min(1),
      name: z.string(),
      // Older messages carry one label and camera, newer ones lists.
      label: z.string().min(1).optional(),
      labels: z.array(z.string().min(1)).optional(),
      cameraId: z.string().optional(),
      cameraIds: z.array(z.string()).optional(),
      zone: z.string().optional(),
      schedule: z
        .looseObject({ from: z.string(), to: z.string(), days: z.array(z.number().int()).optional() })
        .optional(),
      minDurationSec: z.number().min(0),
      severity: z.enum(['info', 'warning', 'critical']),
      enabled: z.boolean(),
    }),
    ts: Ts,
  }),
  z.looseObject({ kind: z.literal('alert-rule-deleted'), id: z.string().min(1), ts: Ts }),
  z.looseObject({
    kind: z.literal('snooze'),
    snooze: z.looseObject({
      kind: z.enum(['camera', 'rule']),
      target: z.string().min(1),
      untilTs: Ts,
      by: z.string(),
      ts: Ts,
    }),
    ts: Ts,
  }),
  z.looseObject({
    kind: z.literal('snooze-deleted'),
    snoozeKind: z.enum(['camera', 'rule']),
    target: z.string().min(1),
    ts: Ts,
  }),
  z.looseObject({
    kind: z.literal('suppression'),
    suppression: z.looseObject({
      id: z.string().min(1),
      cameraId: z.string().min(1),
      label: z.string().min(1),
      region: Box,
      createdBy: z.string(),
      createdTs: Ts,
      expiresTs: Ts.optional(),
    }),
    ts: Ts,
  }),
  z.looseObject({ kind: z.literal('suppression-deleted'), id: z.string().min(1), ts: Ts }),
]);

const IncidentSnapshotSchema = z.looseObject({
  eventId: z.string().min(1),
  label: z.string(),
  ts: Ts,
  score: z.number(),
  box: Box,
});

/** Incident activity from the detection stage (state fields are the store's). */
export const IncidentSchema = z.looseObject({
  id: z.string().min(1),
  cameraId: z.string().min(1),
  zone: z.string().optional(),
  startTs: Ts,
  lastTs: Ts,
  endTs: Ts.optional(),
  severity: z.enum(['info', 'warning', 'critical']),
  ruleIds: z.array(z.string()),
  ruleNames: z.array(z.string()),
  labels: z.array(z.string()),
  eventIds: z.array(z.string()),
  objectCount: z.number().int().nonnegative(),
  snapshots: z.array(IncidentSnapshotSchema),
  state: z.enum(['new', 'acknowledged', 'resolved']),
  notifications: z.array(z.looseObject({})),
  updatedTs: Ts,
});

/**
 * A dead letter: where the message came from (Kafka topic, partition, offset: the same coordinates for every reader,
 * so letters can be told apart and matched with the source), which consumer group gave up on it, and why.
 */
export const DeadLetterSchema = z.strictObject({
  /** The Kafka topic name of the source (with the installation's topic prefix). */
  topic: z.string(),
  partition: z.number().int(),
  offset: z.string(),
  /** The bus group that wrote the letter ("vigil-events"). */
  group: z.string(),
  /** "malformed": the message could not be decoded or failed its schema. "handler-failed": the group's handler kept failing. */
  kind: z.enum(['malformed', 'handler-failed']),
  key: z.string().nullable(),
  reason: z.string(),
  /** The original value, base64, cut at 64 KiB. */
  valueBase64: z.string(),
  ts: Ts,
});
export type DeadLetter = z.infer<typeof DeadLetterSchema>;

/** The default schema of each JSON topic (frames are binary and checked by the frame codec). */
export const DEFAULT_SCHEMAS: Partial<Record<Topic, z.ZodType>> = {
  [Topics.detections]: FrameDetectionsSchema,
  [Topics.events]: VigilEventSchema,
  [Topics.alerts]: VigilAlertSchema,
  [Topics.incidents]: IncidentSchema,
  [Topics.health]: HealthSchema,
  [Topics.deadLetter]: DeadLetterSchema,
  [Topics.settings]: DetectSettingsChangeSchema,
  [Topics.audit]: z.looseObject(AuditRecordMessage.shape),
};
