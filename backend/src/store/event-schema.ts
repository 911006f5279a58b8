import { z } from 'zod';
import type { VigilAlert, VigilEvent } from '../contract/events.js';

const finite = z.number().refine(Number.isFinite, 'a finite number');
const ts = z.int().min(0);
const box = z.tuple([finite, finite, finite, finite]);

/** What an event message from the bus must look like before it is stored. */
export const VigilEventSchema = z.object({
  id: z.string().min(1).max(300),
  cameraId: z.string().min(1).max(120),
  label: z.string().min(1).max(120),
  phase: z.enum(['start', 'update', 'end']),
  startTs: ts,
  lastTs: ts,
  endTs: ts.optional(),
  topScore: z.number().min(0).max(1),
  box,
  zones: z.array(z.string().min(1).max(120)).max(100),
  path: z.array(z.object({ ts, box, score: z.number().min(0).max(1) })).max(100_000),
  stationary: z.boolean().optional(),
  snapshot: z
    .object({
      ts,
      score: z.number().min(0).max(1),
      box: box.optional(),
      frameJpeg: z.string().optional(),
      cropJpeg: z.string().optional(),
    })
    .optional(),
}) satisfies z.ZodType<VigilEvent>;

/** What an alert message from the bus must look like before it is stored. */
export const VigilAlertSchema = z.object({
  id: z.string().min(1).max(300),
  ruleId: z.string().min(1).max(200),
  ruleName: z.string().max(200),
  eventId: z.string().min(1).max(300),
  cameraId: z.string().min(1).max(120),
  label: z.string().min(1).max(120),
  zone: z.string().max(120).optional(),
  severity: z.enum(['info', 'warning', 'critical']),
  state: z.enum(['new', 'acknowledged', 'resolved']),
  raisedTs: ts,
  acknowledgedBy: z.string().max(200).optional(),
  acknowledgedTs: ts.optional(),
  resolvedTs: ts.optional(),
  escalations: z.int().min(0).optional(),
}) satisfies z.ZodType<VigilAlert>;
