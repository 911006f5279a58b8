/**
 * Synced multi-camera playback, the parts without a DOM: which clip a tile plays for an instant, the mapping
 * between a clip's media time and the wall clock, the drift correction that keeps tiles on one instant, the
 * timeline's zoom levels and scale, and the playback URL.
 */
import { path, Routes } from '../lib/api-client';

/** Most cameras one playback view shows. */
export const MAX_PLAYBACK_CAMERAS = 16;
/** Playback speeds offered, slowest first. */
export const SPEEDS = [0.25, 0.5, 1, 2, 4, 8, 16] as const;
/** Timeline spans, from minutes to days. */
export const ZOOM_SPANS_MS = [
  2 * 60_000,
  5 * 60_000,
  15 * 60_000,
  3_600_000,
  6 * 3_600_000,
  24 * 3_600_000,
  3 * 86_400_000,
  7 * 86_400_000,
] as const;
/**
 * Longest clip a tile asks for at once. Clips arrive as a stream (fragmented MP4, no byte ranges), so a tile can
 * only seek inside what has arrived: short windows start playing at once, and the next one is asked for at the end.
 */
export const CLIP_WINDOW_MS = 5 * 60_000;
/** How far before the instant a window starts (whole segments), so a short step back stays in the same clip. */
export const CLIP_LEAD_MS = 20_000;
/** Recorded segments closer than this play as one continuous clip (as the exporter joins them). */
export const CONTIGUOUS_MS = 1500;

/** A recorded span of a camera, wall-clock ms. */
export interface Span {
  start: number;
  end: number;
}

/**
 * One clip a tile plays: the camera's clip (`Routes.video.clip`) from `from` to `to`, starting exactly at a segment's start (so no key frame
 * before it is pulled in and media time 0 is `from`), with the media time each segment starts at in the clip.
 */
export interface ClipWindow {
  cameraId: string;
  from: number;
  to: number;
  parts: Array<{ start: number; end: number; media: number }>;
}

/** The clip to play for instant `t`: the contiguous run of segments around it, or undefined in a gap. */
export function clipWindow(
  cameraId: string,
  segments: readonly Span[],
  t: number,
  maxMs = CLIP_WINDOW_MS,
  leadMs = CLIP_LEAD_MS,
): ClipWindow | undefined {
  const sorted = [...segments].sort((a, b) => a.start - b.start);
  const at = sorted.findIndex((s) => s.start <= t && t < s.end);
  if (at < 0) return undefined;
  // Back to the first segment of the run that starts at or after t - lead.
  let first = at;
  while (first > 0) {
    const prev = sorted[first - 1] as Span;
    const cur = sorted[first] as Span;
    if (cur.start - prev.end > CONTIGUOUS_MS || prev.start < t - leadMs) break;
    first--;
  }
  const parts: ClipWindow['parts'] = [];
  let media = 0;
  for (let i = first; i < sorted.length; i++) {
    const s = sorted[i] as Span;
    const last = parts.at(-1);
    if (last && s.start - last.end > CONTIGUOUS_MS) break;
    if (last && s.start - (parts[0] as Span).start >= maxMs) break;
    parts.push({ start: s.start, end: s.end, media });
    media += (s.end - s.start) / 1000;
  }
  const firstPart = parts[0] as Span;
  return { cameraId, from: firstPart.start, to: (parts.at(-1) as Span).end, parts };
}

/** The clip URL of a window: a whole file in byte ranges, since a browser cannot seek in a streamed clip. */
export function clipUrl(w: ClipWindow): string {
  return path(Routes.video.clip, { file: `${w.cameraId}.mp4` }, { from: w.from, to: w.to, seekable: 1 });
}

/** Media time (s) in the window's clip that shows instant `t`; undefined outside the window. */
export function mediaTimeAt(w: ClipWindow, t: number): number | undefined {
  if (t < w.from || t >= w.to) return undefined;
  let part = w.parts[0];
  for (const p of w.parts) if (p.start <= t) part = p;
  if (!part) return undefined;
  // Between two segments of a run (a break under CONTIGUOUS_MS): the clip goes straight on to the next one.
  return part.media + Math.min(t - part.start, part.end - part.start) / 1000;
}

/** The instant (wall ms) a media time of the window's clip shows. */
export function wallTimeAt(w: ClipWindow, media: number): number {
  let part = w.parts[0];
  for (const p of w.parts) if (p.media <= media) part = p;
  if (!part) return w.from;
  return part.start + (media - part.media) * 1000;
}

/** What a tile does to follow the shared clock: a playback rate, and a seek when it is too far off. */
export interface Correction {
  rate: number;
  seekTo?: number;
}

/**
 * Keeps a playing tile on the shared clock. A small error is absorbed by playing slightly faster or slower (a
 * seek would stall the picture for a decode from the key frame); a large one (after a stall or a jump) is a seek.
 * `error` = tile's media time − wanted media time, in seconds.
 */
