/** The event search filter and its query string (GET /api/events and its facets/histogram siblings). */
import { MAX_CLIP_MS } from '../../../backend/src/contract/video-api';
import type { Box } from '../../../backend/src/contract/media';

export type RangePreset = '5m' | '1h' | '24h' | '7d' | 'custom';

export const PRESETS: ReadonlyArray<{ id: RangePreset; label: string; ms: number }> = [
  { id: '5m', label: 'Last 5 min', ms: 5 * 60_000 },
  { id: '1h', label: 'Last hour', ms: 3_600_000 },
  { id: '24h', label: 'Last 24 h', ms: 86_400_000 },
  { id: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
];

export interface EventFilter {
  preset: RangePreset;
  /** Custom range, ms since the epoch (preset 'custom'). */
  from?: number;
  to?: number;
  cameras: string[];
  labels: string[];
  zones: string[];
  /** 0..1 */
  minScore?: number;
  q: string;
  sort: 'newest' | 'oldest';
}

export const DEFAULT_FILTER: EventFilter = {
  preset: '1h',
  cameras: [],
  labels: [],
  zones: [],
  q: '',
  sort: 'newest',
};

/** The time range a filter means now. A custom range with its ends swapped is put the right way round. */
export function resolveRange(filter: EventFilter, now: number): { from: number; to: number } {
  if (filter.preset === 'custom') {
    const from = filter.from ?? now - 3_600_000;
    const to = filter.to ?? now;
    return from <= to ? { from, to } : { from: to, to: from };
  }
  const preset = PRESETS.find((p) => p.id === filter.preset) ?? PRESETS[1];
  return { from: now - (preset?.ms ?? 3_600_000), to: now };
}

/** Query string for the events API; empty criteria are left out. */
export function filterToQuery(
  filter: EventFilter,
  now: number,
  page: { limit?: number; cursor?: string } = {},
): string {
  const { from, to } = resolveRange(filter, now);
  const p = new URLSearchParams();
  p.set('from', String(Math.round(from)));
  p.set('to', String(Math.round(to)));
  const list = (key: string, values: string[]) => {
    const clean = values.map((v) => v.trim()).filter(Boolean);
    if (clean.length) p.set(key, clean.join(','));
  };
  list('cameras', filter.cameras);
  list('labels', filter.labels);
  list('zones', filter.zones);
  if (filter.minScore !== undefined && filter.minScore > 0)
    p.set('minScore', String(Math.min(1, filter.minScore)));
  if (filter.q.trim()) p.set('q', filter.q.trim());
  p.set('sort', filter.sort);
  if (page.limit) p.set('limit', String(page.limit));
  if (page.cursor) p.set('cursor', page.cursor);
  return p.toString();
}

/** The footage to play for an event: a few seconds before and after. */
export function clipRange(
  event: { startTs: number; lastTs?: number; endTs?: number },
  padMs = 3000,
): { from: number; to: number } {
  const end = event.endTs ?? event.lastTs ?? event.startTs;
  const from = Math.round(event.startTs - padMs);
  // The clip route refuses ranges past its cap: a very long event plays its first MAX_CLIP_MS.
  return { from, to: Math.min(Math.round(end + padMs), from + MAX_CLIP_MS) };
}

/** Value for <input type="datetime-local"> in local time. */
export function toLocalInput(ts: number): string {
  const d = new Date(ts);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * The box to draw on an event's snapshot: the one stored with the snapshot (the box of the frame it was taken
 * from); for events stored before snapshots kept their box, the path point nearest the snapshot's time. The
 * event's own `box` follows its top score and can come from another second of a moving person.
 */
export function snapshotBox(ev: {
  box?: Box;
  snapshot?: { ts: number; box?: Box };
  path?: ReadonlyArray<{ ts: number; box: Box }>;
}): Box | undefined {
  if (ev.snapshot?.box) return ev.snapshot.box;
  const ts = ev.snapshot?.ts;
  if (ts !== undefined && ev.path?.length) {
    let best = ev.path[0];
    for (const p of ev.path) if (best && Math.abs(p.ts - ts) < Math.abs(best.ts - ts)) best = p;
    if (best) return best.box;
  }
  return ev.box;
}

/** The results header's count: the store's total for the whole search, never the number of cards loaded. */
export function resultCount(
  page: { total?: number; totalRelation?: 'eq' | 'gte' } | undefined,
  loaded: number,
): string {
  if (page?.total === undefined) return loaded ? `${loaded}+ events` : '… events';
  const n = page.total.toLocaleString('en-US');
  if (page.totalRelation === 'gte') return `more than ${n} events`;
  return page.total === 1 ? '1 event' : `${n} events`;
}
