import type { Box } from '../contract/media.js';

/** Intersection over union of two boxes (x1, y1, x2, y2). */
export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  if (inter <= 0) return 0;
  const ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return ua > 0 ? inter / ua : 0;
}

/**
 * Greedy non-maximum suppression per label: keeps the best box and drops same-label boxes overlapping it by more
 * than `iouThreshold`. A few hundred candidates at most, so plain JS beats a round trip through a backend kernel.
 */
export function nonMaxSuppression<T extends { label: string; score: number; box: Box }>(
  items: readonly T[],
  iouThreshold: number,
): T[] {
  const sorted = [...items].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const item of sorted) {
    if (!kept.some((k) => k.label === item.label && iou(k.box, item.box) > iouThreshold)) kept.push(item);
  }
  return kept;
}
