import type { DesktopSite, DesktopSiteResponse } from '../../../backend/src/contract/desktop';
import type { EventSearchResponse, EventSummary } from '../../../backend/src/contract/events-api';
import type { CameraStatus } from '../../../backend/src/contract/video-api';
import type { Incident } from '../../../backend/src/contract/index';
import { orderIncidents } from '../alerts/incidents';

/**
 * Camera ids are unique only within a site: the wall of several sites names a tile `<site id>/<camera id>`. Site ids
 * hold no `/`, so the first `/` splits the key.
 */
export function siteCameraKey(siteId: string, cameraId: string): string {
  return `${siteId}/${cameraId}`;
}

export function parseSiteCameraKey(key: string): { siteId: string; cameraId: string } | undefined {
  const i = key.indexOf('/');
  if (i <= 0 || i === key.length - 1) return undefined;
  return { siteId: key.slice(0, i), cameraId: key.slice(i + 1) };
}

/** What one site answered to a fan-out request. */
export type SiteAnswer<T> =
  | { site: Pick<DesktopSite, 'id' | 'name'>; ok: true; data: T }
  | { site: Pick<DesktopSite, 'id' | 'name'>; ok: false; error: string };

/** Reads a relayed answer: the data on 2xx, otherwise why the site did not give it. */
export function answerOf<T>(site: Pick<DesktopSite, 'id' | 'name'>, r: DesktopSiteResponse): SiteAnswer<T> {
  if (r.status >= 200 && r.status < 300) return { site, ok: true, data: r.json as T };
  if (r.status === 0) return { site, ok: false, error: r.error ?? 'did not answer' };
  const message = (r.json as { message?: unknown } | undefined)?.message;
  return { site, ok: false, error: `HTTP ${r.status}${typeof message === 'string' ? `: ${message}` : ''}` };
}

export type SiteEvent = EventSummary & { siteId: string; siteName: string; key: string };

export interface MergedSearch {
  /** Newest first across all sites. */
  items: SiteEvent[];
  /** Each site that answered, with its own total (what matches there, not just what was returned). */
  totals: Array<{ siteId: string; siteName: string; total: number; returned: number }>;
  /** Sites that did not answer, named, with the reason. */
  failed: Array<{ siteId: string; siteName: string; error: string }>;
  /** Sum of the totals of the sites that answered. */
  total: number;
}

/** Merges the answers of a search fanned out to every site. */
export function mergeSearch(
  answers: ReadonlyArray<SiteAnswer<EventSearchResponse>>,
  limit = 200,
): MergedSearch {
  const items: SiteEvent[] = [];
  const totals: MergedSearch['totals'] = [];
  const failed: MergedSearch['failed'] = [];
  for (const a of answers) {
    if (!a.ok) {
      failed.push({ siteId: a.site.id, siteName: a.site.name, error: a.error });
      continue;
    }
    const got = Array.isArray(a.data?.items) ? a.data.items : [];
    totals.push({
      siteId: a.site.id,
      siteName: a.site.name,
      total: typeof a.data.total === 'number' ? a.data.total : got.length,
      returned: got.length,
    });
    for (const e of got)
      items.push({ ...e, siteId: a.site.id, siteName: a.site.name, key: siteCameraKey(a.site.id, e.id) });
  }
  items.sort((x, y) => y.startTs - x.startTs || x.key.localeCompare(y.key));
  return { items: items.slice(0, limit), totals, failed, total: totals.reduce((n, t) => n + t.total, 0) };
}

export type SiteIncident = Incident & { siteId: string; siteName: string; key: string };

export interface MergedIncidents {
  /** Open incidents of every site, in the order a guard handles them (as on a site's own desk). */
  items: SiteIncident[];
  /** Sites whose incidents could not be read, named, with the reason. */
  failed: Array<{ siteId: string; siteName: string; error: string }>;
}

/**
 * The incidents of every site on one desk, each named with its site: new before acknowledged, escalated first, then
 * by severity, then newest (orderIncidents, the order of a site's own desk); resolved ones are left out.
 */
