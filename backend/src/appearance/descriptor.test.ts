import { describe, expect, it } from 'vitest';
import type { Box } from '../contract/media.js';
import type { RgbImage } from '../contract/detector.js';
import {
  APPEARANCE_LENGTH,
  AppearanceAverage,
  appearanceSimilarity,
  describeAppearance,
} from './descriptor.js';

type Rgb = [number, number, number];

/**
 * A grey plaza with one figure: `top` clothes over the upper half of its box, `bottom` over the lower, a skin-tone
 * head, and vertical stripes on the top when asked. `gain` brightens the whole picture (another camera's exposure).
 */
function scene(opts: {
  width?: number;
  height?: number;
  box: Box;
  top: Rgb;
  bottom: Rgb;
  stripes?: boolean;
  gain?: number;
}): RgbImage {
  const width = opts.width ?? 320;
  const height = opts.height ?? 240;
  const data = new Uint8Array(width * height * 3);
  const gain = opts.gain ?? 1;
  const [x0, y0, x1, y1] = [
    opts.box[0] * width,
    opts.box[1] * height,
    opts.box[2] * width,
    opts.box[3] * height,
  ];
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let c: Rgb = [120 + ((x * 7 + y * 13) % 17), 118, 110];
      if (x >= x0 && x < x1 && y >= y0 && y < y1) {
        const f = (y - y0) / (y1 - y0);
        if (f < 0.12) c = [205, 160, 130];
        else if (f < 0.5) c = opts.stripes && Math.floor((x - x0) / 3) % 2 ? [20, 20, 20] : opts.top;
        else c = opts.bottom;
      }
      const i = (y * width + x) * 3;
      for (let k = 0; k < 3; k++) data[i + k] = Math.min(255, Math.round((c[k] as number) * gain));
    }
  return { width, height, data };
}

const RED: Rgb = [190, 30, 40];
const BLUE: Rgb = [30, 50, 170];
const GREEN: Rgb = [40, 150, 60];

describe('appearance descriptor', () => {
  it('is a unit vector of fixed length with no negative part', () => {
    const a = describeAppearance(
      scene({ box: [0.4, 0.2, 0.5, 0.8], top: RED, bottom: BLUE }),
      [0.4, 0.2, 0.5, 0.8],
    );
    expect(a?.v).toBe(1);
    expect(a?.vector).toHaveLength(APPEARANCE_LENGTH);
    expect(Math.hypot(...(a?.vector ?? []))).toBeCloseTo(1, 3);
    expect(Math.min(...(a?.vector ?? []))).toBeGreaterThanOrEqual(0);
  });

  it('finds the same clothes alike on another camera (other size, brighter) and other clothes unlike', () => {
    const box: Box = [0.4, 0.2, 0.5, 0.8];
    const query = describeAppearance(scene({ box, top: RED, bottom: BLUE }), box)!;
    const elsewhereBox: Box = [0.1, 0.3, 0.16, 0.7];
    const same = describeAppearance(
      scene({ width: 400, height: 300, box: elsewhereBox, top: RED, bottom: BLUE, gain: 1.15 }),
      elsewhereBox,
    )!;
    const swapped = describeAppearance(scene({ box, top: BLUE, bottom: RED }), box)!;
    const other = describeAppearance(scene({ box, top: GREEN, bottom: GREEN }), box)!;
    const sSame = appearanceSimilarity(query, same);
    expect(sSame).toBeGreaterThan(0.9);
    // Upper and lower body are compared part by part: a red top over blue trousers is not a blue top over red.
    expect(appearanceSimilarity(query, swapped)).toBeLessThan(sSame - 0.3);
    expect(appearanceSimilarity(query, other)).toBeLessThan(sSame - 0.3);
  });

  it('tells a striped top from a plain one of the same colour', () => {
    const box: Box = [0.3, 0.1, 0.5, 0.9];
    const plain = describeAppearance(scene({ box, top: RED, bottom: BLUE }), box)!;
    const plain2 = describeAppearance(scene({ box, top: RED, bottom: BLUE, gain: 1.05 }), box)!;
    const striped = describeAppearance(scene({ box, top: RED, bottom: BLUE, stripes: true }), box)!;
    expect(appearanceSimilarity(plain, striped)).toBeLessThan(appearanceSimilarity(plain, plain2));
  });

  it('does not describe a box too small to show clothes, nor one outside the frame', () => {
    const image = scene({ box: [0.4, 0.2, 0.5, 0.8], top: RED, bottom: BLUE });
    expect(describeAppearance(image, [0.5, 0.5, 0.51, 0.52])).toBeUndefined();
    expect(describeAppearance(image, [1.2, 1.2, 1.5, 1.5])).toBeUndefined();
    // A box partly outside is described from the part inside.
    expect(describeAppearance(image, [0.9, 0.1, 1.3, 0.9])?.vector).toHaveLength(APPEARANCE_LENGTH);
  });

  it('compares only descriptors of the same version and length', () => {
    const a = { v: 1 as const, vector: [1, 0] };
    expect(appearanceSimilarity(a, { v: 1, vector: [1, 0, 0] })).toBe(0);
    expect(appearanceSimilarity(a, { v: 1, vector: [1, 0] })).toBe(1);
  });

  it('averaged over a track, outweighs one frame of the wrong person, and samples only good views, spaced and capped', () => {
    const box: Box = [0.4, 0.2, 0.5, 0.8];
    const redBlue = scene({ box, top: RED, bottom: BLUE });
    const green = scene({ box, top: GREEN, bottom: GREEN });
    const truth = describeAppearance(redBlue, box)!;
    const avg = new AppearanceAverage();
    expect(avg.value()).toBeUndefined();
    // The tracker followed the wrong person for one frame out of five (a crossing).
    for (let i = 0; i < 5; i++) expect(avg.add(i === 2 ? green : redBlue, box, 0.9, i * 1000)).toBe(true);
    const mean = avg.value()!;
    expect(Math.hypot(...mean.vector)).toBeCloseTo(1, 3);
    expect(appearanceSimilarity(mean, truth)).toBeGreaterThan(0.9);
    expect(appearanceSimilarity(mean, truth)).toBeGreaterThan(
      appearanceSimilarity(mean, describeAppearance(green, box)!) + 0.3,
    );
    // Too soon after the last sample, a weak detection, a box cut by the frame's edge: not sampled.
    expect(avg.add(green, box, 0.9, 4100)).toBe(false);
    expect(avg.add(green, box, 0.3, 6000)).toBe(false);
    expect(avg.add(green, [0, 0.2, 0.1, 0.8], 0.9, 6000)).toBe(false);
    expect(avg.samples).toBe(5);
    // At most 20 samples however long the track.
    for (let i = 0; i < 40; i++) avg.add(redBlue, box, 0.9, 10_000 + i * 1000);
    expect(avg.samples).toBe(20);
  });
});
