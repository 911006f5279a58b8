import type { Box } from '../contract/media.js';
import { fullRect, inputShapeFor, resizeInto, type InputShape } from './detectors/preprocess.js';
import type { RawDetection, RgbImage } from '../contract/detector.js';

/** Most frames in one mosaic. */
export const MOSAIC_CELLS = 4;

/** How a mosaic is laid out: columns × rows of cells of one size (pixels). */
export interface MosaicLayout {
  cols: number;
  rows: number;
  cell: InputShape;
}

/**
 * The layout for `count` frames shaped like `frame`: cells with their long side at half of `longSide` (256×192
 * for 4:3 frames at 512), two or three in a row, four as 2×2. The detector's work grows with the pixels, so a
 * mosaic of two costs half a mosaic of four.
 */
export function mosaicLayout(count: number, frame: InputShape, longSide: number): MosaicLayout {
  if (count < 1 || count > MOSAIC_CELLS) throw new Error(`a mosaic holds 1–${MOSAIC_CELLS} frames`);
  const cell = inputShapeFor(frame, longSide / 2);
  const [cols, rows] = count === 4 ? [2, 2] : frame.width >= frame.height ? [count, 1] : [1, count];
  return { cols, rows, cell };
}

/**
 * Packs frames into one mosaic at the detector's input size, each frame resized into its cell (empty cells stay
 * black), so the detector analyses several cameras in one call. Composed at the input size, the mosaic is small to
 * hand to a detector thread (0.6 MB for four frames at 512×384, not 3.7 MB for four 640×480 frames side by side)
 * and the detector has nothing left to resize.
 */
export function composeMosaic(frames: readonly RgbImage[], layout: MosaicLayout): RgbImage {
  const { cols, rows, cell } = layout;
  if (!frames.length || frames.length > cols * rows)
    throw new Error(`the mosaic holds 1–${cols * rows} frames`);
  const width = cols * cell.width;
  const height = rows * cell.height;
  const data = new Uint8ClampedArray(width * height * 3);
  frames.forEach((f, k) => {
    resizeInto(f, fullRect(f), {
      data,
      width: cell.width,
      height: cell.height,
      x: (k % cols) * cell.width,
      y: Math.floor(k / cols) * cell.height,
      stride: width,
    });
  });
  return { width, height, data: new Uint8Array(data.buffer) };
}

/**
 * Splits detections on a mosaic back into its first `count` cells: a box belongs to the cell holding its centre,
 * is clipped to that cell, and is returned in the coordinates of that cell's frame.
 */
export function splitMosaic(
  detections: readonly RawDetection[],
  layout: Pick<MosaicLayout, 'cols' | 'rows'>,
  count: number,
): RawDetection[][] {
  const { cols, rows } = layout;
  const out: RawDetection[][] = Array.from({ length: count }, () => []);
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  for (const d of detections) {
    const [x1, y1, x2, y2] = d.box;
    const col = Math.min(cols - 1, Math.floor(((x1 + x2) / 2) * cols));
    const row = Math.min(rows - 1, Math.floor(((y1 + y2) / 2) * rows));
    const k = row * cols + col;
    if (k >= count) continue; // an empty (black) cell
    const box: Box = [
      clamp(x1 * cols - col),
      clamp(y1 * rows - row),
      clamp(x2 * cols - col),
      clamp(y2 * rows - row),
    ];
    if (box[2] <= box[0] || box[3] <= box[1]) continue;
    out[k]?.push({ ...d, box });
  }
  return out;
}
