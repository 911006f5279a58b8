/**
 * Investigation: the site map (a floor or site plan with the cameras placed on it) and trails (a person's path
 * across cameras as an ordered list of sightings, each an event). Shared by the backend, the renderer and the
 * evidence export (`trail.json`).
 */
import { z } from 'zod';
import { CaseNumber, ExportReason } from './backup.js';
import { Limits } from './config/limits.js';

/** Routes of the site map and of trails. */
export const InvestigationApiRoutes = {
  /** GET: the plan's description and the placements of the cameras the caller may see. */
  sitemap: '/api/sitemap',
  /** GET: the plan image; PUT: a new plan (the image itself as the body, image/png, image/jpeg or image/webp). */
  sitemapPlan: '/api/sitemap/plan',
  /** PUT: where the cameras are on the plan. */
  sitemapCameras: '/api/sitemap/cameras',
  trails: '/api/trails',
  trail: '/api/trails/:id',
} as const;

/** Largest plan upload, in bytes. */
export const PLAN_MAX_BYTES = 10 * 1024 * 1024;
/** Longest side of a plan, in pixels. */
export const PLAN_MAX_SIDE = 8000;
/** Image types a plan may be uploaded as. */
export const PLAN_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;
export type PlanType = (typeof PLAN_TYPES)[number];

/** A camera id as cameras are named (letters, digits, - and _). */
const CameraId = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[A-Za-z0-9_-]+$/, 'a camera id: letters, digits, - and _');

/** Where one camera is on the plan: x and y as fractions of its width and height (0 = left/top). */
export const CameraPlacement = z
  .strictObject({
    cameraId: CameraId,
    x: z.number().min(0).max(1).describe('Horizontal position, 0 (left edge) … 1 (right edge).'),
    y: z.number().min(0).max(1).describe('Vertical position, 0 (top edge) … 1 (bottom edge).'),
    heading: z
      .number()
      .min(0)
      .max(360)
      .optional()
      .describe('Direction the camera looks, in degrees clockwise from the top of the plan.'),
  })
  .describe('A camera placed on the site map.');
export type CameraPlacement = z.infer<typeof CameraPlacement>;

/** PUT /api/sitemap/cameras. Cameras the caller may not see keep their placements. */
export const PlacementsBody = z
  .strictObject({
    placements: z.array(CameraPlacement).max(Limits.cameras),
  })
  .refine((b) => new Set(b.placements.map((p) => p.cameraId)).size === b.placements.length, {
    message: 'each camera can be placed once',
    path: ['placements'],
  });
export type PlacementsBody = z.infer<typeof PlacementsBody>;

/** The stored plan image. */
export const PlanInfo = z.strictObject({
  type: z.enum(PLAN_TYPES),
  width: z.number().int().min(1).max(PLAN_MAX_SIDE),
  height: z.number().int().min(1).max(PLAN_MAX_SIDE),
  bytes: z
    .number()
    .int()
    .min(0)
    .max(PLAN_MAX_BYTES * 4),
  updatedAt: z.number().min(0).max(Limits.time),
  updatedBy: z.string().max(200),
});
export type PlanInfo = z.infer<typeof PlanInfo>;

/** GET /api/sitemap. */
export const SiteMap = z
  .strictObject({
    plan: PlanInfo.optional().describe(
      'The plan image (GET /api/sitemap/plan); absent until one is uploaded.',
    ),
    placements: z.array(CameraPlacement).max(Limits.cameras),
    updatedAt: z.number().min(0).max(Limits.time),
  })
  .describe('The site map: a plan and the cameras placed on it.');
export type SiteMap = z.infer<typeof SiteMap>;

/** Most sightings a trail holds. */
export const MAX_TRAIL_SIGHTINGS = 200;
/** Most trails an installation keeps (a bound on the file, not a working limit). */
export const MAX_TRAILS = 2000;

/** A sighting as the investigator adds it: the event, and whether it is confirmed to be the person followed. */
export const TrailSightingInput = z.strictObject({
  eventId: z.string().min(1).max(200),
  confirmed: z.boolean().default(false),
});

/** POST /api/trails, PUT /api/trails/:id. The camera and time of each sighting are read from its event. */
export const TrailBody = z
  .strictObject({
    name: z.string().trim().min(1, 'a trail needs a name').max(120, 'at most 120 characters'),
    caseNumber: CaseNumber,
    sightings: z.array(TrailSightingInput).max(MAX_TRAIL_SIGHTINGS).default([]),
  })
  .refine((b) => new Set(b.sightings.map((s) => s.eventId)).size === b.sightings.length, {
    message: 'each event can be a sighting of the trail once',
    path: ['sightings'],
  });
export type TrailBody = z.input<typeof TrailBody>;

