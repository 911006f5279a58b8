import type { EventPathPoint, EventPhase, EventSnapshot, VigilEvent } from '../contract/events.js';

/** Most path points kept per event; longer paths are thinned evenly (first and last points kept). */
export const MAX_PATH_POINTS = 600;

const PHASE_RANK: Record<EventPhase, number> = { start: 0, update: 1, end: 2 };

/** The stored part of an event that merging works on (snapshot bytes live elsewhere). */
export type MergeableEvent = Omit<VigilEvent, 'snapshot'> & {
  snapshot?: Omit<EventSnapshot, 'frameJpeg' | 'cropJpeg'>;
};

function thin(path: EventPathPoint[]): EventPathPoint[] {
  if (path.length <= MAX_PATH_POINTS) return path;
  const out: EventPathPoint[] = [];
  const step = (path.length - 1) / (MAX_PATH_POINTS - 1);
  for (let i = 0; i < MAX_PATH_POINTS; i++) out.push(path[Math.round(i * step)] as EventPathPoint);
  return out;
}

function strictlyOrdered(path: readonly EventPathPoint[]): boolean {
  for (let i = 1; i < path.length; i++)
    if (!((path[i] as EventPathPoint).ts > (path[i - 1] as EventPathPoint).ts)) return false;
  return true;
}

/** Union of two paths by timestamp (a redelivered point is kept once), in time order. */
export function mergePaths(a: readonly EventPathPoint[], b: readonly EventPathPoint[]): EventPathPoint[] {
  // A first message's path is usually in time order already, with no repeated time: nothing to merge.
  if (a.length === 0 && b.length <= MAX_PATH_POINTS && strictlyOrdered(b)) return [...b];
  const byTs = new Map<number, EventPathPoint>();
  for (const p of a) byTs.set(p.ts, p);
  for (const p of b) if (!byTs.has(p.ts)) byTs.set(p.ts, p);
  return thin([...byTs.values()].sort((x, y) => x.ts - y.ts));
}

/**
 * Merges a lifecycle message into the stored event. Order-insensitive, so a redelivered or reordered message
 * gives the same result: earliest start, latest last/end time, best score with its box, union of zones and path,
 * the furthest phase. The snapshot is replaced only by a strictly better-scored one.
 */
export function mergeEvent(stored: MergeableEvent, incoming: MergeableEvent): MergeableEvent {
  const better = incoming.topScore > stored.topScore;
  const newer = incoming.lastTs >= stored.lastTs;
  const endTs =
    stored.endTs === undefined ? incoming.endTs : Math.max(stored.endTs, incoming.endTs ?? stored.endTs);
  const zones = [...stored.zones];
  for (const z of incoming.zones) if (!zones.includes(z)) zones.push(z);
  const snapshot =
    incoming.snapshot && (!stored.snapshot || incoming.snapshot.score > stored.snapshot.score)
      ? incoming.snapshot
      : stored.snapshot;
  const merged: MergeableEvent = {
    id: stored.id,
    cameraId: stored.cameraId,
    label: stored.label,
    phase: PHASE_RANK[incoming.phase] > PHASE_RANK[stored.phase] ? incoming.phase : stored.phase,
    startTs: Math.min(stored.startTs, incoming.startTs),
    lastTs: Math.max(stored.lastTs, incoming.lastTs),
    topScore: Math.max(stored.topScore, incoming.topScore),
    box: better ? incoming.box : stored.box,
    zones,
    path: mergePaths(stored.path, incoming.path),
  };
  if (endTs !== undefined) merged.endTs = endTs;
  const stationary = newer
    ? (incoming.stationary ?? stored.stationary)
    : (stored.stationary ?? incoming.stationary);
  if (stationary !== undefined) merged.stationary = stationary;
  if (snapshot) merged.snapshot = snapshot;
  return merged;
}

/** Whether an incoming snapshot (with bytes) should replace what is stored. */
export function snapshotIsBetter(
  stored: { score: number } | undefined,
  incoming: EventSnapshot | undefined,
): incoming is EventSnapshot {
  return (
    !!incoming &&
    (incoming.cropJpeg !== undefined || incoming.frameJpeg !== undefined) &&
    (!stored || incoming.score > stored.score)
  );
}
