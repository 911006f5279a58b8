import type { Box } from '../contract/media.js';
import type { RawDetection, RgbImage } from './detectors/types.js';

/** Cells of a mosaic: a 2×2 grid. */
export const MOSAIC_CELLS = 4;
const GRID = 2;

/**
 * Packs up to four frames of the same size into one 2×2 mosaic (empty cells stay black), so the detector analyses
 * four cameras in one call, each at half resolution. Row copies only: about a millisecond for four 640×480 frames.
 */
export function composeMosaic(frames: readonly RgbImage[]): RgbImage {
  const first = frames[0];
  if (!first || frames.length > MOSAIC_CELLS) throw new Error(`a mosaic holds 1–${MOSAIC_CELLS} frames`);
  const { width: w, height: h } = first;
  const W = w * GRID;
  const data = new Uint8Array(W * h * GRID * 3);
  frames.forEach((f, k) => {
    if (f.width !== w || f.height !== h) throw new Error('mosaic frames must have the same size');
    const ox = (k % GRID) * w;
    const oy = Math.floor(k / GRID) * h;
    const row = w * 3;
    for (let y = 0; y < h; y++) data.set(f.data.subarray(y * row, (y + 1) * row), ((oy + y) * W + ox) * 3);
  });
  return { width: W, height: h * GRID, data };
}

/**
 * Splits detections on a mosaic back into its cells: a box belongs to the cell holding its centre, is clipped to
 * that cell, and is returned in the coordinates of that cell's frame.
 */
export function splitMosaic(detections: readonly RawDetection[], cells: number): RawDetection[][] {
  const out: RawDetection[][] = Array.from({ length: cells }, () => []);
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  for (const d of detections) {
    const [x1, y1, x2, y2] = d.box;
    const col = Math.min(GRID - 1, Math.floor(((x1 + x2) / 2) * GRID));
    const row = Math.min(GRID - 1, Math.floor(((y1 + y2) / 2) * GRID));
    const k = row * GRID + col;
    if (k >= cells) continue; // an empty (black) cell
    const box: Box = [
      clamp(x1 * GRID - col),
      clamp(y1 * GRID - row),
      clamp(x2 * GRID - col),
      clamp(y2 * GRID - row),
    ];
    if (box[2] <= box[0] || box[3] <= box[1]) continue;
    out[k]?.push({ ...d, box });
  }
  return out;
}