export function correction(speed: number, error: number, wanted: number): Correction {
  const seekBeyond = Math.max(0.75, 0.25 * speed);
  if (Math.abs(error) > seekBeyond) return { rate: speed, seekTo: wanted };
  // Converge in about half a second of playing, never faster than a fifth of the speed: no visible jolt.
  const nudge = Math.max(-0.2 * speed, Math.min(0.2 * speed, -error * 2));
  return { rate: Math.max(0.0625, Math.min(16, speed + nudge)) };
}

/** Largest difference between instants shown by the tiles, in ms (0 for fewer than two tiles). */
export function spreadMs(instants: readonly number[]): number {
  if (instants.length < 2) return 0;
  return Math.max(...instants) - Math.min(...instants);
}

/** The next zoom level in or out. */
export function zoom(spanMs: number, direction: 'in' | 'out'): number {
  const i = ZOOM_SPANS_MS.findIndex((s) => s >= spanMs);
  const at = i < 0 ? ZOOM_SPANS_MS.length - 1 : i;
  const next = direction === 'in' ? Math.max(0, at - 1) : Math.min(ZOOM_SPANS_MS.length - 1, at + 1);
  return ZOOM_SPANS_MS[next] as number;
}

/** The view of a timeline: the range on screen. */
export interface TimelineView {
  from: number;
  to: number;
}

/** The view of `spanMs` that shows `t`, kept where it is while `t` stays in its middle 80 %. */
export function follow(view: TimelineView, t: number, spanMs: number): TimelineView {
  const span = view.to - view.from;
  if (span === spanMs && t >= view.from + 0.1 * span && t <= view.to - 0.1 * span) return view;
  return { from: Math.round(t - spanMs / 2), to: Math.round(t + spanMs / 2) };
}

/** Instant under x (px) of a timeline `width` px wide. */
export function timeAtX(view: TimelineView, x: number, width: number): number {
  const f = Math.max(0, Math.min(1, x / Math.max(1, width)));
  return Math.round(view.from + f * (view.to - view.from));
}

/** Position (fraction 0..1, clamped) of an instant on the timeline. */
export function fractionOf(view: TimelineView, t: number): number {
  return Math.max(0, Math.min(1, (t - view.from) / Math.max(1, view.to - view.from)));
}

/** Tick marks for a view: a round step giving about `count` ticks. */
export function ticks(view: TimelineView, count = 8): number[] {
  const steps = [
    1000,
    5000,
    10_000,
    30_000,
    60_000,
    5 * 60_000,
    10 * 60_000,
    30 * 60_000,
    3_600_000,
    3 * 3_600_000,
    6 * 3_600_000,
    12 * 3_600_000,
    86_400_000,
  ];
  const span = view.to - view.from;
  const step = steps.find((s) => span / s <= count) ?? 86_400_000;
  const out: number[] = [];
  // Local time: round to the step in the viewer's zone (hours and days start where the viewer expects).
  const offset = new Date(view.from).getTimezoneOffset() * 60_000;
  for (let t = Math.ceil((view.from - offset) / step) * step + offset; t < view.to; t += step) out.push(t);
  return out;
}

/** The playback route: cameras and the instant to open at. */
export function playbackHash(cameraIds: readonly string[], t: number): string {
  const cams = cameraIds.slice(0, MAX_PLAYBACK_CAMERAS).map(encodeURIComponent).join(',');
  return `#/playback?cameras=${cams}&t=${Math.round(t)}`;
}

/** Cameras and instant of a playback route (the last 5 minutes when it names no instant). */
export function parsePlayback(params: URLSearchParams, now: number): { cameraIds: string[]; t: number } {
  const cameraIds = (params.get('cameras') ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean)
    .slice(0, MAX_PLAYBACK_CAMERAS);
  const t = Number(params.get('t'));
  return { cameraIds, t: Number.isFinite(t) && t > 0 ? Math.min(t, now) : now - 5 * 60_000 };
}

/** Frame rates cameras are set to. */
const NOMINAL_FPS = [5, 6, 7.5, 10, 12, 12.5, 15, 20, 24, 25, 30, 50, 60] as const;

/**
 * The frame rate a camera is set to, from the rate measured at the backend (which wanders with load: 9.5 or 11
 * fps of a 10 fps camera); undefined when nothing was measured.
 */
export function nominalFps(measured: number | undefined): number | undefined {
  if (!measured || measured < 0.5) return undefined;
  let best: number = NOMINAL_FPS[0];
  for (const f of NOMINAL_FPS) if (Math.abs(f - measured) < Math.abs(best - measured)) best = f;
  return best;
}

/** The duration of one frame at `fps` (the step of the frame buttons), 40 ms when the rate is unknown. */
export function frameMs(fps: number | undefined): number {
  return fps && fps > 0.5 ? 1000 / fps : 40;
}
