import type { Box } from '../contract/media.js';
import type { NormPoint } from '../contract/detect-api.js';
import type { RgbImage } from '../contract/detector.js';
import { rasterisePolygons } from './geometry.js';

export interface MotionOptions {
  /** Width of the grayscale working image. */
  width: number;
  /** Grey-level difference from the background that counts as moving. */
  pixelThreshold: number;
  /** Smallest moving region, as a share of the frame. */
  minAreaShare: number;
  /** Share of each new frame blended into the background. */
  backgroundAlpha: number;
}

export interface MotionResult {
  /** Some region moved enough to count. */
  motion: boolean;
  /** Moving regions in normalised coordinates, largest first. */
  regions: Box[];
  /** Share of (unmasked) pixels that differ from the background. */
  movingShare: number;
}

/** Cell size (working-image pixels) of the grid moving pixels are grouped on into regions. */
const CELL = 4;

/**
 * Cheap motion detection for one camera: downscaled grayscale, a running-average background, the absolute
 * difference against it, masks (polygons where motion is ignored), then moving cells grouped into regions.
 * A few hundred microseconds per frame at the default 160-pixel width.
 */
export class MotionDetector {
  #bg: Float32Array | undefined;
  #gray: Float32Array | undefined;
  #w = 0;
  #h = 0;
  #mask: Uint8Array | undefined;
  #masks: readonly (readonly NormPoint[])[] = [];

  constructor(private readonly options: MotionOptions) {}

  /** Polygons (normalised) where motion is ignored. */
  setMasks(masks: readonly (readonly NormPoint[])[]): void {
    this.#masks = masks;
    this.#mask = undefined;
  }

  /** Forgets the background (e.g. after the stream restarted). */
  reset(): void {
    this.#bg = undefined;
  }

  update(image: RgbImage): MotionResult {
    const w = Math.min(this.options.width, image.width);
    const h = Math.max(1, Math.round((image.height * w) / image.width));
    if (w !== this.#w || h !== this.#h) {
      this.#w = w;
      this.#h = h;
      this.#bg = undefined;
      this.#mask = undefined;
      this.#gray = new Float32Array(w * h);
    }
    const gray = this.#gray as Float32Array;
    toGray(image, w, h, gray);
    if (!this.#mask && this.#masks.length) this.#mask = rasterisePolygons(this.#masks, w, h);
    const mask = this.#mask;
    const bg = this.#bg;
    if (!bg) {
      // No reference yet: the first frame counts as motion so objects already in view are found.
      this.#bg = Float32Array.from(gray);
      return { motion: true, regions: [[0, 0, 1, 1]], movingShare: 1 };
    }
    const cw = Math.ceil(w / CELL);
    const ch = Math.ceil(h / CELL);
    const cells = new Uint16Array(cw * ch);
    const threshold = this.options.pixelThreshold;
    const alpha = this.options.backgroundAlpha;
    let moving = 0;
    let counted = 0;
    for (let y = 0; y < h; y++) {
      const crow = ((y / CELL) | 0) * cw;
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        const g = gray[i] as number;
        const b = bg[i] as number;
        bg[i] = b + (g - b) * alpha;
        if (mask && mask[i]) continue;
        counted++;
        if (Math.abs(g - b) > threshold) {
          moving++;
          const ci = crow + ((x / CELL) | 0);
          cells[ci] = (cells[ci] as number) + 1;
        }
      }
    }
    const movingShare = counted ? moving / counted : 0;
    // A cell moves when a quarter of its pixels do: single noisy pixels (compression, sensor noise) do not count.
    const cellMin = (CELL * CELL) / 4;
    const regions = groupCells(cells, cw, ch, cellMin)
      .map((r): Box => [
        (r[0] * CELL) / w,
        (r[1] * CELL) / h,
        Math.min(1, (r[2] * CELL) / w),
        Math.min(1, (r[3] * CELL) / h),
      ])
      .filter((b) => b[2] - b[0] > 0 && b[3] - b[1] > 0);
    const minArea = this.options.minAreaShare;
    const significant = regions
      .map((b) => ({ b, movingArea: movingAreaIn(b, cells, cw, ch, cellMin) }))
      .filter((r) => r.movingArea >= minArea)
      .sort((a, b) => b.movingArea - a.movingArea)
      .map((r) => r.b);
    return { motion: significant.length > 0, regions: significant, movingShare };
  }
}

