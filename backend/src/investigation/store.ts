import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { PlanInfo } from '../contract/investigation.js';
import {
  MAX_TRAILS,
  SiteMap,
  sortSightings,
  Trail,
  type CameraPlacement,
  type PlanType,
  type TrailSighting,
} from '../contract/investigation.js';
import { createLogger } from '../platform/log.js';
import type { NormalisedPlan } from './plan-image.js';

const log = createLogger('investigation.store');

/** Raised for a request the investigator can fix (too many trails); answered 409 with its message. */
export class TrailLimitError extends Error {
  readonly statusCode = 409;
}

/** Writes next to the file and renames into place, so a crash never leaves half a file. */
function writeAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/** Reads a JSON file; one that does not parse is kept aside (never overwritten) and read as absent. */
function readJson(file: string): unknown {
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    const aside = `${file}.damaged-${Date.now()}`;
    fs.renameSync(file, aside);
    log.warn({ err, file, keptAs: aside }, 'investigation file is not JSON; starting without it');
    return undefined;
  }
}

function parseOr<T>(schema: z.ZodType<T>, raw: unknown, file: string): T | undefined {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  log.warn({ file }, 'skipped investigation data that does not parse');
  return undefined;
}

const PLAN_FILES: Readonly<Record<PlanType, string>> = {
  'image/png': 'plan.png',
  'image/jpeg': 'plan.jpg',
  'image/webp': 'plan.webp',
};

/**
 * The site map: `<folder>/sitemap.json` (placements and the plan's description) and the plan image next to it. Plain
 * files under the data folder, so backups carry them like every other file of the installation.
 */
export class SiteMapStore {
  readonly #file: string;
  #map: SiteMap = { placements: [], updatedAt: 0 };

  constructor(readonly folder: string) {
    this.#file = path.join(folder, 'sitemap.json');
    const raw = readJson(this.#file);
    if (raw !== undefined) this.#map = parseOr(SiteMap, raw, this.#file) ?? this.#map;
  }

  get(): SiteMap {
    return this.#map;
  }

  /** The plan image's bytes and type, or undefined without a plan. */
  plan(): { bytes: Buffer; info: PlanInfo } | undefined {
    const info = this.#map.plan;
    if (!info) return undefined;
    try {
      return { bytes: fs.readFileSync(path.join(this.folder, PLAN_FILES[info.type])), info };
    } catch {
      return undefined;
    }
  }

  /** Replaces the plan (placements stay: they are fractions of the plan, and a new edition is usually alike). */
  setPlan(plan: NormalisedPlan, by: string, now = Date.now()): SiteMap {
    writeAtomic(path.join(this.folder, PLAN_FILES[plan.type]), plan.bytes);
    for (const [type, name] of Object.entries(PLAN_FILES))
      if (type !== plan.type) fs.rmSync(path.join(this.folder, name), { force: true });
    const info: PlanInfo = {
      type: plan.type,
      width: plan.width,
      height: plan.height,
      bytes: plan.bytes.length,
      updatedAt: now,
      updatedBy: by.slice(0, 200),
    };
    return this.#save({ ...this.#map, plan: info, updatedAt: now });
  }

  setPlacements(placements: readonly CameraPlacement[], now = Date.now()): SiteMap {
    const sorted = [...placements].sort((a, b) => a.cameraId.localeCompare(b.cameraId));
    return this.#save({ ...this.#map, placements: sorted, updatedAt: now });
  }

  #save(map: SiteMap): SiteMap {
    writeAtomic(this.#file, JSON.stringify(map, null, 2));
    this.#map = map;
    return map;
  }
}

/** What a trail's sightings are made of once their events are read. */
export type ResolvedSighting = TrailSighting;

/** Saved trails: `<folder>/trails.json`, one small file (at most MAX_TRAILS trails of 200 sightings). */
export class TrailStore {
  readonly #file: string;
  readonly #trails = new Map<string, Trail>();

  constructor(folder: string) {
    this.#file = path.join(folder, 'trails.json');
    const raw = readJson(this.#file) as { trails?: unknown } | undefined;
    for (const t of Array.isArray(raw?.trails) ? raw.trails : []) {
      const trail = parseOr(Trail, t, this.#file);
      if (trail) this.#trails.set(trail.id, trail);
    }
  }

  /** Newest first. */
  list(): Trail[] {
    return [...this.#trails.values()].sort((a, b) => b.updatedAt - a.updatedAt || a.id.localeCompare(b.id));
  }

  get(id: string): Trail | undefined {
    return this.#trails.get(id);
  }

  create(
    body: { name: string; caseNumber: string; sightings: ResolvedSighting[] },
    by: string,
    now = Date.now(),
  ): Trail {
    if (this.#trails.size >= MAX_TRAILS)
      throw new TrailLimitError(`At most ${MAX_TRAILS} trails can be kept; delete old ones first.`);
    const trail: Trail = {
      id: `trail-${now.toString(36)}-${randomBytes(4).toString('hex')}`,
      name: body.name,
      caseNumber: body.caseNumber,
      createdBy: by.slice(0, 200),
      createdAt: now,
      updatedBy: by.slice(0, 200),
      updatedAt: now,
      sightings: sortSightings(body.sightings),
    };
    return this.#put(trail);
  }

  update(
    id: string,
    body: { name: string; caseNumber: string; sightings: ResolvedSighting[] },
    by: string,
    now = Date.now(),
  ): Trail | undefined {
    const before = this.#trails.get(id);
    if (!before) return undefined;
    return this.#put({
      ...before,
      name: body.name,
      caseNumber: body.caseNumber,
      sightings: sortSightings(body.sightings),
      updatedBy: by.slice(0, 200),
      updatedAt: now,
    });
  }

  remove(id: string): boolean {
    if (!this.#trails.delete(id)) return false;
    this.#write();
    return true;
  }

  #put(trail: Trail): Trail {
    const before = this.#trails.get(trail.id);
    this.#trails.set(trail.id, trail);
    try {
      this.#write();
    } catch (err) {
      // Not saved: the trail in memory stays as it is on disk.
      if (before) this.#trails.set(trail.id, before);
      else this.#trails.delete(trail.id);
      throw err;
    }
    return trail;
  }

  #write(): void {
    writeAtomic(this.#file, JSON.stringify({ version: 1, trails: this.list() }, null, 2));
  }
}
