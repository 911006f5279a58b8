import { describe, expect, it } from 'vitest';
import {
  clipWindow,
  correction,
  follow,
  mediaTimeAt,
  nominalFps,
  parsePlayback,
  playbackHash,
  spreadMs,
  timeAtX,
  wallTimeAt,
  zoom,
  ZOOM_SPANS_MS,
} from './model';

const T0 = 1_764_000_000_000;
/** Two-second segments back to back for a minute, a 30 s gap (camera down), then another minute. */
const segments = [
  ...Array.from({ length: 30 }, (_, i) => ({ start: T0 + i * 2000, end: T0 + i * 2000 + 2000 })),
  ...Array.from({ length: 30 }, (_, i) => ({ start: T0 + 90_000 + i * 2000, end: T0 + 92_000 + i * 2000 })),
];

describe('playback clip windows', () => {
  it('starts a window on a segment start before the instant and stops it at a gap', () => {
    const w = clipWindow('gate', segments, T0 + 41_500);
    expect(w?.from).toBe(T0 + 22_000);
    expect(w?.to).toBe(T0 + 60_000);
    expect(mediaTimeAt(w!, T0 + 41_500)).toBeCloseTo(19.5, 6);
    expect(wallTimeAt(w!, 19.5)).toBe(T0 + 41_500);
    expect(mediaTimeAt(w!, T0 + 70_000)).toBeUndefined();
    // In the gap there is nothing to play.
    expect(clipWindow('gate', segments, T0 + 70_000)).toBeUndefined();
    expect(clipWindow('gate', segments, T0 + 95_000)?.from).toBe(T0 + 90_000);
  });

  it('keeps the mapping right across segments of uneven length', () => {
    const uneven = [
      { start: T0, end: T0 + 2000 },
      { start: T0 + 2000, end: T0 + 3500 },
      { start: T0 + 3600, end: T0 + 6000 },
    ];
    const w = clipWindow('gate', uneven, T0 + 100)!;
    expect(w.parts.map((p) => p.media)).toEqual([0, 2, 3.5]);
    expect(mediaTimeAt(w, T0 + 4600)).toBeCloseTo(4.5, 6);
    expect(wallTimeAt(w, 4.5)).toBe(T0 + 4600);
  });
});

describe('keeping tiles on one instant', () => {
  it('nudges the rate for a small drift and seeks for a large one', () => {
    const late = correction(1, -0.04, 10);
    expect(late.seekTo).toBeUndefined();
    expect(late.rate).toBeGreaterThan(1);
    expect(late.rate).toBeLessThanOrEqual(1.2);
    const early = correction(4, 0.1, 10);
    expect(early.rate).toBeLessThan(4);
    expect(correction(1, 2, 10)).toEqual({ rate: 1, seekTo: 10 });
    expect(correction(1, 0, 10)).toEqual({ rate: 1 });
  });

  it('steps by the frame of the rate the camera is set to, not the rate measured under load', () => {
    expect(nominalFps(9.46)).toBe(10);
    expect(nominalFps(11)).toBe(10);
    expect(nominalFps(24.7)).toBe(25);
    expect(nominalFps(0)).toBeUndefined();
  });

  it('measures the spread of the instants shown', () => {
    expect(spreadMs([T0, T0 + 30, T0 + 12])).toBe(30);
    expect(spreadMs([T0])).toBe(0);
  });
});

describe('timeline', () => {
  it('zooms from minutes to days', () => {
    expect(zoom(ZOOM_SPANS_MS[0], 'in')).toBe(ZOOM_SPANS_MS[0]);
    expect(zoom(3_600_000, 'out')).toBe(6 * 3_600_000);
    expect(zoom(3_600_000, 'in')).toBe(15 * 60_000);
    expect(zoom(7 * 86_400_000, 'out')).toBe(7 * 86_400_000);
  });

  it('maps pixels to instants and follows the playhead', () => {
    const view = { from: T0, to: T0 + 600_000 };
    expect(timeAtX(view, 500, 1000)).toBe(T0 + 300_000);
    expect(timeAtX(view, -5, 1000)).toBe(T0);
    expect(follow(view, T0 + 300_000, 600_000)).toBe(view);
    expect(follow(view, T0 + 590_000, 600_000)).toEqual({ from: T0 + 290_000, to: T0 + 890_000 });
  });

  it('round-trips the playback route', () => {
    const hash = playbackHash(['gate', 'dock'], T0);
    const parsed = parsePlayback(new URLSearchParams(hash.split('?')[1]), T0 + 1000);
    expect(parsed).toEqual({ cameraIds: ['gate', 'dock'], t: T0 });
    expect(parsePlayback(new URLSearchParams(''), T0).t).toBe(T0 - 300_000);
  });
});
