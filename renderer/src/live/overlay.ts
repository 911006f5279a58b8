import type { FrameDetections } from '../../../backend/src/contract';

export interface MatchOptions {
  /**
   * How much older than the displayed frame an analysed frame may be for its boxes to be drawn (ms): one analysis
   * interval (200 ms at 5 fps) and a video frame of tolerance. Older boxes are stale and cleared.
   */
  holdMs: number;
  /** Boxes from frames this much newer than the displayed frame are drawn with it (timing jitter, ms). */
  earlyMs: number;
}

export const DEFAULT_MATCH: Readonly<MatchOptions> = { holdMs: 240, earlyMs: 60 };

/** A fresh, adjustable copy of the default matching options (one per tile). */
export function matchOptions(): MatchOptions {
  return { ...DEFAULT_MATCH };
}

/** How long detections are kept after the newest one (ms): longer than any hold-back of the picture. */
const KEEP_MS = 10_000;

/**
 * Detections of one camera waiting to be drawn, ordered by frame time. The video plays behind the analysis
 * (buffering, and held back so that boxes arrive before their frame), so boxes are kept until the displayed frame
 * catches up with them, then drawn with that frame. Several tiles (and windows) may show the same camera at slightly
 * different moments: matching does not consume anything; old frames are dropped by age.
 */
export class DetectionBuffer {
  #frames: FrameDetections[] = [];

  constructor(private readonly maxFrames = 300) {}

  push(frame: FrameDetections): void {
    const f = this.#frames;
    let i = f.length;
    while (i > 0 && (f[i - 1]?.ts ?? 0) > frame.ts) i--;
    if (f[i - 1]?.ts === frame.ts) f[i - 1] = frame;
    else f.splice(i, 0, frame);
    const newest = f[f.length - 1]?.ts ?? frame.ts;
    let drop = Math.max(0, f.length - this.maxFrames);
    while (drop < f.length && (f[drop]?.ts ?? 0) < newest - KEEP_MS) drop++;
    if (drop > 0) f.splice(0, drop);
  }

  get size(): number {
    return this.#frames.length;
  }

  /**
   * The detections that belong to the frame displayed at `wallMs`: the latest analysed frame not after it (within
   * `earlyMs`), if not older than `holdMs`. Undefined means: draw nothing (no boxes for this frame, or stale ones).
   */
  match(wallMs: number, options: MatchOptions = DEFAULT_MATCH): FrameDetections | undefined {
    const f = this.#frames;
    const limit = wallMs + options.earlyMs;
    // Binary search: the last frame with ts <= limit.
    let lo = 0;
    let hi = f.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((f[mid]?.ts ?? Infinity) <= limit) lo = mid + 1;
      else hi = mid;
    }
    const hit = f[lo - 1];
    if (!hit || wallMs - hit.ts > options.holdMs) return undefined;
    return hit;
  }

  clear(): void {
    this.#frames = [];
  }
}

/** Where the video picture lies inside its element (object-fit: contain). */
export function contentRect(
  boxW: number,
  boxH: number,
  videoW: number,
  videoH: number,
): { x: number; y: number; w: number; h: number } {
  if (!videoW || !videoH) return { x: 0, y: 0, w: boxW, h: boxH };
  const scale = Math.min(boxW / videoW, boxH / videoH);
  const w = videoW * scale;
  const h = videoH * scale;
  return { x: (boxW - w) / 2, y: (boxH - h) / 2, w, h };
}

const LABEL_COLORS: Record<string, string> = {
  person: '#ff5d5d',
  car: '#4aa3ff',
  truck: '#4aa3ff',
  bicycle: '#ffd23f',
  dog: '#b983ff',
};

export function labelColor(label: string): string {
  return LABEL_COLORS[label] ?? '#3fe08a';
}

/** Draws boxes with label and score on a canvas covering the tile. */
export function drawDetections(
  ctx: CanvasRenderingContext2D,
  frame: FrameDetections,
  rect: { x: number; y: number; w: number; h: number },
  scale: number,
): void {
  const fontPx = Math.min(20, Math.max(11, Math.round(11 * scale)));
  ctx.font = `600 ${fontPx}px system-ui, sans-serif`;
  ctx.lineWidth = Math.min(4, Math.max(2, 1.5 * scale));
  for (const d of frame.detections) {
    const [x1, y1, x2, y2] = d.box;
    const x = rect.x + x1 * rect.w;
    const y = rect.y + y1 * rect.h;
    const w = (x2 - x1) * rect.w;
    const h = (y2 - y1) * rect.h;
    const color = labelColor(d.label);
    ctx.strokeStyle = color;
    ctx.strokeRect(x, y, w, h);
    const text = `${d.label} ${Math.round(d.score * 100)}%`;
    const tw = ctx.measureText(text).width + 8;
    const th = fontPx + 6;
    const ty = y - th >= rect.y ? y - th : y;
    ctx.fillStyle = color;
    ctx.fillRect(x, ty, tw, th);
    ctx.fillStyle = '#000';
    ctx.fillText(text, x + 4, ty + fontPx);
  }
}

/** Draws zone outlines (normalised polygons). */
export function drawZones(
  ctx: CanvasRenderingContext2D,
  zones: Array<{ name: string; points: Array<[number, number]>; color?: string }>,
  rect: { x: number; y: number; w: number; h: number },
): void {
  ctx.setLineDash([6, 4]);
  ctx.lineWidth = 2;
  ctx.font = '600 12px system-ui, sans-serif';
  for (const z of zones) {
    if (z.points.length < 2) continue;
    ctx.strokeStyle = z.color ?? '#f0c000';
    ctx.beginPath();
    z.points.forEach(([px, py], i) => {
      const x = rect.x + px * rect.w;
      const y = rect.y + py * rect.h;
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.closePath();
    ctx.stroke();
    const [fx, fy] = z.points[0] ?? [0, 0];
    ctx.fillStyle = z.color ?? '#f0c000';
    ctx.fillText(z.name, rect.x + fx * rect.w + 4, rect.y + fy * rect.h + 14);
  }
  ctx.setLineDash([]);
}