export function mergeIncidents(answers: ReadonlyArray<SiteAnswer<Incident[]>>): MergedIncidents {
  const all: SiteIncident[] = [];
  const failed: MergedIncidents['failed'] = [];
  for (const a of answers) {
    if (!a.ok) {
      failed.push({ siteId: a.site.id, siteName: a.site.name, error: a.error });
      continue;
    }
    if (!Array.isArray(a.data)) continue;
    for (const i of a.data)
      all.push({ ...i, siteId: a.site.id, siteName: a.site.name, key: siteCameraKey(a.site.id, i.id) });
  }
  all.sort((x, y) => x.key.localeCompare(y.key));
  return { items: orderIncidents(all), failed };
}

/** One tile of the mixed wall. */
export interface SiteTile {
  key: string;
  siteId: string;
  siteName: string;
  cameraId: string;
  /** The camera's name when its site answered; the id otherwise. */
  name: string;
  /** `offline`: the site does not answer right now (the tile stays where it is). */
  state: CameraStatus['state'] | 'offline' | 'missing';
  reason?: string;
}

/**
 * The tiles of a wall layout (a list of site camera keys) from what each site answered. A tile whose site is
 * offline keeps its place and says so; a camera its site no longer lists says that; nothing moves.
 */
export function wallTiles(
  layout: readonly string[],
  sites: readonly Pick<DesktopSite, 'id' | 'name' | 'state' | 'detail'>[],
  cameras: ReadonlyMap<string, readonly CameraStatus[]>,
  known: ReadonlyMap<string, string> = new Map(),
): SiteTile[] {
  const tiles: SiteTile[] = [];
  for (const key of layout) {
    const k = parseSiteCameraKey(key);
    if (!k) continue;
    const site = sites.find((s) => s.id === k.siteId);
    const siteName = site?.name ?? k.siteId;
    const base = { key, siteId: k.siteId, siteName, cameraId: k.cameraId };
    const list = cameras.get(k.siteId);
    if (!site || site.state !== 'online' || !list) {
      tiles.push({
        ...base,
        name: known.get(key) ?? k.cameraId,
        state: 'offline',
        reason: `${siteName} is offline${site?.detail ? `: ${site.detail}` : ''}`,
      });
      continue;
    }
    const cam = list.find((c) => c.id === k.cameraId);
    if (!cam) {
      tiles.push({
        ...base,
        name: known.get(key) ?? k.cameraId,
        state: 'missing',
        reason: `${siteName} no longer has this camera`,
      });
      continue;
    }
    tiles.push({ ...base, name: cam.name, state: cam.state, ...(cam.reason ? { reason: cam.reason } : {}) });
  }
  return tiles;
}

/** A first layout when none was chosen: the first camera of each site, then the second of each, … up to `max`. */
export function defaultLayout(cameras: ReadonlyMap<string, readonly CameraStatus[]>, max = 9): string[] {
  const out: string[] = [];
  const lists = [...cameras.entries()];
  for (let i = 0; out.length < max && lists.some(([, l]) => i < l.length); i++) {
    for (const [siteId, list] of lists) {
      const cam = list[i];
      if (cam && out.length < max) out.push(siteCameraKey(siteId, cam.id));
    }
  }
  return out;
}

/**
 * Keeps a layout in step with the site list: a site just added gets its cameras on the wall (after the tiles already
 * there, up to `max`), a site removed from the list leaves it. A site that is merely offline keeps its tiles.
 */
export function syncLayout(
  layout: readonly string[],
  siteIds: readonly string[],
  cameras: ReadonlyMap<string, readonly CameraStatus[]>,
  max = 9,
): string[] {
  const next = layout.filter((k) => siteIds.includes(parseSiteCameraKey(k)?.siteId ?? ''));
  for (const [siteId, list] of cameras) {
    if (!siteIds.includes(siteId) || next.some((k) => parseSiteCameraKey(k)?.siteId === siteId)) continue;
    for (const c of list) if (next.length < max) next.push(siteCameraKey(siteId, c.id));
  }
  return next;
}
