import { describe, expect, it } from 'vitest';
import { cropRect, THUMBNAIL_ASPECT } from './snapshot.js';

const frame = { width: 1280, height: 720 };

describe('event thumbnail crop', () => {
  it('shows a standing person whole, with context, in the shape of the card', () => {
    // A person 8 % of the frame wide and 40 % high, in the middle of the picture.
    const box = [0.46, 0.3, 0.54, 0.7] as const;
    const r = cropRect(frame, [...box]);
    // The card's 4:3, so the card does not cut the picture again (a tall crop in a 4:3 card showed a torso).
    expect(r.width / r.height).toBeCloseTo(THUMBNAIL_ASPECT, 1);
    // Head and feet inside, with at least a quarter of the person's height above and below.
    const top = box[1] * frame.height;
    const bottom = box[3] * frame.height;
    const personH = bottom - top;
    expect(top - r.y).toBeGreaterThanOrEqual(personH * 0.25);
    expect(r.y + r.height - bottom).toBeGreaterThanOrEqual(personH * 0.25);
    expect(r.x).toBeLessThan(box[0] * frame.width);
    expect(r.x + r.width).toBeGreaterThan(box[2] * frame.width);
  });

  it('stays inside the frame at its edges and is never larger than the frame', () => {
    for (const box of [
      [0, 0, 0.1, 0.5],
      [0.9, 0.5, 1, 1],
      [0.2, 0, 0.6, 1],
      [0, 0, 1, 1],
    ] as const) {
      const r = cropRect(frame, [...box]);
      expect(r.x).toBeGreaterThanOrEqual(0);
      expect(r.y).toBeGreaterThanOrEqual(0);
      expect(r.x + r.width).toBeLessThanOrEqual(frame.width);
      expect(r.y + r.height).toBeLessThanOrEqual(frame.height);
      expect(r.width % 2).toBe(0);
      expect(r.height % 2).toBe(0);
    }
  });

  it('gives a small, far-away object a quarter of the frame of surroundings', () => {
    const r = cropRect(frame, [0.5, 0.5, 0.51, 0.52]);
    expect(r.width).toBeGreaterThanOrEqual(frame.width / 4 - 2);
  });
});