/** A sighting as stored: its event's camera and time, so the trail is drawn and exported without the events. */
export const TrailSighting = z.strictObject({
  eventId: z.string().min(1).max(200),
  cameraId: CameraId,
  label: z.string().max(100),
  /** When the event started (ms). */
  ts: z.number().min(0).max(Limits.time),
  /** When it ended (its last sighting while it still runs). */
  endTs: z.number().min(0).max(Limits.time),
  confirmed: z.boolean(),
});
export type TrailSighting = z.infer<typeof TrailSighting>;

/** A saved trail; sightings in time order. */
export const Trail = z.strictObject({
  id: z.string().min(1).max(64),
  name: z.string().max(120),
  caseNumber: z.string().max(64),
  createdBy: z.string().max(200),
  createdAt: z.number().min(0).max(Limits.time),
  updatedBy: z.string().max(200),
  updatedAt: z.number().min(0).max(Limits.time),
  sightings: z.array(TrailSighting).max(MAX_TRAIL_SIGHTINGS),
});
export type Trail = z.infer<typeof Trail>;

/** A trail in a list: without its sightings. */
export const TrailSummary = Trail.omit({ sightings: true }).extend({
  sightings: z.number().int().min(0).max(MAX_TRAIL_SIGHTINGS),
  confirmed: z.number().int().min(0).max(MAX_TRAIL_SIGHTINGS),
  cameras: z.array(CameraId).max(MAX_TRAIL_SIGHTINGS),
});
export type TrailSummary = z.infer<typeof TrailSummary>;

/** Sightings in time order (then by event id, so equal times keep one order everywhere). */
export function sortSightings<T extends { ts: number; eventId: string }>(list: readonly T[]): T[] {
  return [...list].sort((a, b) => a.ts - b.ts || a.eventId.localeCompare(b.eventId));
}

/** Footage exported before the first and after the last confirmed sighting of a trail, by default (s). */
export const TRAIL_EXPORT_MARGIN_SEC = 30;

/** The cameras and range an export of a trail covers: its confirmed sightings' cameras, their span ± margin. */
export function trailExportSpan(
  trail: Pick<Trail, 'sightings'>,
  marginSec: number = TRAIL_EXPORT_MARGIN_SEC,
): { cameraIds: string[]; from: number; to: number } | undefined {
  const confirmed = trail.sightings.filter((s) => s.confirmed);
  if (!confirmed.length) return undefined;
  const cameraIds = [...new Set(sortSightings(confirmed).map((s) => s.cameraId))];
  const from = Math.max(0, Math.min(...confirmed.map((s) => s.ts)) - marginSec * 1000);
  const to = Math.max(...confirmed.map((s) => Math.max(s.endTs, s.ts + 1000))) + marginSec * 1000;
  return { cameraIds, from, to };
}

/** trail.json of an evidence export: the confirmed sightings in order, where each camera is on the site map. */
export interface TrailDocument {
  format: 'vigil-trail/1';
  id: string;
  name: string;
  caseNumber: string;
  createdBy: string;
  sightings: Array<{
    /** 1, 2, 3 … in time order, as numbered on the map. */
    n: number;
    eventId: string;
    cameraId: string;
    label: string;
    ts: number;
    endTs: number;
    /** Where the camera is on the site map (fractions of the plan), when it is placed. */
    position?: { x: number; y: number; heading?: number };
  }>;
  /** The plan image in the export (path inside the export) and its size, when the site has one. */
  plan?: { path: string; width: number; height: number };
}

/** The trail.json an export of `trail` carries (confirmed sightings only). */
export function trailDocument(
  trail: Trail,
  placements: readonly CameraPlacement[],
  plan?: TrailDocument['plan'],
): TrailDocument {
  const at = new Map(placements.map((p) => [p.cameraId, p]));
  return {
    format: 'vigil-trail/1',
    id: trail.id,
    name: trail.name,
    caseNumber: trail.caseNumber,
    createdBy: trail.createdBy,
    sightings: sortSightings(trail.sightings.filter((s) => s.confirmed)).map((s, i) => {
      const p = at.get(s.cameraId);
      return {
        n: i + 1,
        eventId: s.eventId,
        cameraId: s.cameraId,
        label: s.label,
        ts: s.ts,
        endTs: s.endTs,
        ...(p
          ? { position: { x: p.x, y: p.y, ...(p.heading !== undefined ? { heading: p.heading } : {}) } }
          : {}),
      };
    }),
    ...(plan ? { plan } : {}),
  };
}

/** POST /api/export with a trail: its cameras over the span of its confirmed sightings, and its trail.json. */
export const TrailExportBody = z.strictObject({
  trailId: z.string().min(1).max(64),
  marginSec: z.number().int().min(0).max(3600).default(TRAIL_EXPORT_MARGIN_SEC),
  format: z.enum(['zip', 'folder']).default('zip'),
  reason: ExportReason,
  caseNumber: CaseNumber,
});
