import type { Box } from '../contract/media.js';
import { fullRect, resizeInto, type InputShape } from './detectors/preprocess.js';
import type { RawDetection, RgbImage } from './detectors/types.js';

/** Cells of a mosaic: a 2×2 grid. */
export const MOSAIC_CELLS = 4;
const GRID = 2;

/**
 * Packs up to four frames into one 2×2 mosaic of `size` pixels (empty cells stay black), so the detector analyses
 * four cameras in one call, each frame resized into its quarter. Composed at the detector's input size, the mosaic
 * is small to hand to a detector thread (0.6 MB at 512×384 instead of 3.7 MB for four 640×480 frames side by side)
 * and the detector has nothing left to resize.
 */
export function composeMosaic(frames: readonly RgbImage[], size: InputShape): RgbImage {
  if (!frames.length || frames.length > MOSAIC_CELLS)
    throw new Error(`a mosaic holds 1–${MOSAIC_CELLS} frames`);
  const cellW = Math.floor(size.width / GRID);
  const cellH = Math.floor(size.height / GRID);
  const data = new Uint8ClampedArray(size.width * size.height * 3);
  frames.forEach((f, k) => {
    resizeInto(f, fullRect(f), {
      data,
      width: cellW,
      height: cellH,
      x: (k % GRID) * cellW,
      y: Math.floor(k / GRID) * cellH,
      stride: size.width,
    });
  });
  return { width: size.width, height: size.height, data: new Uint8Array(data.buffer) };
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