/** Averages RGB pixels into a w×h grayscale image (box filter over each target pixel's source block). */
function toGray(image: RgbImage, w: number, h: number, out: Float32Array): void {
  const { width: iw, height: ih, data } = image;
  const sx = iw / w;
  const sy = ih / h;
  // Sample a 2×2 grid inside each block: smooths noise at a quarter of the cost of a full box filter.
  const xs0 = new Int32Array(w);
  const xs1 = new Int32Array(w);
  for (let x = 0; x < w; x++) {
    xs0[x] = Math.min(iw - 1, Math.floor((x + 0.25) * sx)) * 3;
    xs1[x] = Math.min(iw - 1, Math.floor((x + 0.75) * sx)) * 3;
  }
  const luma = (p: number) =>
    0.299 * (data[p] as number) + 0.587 * (data[p + 1] as number) + 0.114 * (data[p + 2] as number);
  for (let y = 0; y < h; y++) {
    const r0 = Math.min(ih - 1, Math.floor((y + 0.25) * sy)) * iw * 3;
    const r1 = Math.min(ih - 1, Math.floor((y + 0.75) * sy)) * iw * 3;
    for (let x = 0; x < w; x++) {
      const a = xs0[x] as number;
      const b = xs1[x] as number;
      out[y * w + x] = (luma(r0 + a) + luma(r0 + b) + luma(r1 + a) + luma(r1 + b)) / 4;
    }
  }
}

/** Connected components (8-neighbour, one cell of slack) of active cells; boxes in cell units, x2/y2 exclusive. */
function groupCells(
  cells: Uint16Array,
  cw: number,
  ch: number,
  min: number,
): Array<[number, number, number, number]> {
  const seen = new Uint8Array(cw * ch);
  const out: Array<[number, number, number, number]> = [];
  const stack: number[] = [];
  for (let start = 0; start < cells.length; start++) {
    if (seen[start] || (cells[start] as number) < min) continue;
    seen[start] = 1;
    stack.push(start);
    let x1 = cw;
    let y1 = ch;
    let x2 = 0;
    let y2 = 0;
    while (stack.length) {
      const c = stack.pop() as number;
      const cx = c % cw;
      const cy = (c / cw) | 0;
      x1 = Math.min(x1, cx);
      y1 = Math.min(y1, cy);
      x2 = Math.max(x2, cx + 1);
      y2 = Math.max(y2, cy + 1);
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++) {
          const nx = cx + dx;
          const ny = cy + dy;
          if (nx < 0 || ny < 0 || nx >= cw || ny >= ch) continue;
          const n = ny * cw + nx;
          if (!seen[n] && (cells[n] as number) >= min) {
            seen[n] = 1;
            stack.push(n);
          }
        }
      }
    }
    out.push([x1, y1, x2, y2]);
  }
  return out;
}

/** Share of the frame covered by active cells inside a region. */
function movingAreaIn(b: Box, cells: Uint16Array, cw: number, ch: number, min: number): number {
  let n = 0;
  const x1 = Math.floor(b[0] * cw);
  const x2 = Math.ceil(b[2] * cw);
  const y1 = Math.floor(b[1] * ch);
  const y2 = Math.ceil(b[3] * ch);
  for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) if ((cells[y * cw + x] as number) >= min) n++;
  return n / (cw * ch);
}

/**
 * A square-ish crop (pixels) around the motion regions, padded, at least `minSide` pixels, inside the image. The
 * detector then sees small distant people at a larger scale.
 */
export function cropAround(
  regions: readonly Box[],
  image: { width: number; height: number },
  minShare = 0.5,
): { x: number; y: number; width: number; height: number } {
  const { width: W, height: H } = image;
  let x1 = 1;
  let y1 = 1;
  let x2 = 0;
  let y2 = 0;
  for (const r of regions) {
    x1 = Math.min(x1, r[0]);
    y1 = Math.min(y1, r[1]);
    x2 = Math.max(x2, r[2]);
    y2 = Math.max(y2, r[3]);
  }
  if (x2 <= x1 || y2 <= y1) return { x: 0, y: 0, width: W, height: H };
  const pad = 0.1;
  const side = Math.max((x2 - x1 + 2 * pad) * W, (y2 - y1 + 2 * pad) * H, minShare * Math.min(W, H));
  // Motion spread wider than a square crop can hold: the whole frame is the better input.
  if (side >= Math.min(W, H) * 0.95) return { x: 0, y: 0, width: W, height: H };
  const cx = ((x1 + x2) / 2) * W;
  const cy = ((y1 + y2) / 2) * H;
  const x = Math.round(Math.min(Math.max(cx - side / 2, 0), W - side));
  const y = Math.round(Math.min(Math.max(cy - side / 2, 0), H - side));
  return { x, y, width: Math.round(side), height: Math.round(side) };
}
