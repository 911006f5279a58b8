import type { EventHistogramResponse } from '../contract/events-api.js';

/**
 * Histogram buckets from (bucket start, label, count) rows: every bucket of the range in order, empty ones
 * included. Shared by every store so their histograms have the same shape.
 */
export function fillBuckets(
  from: number,
  to: number,
  ms: number,
  rows: ReadonlyArray<{ b: number; label: string; n: number }>,
): EventHistogramResponse['buckets'] {
  const byTs = new Map<number, { ts: number; count: number; byLabel: Record<string, number> }>();
  for (let t = Math.floor(from / ms) * ms; t < to; t += ms) byTs.set(t, { ts: t, count: 0, byLabel: {} });
  for (const r of rows) {
    const b = byTs.get(r.b);
    if (!b) continue;
    b.count += r.n;
    b.byLabel[r.label] = (b.byLabel[r.label] ?? 0) + r.n;
  }
  return [...byTs.values()];
}
