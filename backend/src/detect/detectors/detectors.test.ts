import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Box } from '../../contract/media.js';
import { framesAtTimes, VTEST_H264, videoFramesAvailable } from '../../../../test/fixtures/video-frames.js';
import { skipWithout } from '../../../../test/fixtures/require.js';
import { DetectConfig } from '../../contract/config/detect.js';
import { matchDetections } from '../evaluate.js';
import { composeMosaic, mosaicLayout, splitMosaic } from '../mosaic.js';
import type { Tensor } from '@tensorflow/tfjs';
import { BOX_SIDES, CLASS_LOGITS, decodePeaks } from './centernet.js';
import { cropResizeToFloat, fullRect, inputShapeFor } from './preprocess.js';
import { createDetector, UnknownDetectorError } from './registry.js';
import {
  bundledModelDir,
  loadLocalGraphModel,
  readModelArtifacts,
  tensorflow,
  withInputSize,
} from './tfjs-runtime.js';
import type { ObjectDetector, RgbImage } from '../../contract/detector.js';

interface GroundTruth {
  width: number;
  height: number;
  frames: Array<{ timeSec: number; boxes: number[][] }>;
}

const truth = JSON.parse(
  fs.readFileSync(path.join(import.meta.dirname, '../fixtures/vtest-ground-truth.json'), 'utf8'),
) as GroundTruth;
const skip = skipWithout(
  'ffmpeg and vtest-h264.mp4',
  videoFramesAvailable(VTEST_H264),
  'sudo apt-get install ffmpeg',
);

/** Ground-truth boxes of frame i, normalised to the frame. */
function truthBoxes(i: number): Box[] {
  return (truth.frames[i]?.boxes ?? []).map((b): Box => [
    (b[0] as number) / truth.width,
    (b[1] as number) / truth.height,
    (b[2] as number) / truth.width,
    (b[3] as number) / truth.height,
  ]);
}

/** The default person filter of the pipeline (detect.filters). */
const MIN_SCORE = 0.35;

/**
 * Floors from measured figures (20 frames, 124 hand-annotated people, IoU 0.5, score ≥ 0.35, 640-pixel analysis
 * frames as the video pipeline delivers them), 2026-11:
 *   centernet at 512×384 (the frame's 4:3, detect.inputSize 512): precision 0.918 (112 TP, 10 FP), recall 0.903
 *   (12 missed). Stretched to its trained 512×512 it measured 0.854 and 0.895.
 *   nanodet at 416×416: precision 0.825 (113 TP, 24 FP), recall 0.911 (11 missed)
 * Most false positives are traffic cones, a rock and a sign post; most misses are people hidden behind the sign
 * or cut by the frame edge. The floors sit a few points under the measurements: a broken resize, channel order,
 * normalisation or box decoding drops them far lower.
 */
const FLOORS: Record<string, { precision: number; recall: number }> = {
  centernet: { precision: 0.87, recall: 0.86 },
  nanodet: { precision: 0.77, recall: 0.86 },
};

/**
 * CenterNet at other input sizes (long side; 4:3), measured 2026-11 at score ≥ 0.35:
 *   384×288: precision 1.000, recall 0.855 · 640×480: precision 0.983, recall 0.911.
 */
const SIZE_FLOORS: Record<number, { precision: number; recall: number }> = {
  384: { precision: 0.95, recall: 0.8 },
  640: { precision: 0.93, recall: 0.86 },
};

/**
 * People found in the annotated frames, one detector call per frame with its long side at `inputSize`, counted at
 * IoU 0.5 and the default person score.
 */
async function scorePeople(detector: ObjectDetector, frames: readonly RgbImage[], inputSize: number) {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const [i, frame] of frames.entries()) {
    const result = await detector.detect(frame, { minScore: 0.25, nmsIou: 0.5, inputSize });
    const people = result.detections.filter((d) => d.label === 'person' && d.score >= MIN_SCORE);
    const m = matchDetections(people, truthBoxes(i), 0.5);
    tp += m.truePositives;
    fp += m.falsePositives;
    fn += m.falseNegatives;
  }
  return { tp, fp, fn, precision: tp / (tp + fp), recall: tp / (tp + fn) };
}

describe.skipIf(skip)('object detectors against hand-annotated vtest frames', () => {
  let frames: RgbImage[] = [];

  beforeAll(async () => {
    frames = await framesAtTimes(
      VTEST_H264,
      truth.frames.map((f) => f.timeSec),
      640,
    );
  });

  for (const name of Object.keys(FLOORS)) {
    describe(name, () => {
      let detector: ObjectDetector;
      beforeAll(async () => {
        detector = await createDetector(name, { backend: 'auto' });
      });
      afterAll(() => detector?.dispose());

      it(`finds people with precision and recall above the measured floors at IoU 0.5`, async () => {
        const { tp, fp, fn, precision, recall } = await scorePeople(
          detector,
          frames,
          DetectConfig.parse({}).inputSize,
        );
        console.log(
          `${name}: precision ${precision.toFixed(3)} recall ${recall.toFixed(3)} (tp ${tp} fp ${fp} fn ${fn})`,
        );
        expect(tp + fn).toBe(124);
        expect(precision).toBeGreaterThanOrEqual(FLOORS[name]?.precision ?? 1);
        expect(recall).toBeGreaterThanOrEqual(FLOORS[name]?.recall ?? 1);
      }, 180_000);
    });
  }

  it('finds people in four frames analysed at once as a 2×2 mosaic, above the measured floors', async () => {
    // Measured 2026-11 (centernet, 16 frames in 4 mosaics of 512×384, score ≥ 0.7 × 0.35): precision 0.981,
    // recall 0.847 — a quarter of the pixels loses the smallest people but adds almost no false positives. At
    // detect.mosaic.inputSize 640: 0.974 and 0.911.
    const detector = await createDetector('centernet', { backend: 'auto' });
    const { scoreScale, inputSize: size } = DetectConfig.parse({}).mosaic;
    const minScore = scoreScale * MIN_SCORE;
    const { width, height } = frames[0] as RgbImage;
    let tp = 0;
    let fp = 0;
    let fn = 0;
    try {
      for (let s = 0; s + 4 <= frames.length; s += 4) {
        const group = frames.slice(s, s + 4);
        const layout = mosaicLayout(group.length, { width, height }, size);
        const mosaic = composeMosaic(group, layout);
        expect([mosaic.width, mosaic.height]).toEqual([512, 384]);
        const result = await detector.detect(mosaic, { minScore: 0.25, nmsIou: 0.5, inputSize: 512 });
        splitMosaic(result.detections, layout, group.length).forEach((cell, k) => {
          const people = cell.filter((d) => d.label === 'person' && d.score >= minScore);
          const m = matchDetections(people, truthBoxes(s + k), 0.5);
          tp += m.truePositives;
          fp += m.falsePositives;
          fn += m.falseNegatives;
        });
      }
    } finally {
      detector.dispose();
    }
    const precision = tp / (tp + fp);
    const recall = tp / (tp + fn);
    console.log(`centernet 2×2 mosaic: precision ${precision.toFixed(3)} recall ${recall.toFixed(3)}`);
    expect(tp + fn).toBeGreaterThan(90);
    expect(precision).toBeGreaterThanOrEqual(0.93);
    expect(recall).toBeGreaterThanOrEqual(0.8);
  }, 180_000);

  it('runs CenterNet at other input sizes, each frame at its own aspect ratio, above the measured floors', async () => {
    const detector = await createDetector('centernet', { backend: 'auto' });
    try {
      for (const [size, floor] of Object.entries(SIZE_FLOORS)) {
        const { precision, recall } = await scorePeople(detector, frames, Number(size));
        console.log(`centernet at ${size}: precision ${precision.toFixed(3)} recall ${recall.toFixed(3)}`);
        expect(precision, `precision at ${size}`).toBeGreaterThanOrEqual(floor.precision);
        expect(recall, `recall at ${size}`).toBeGreaterThanOrEqual(floor.recall);
      }
    } finally {
      detector.dispose();
    }
  }, 180_000);

  it('decodes CenterNet peaks exactly as the model’s own detection output does', async () => {
    const { tf } = await tensorflow('auto');
    const model = await loadLocalGraphModel(tf, path.join(bundledModelDir(), 'centernet.json'));
    try {
      let compared = 0;
      for (const frame of frames.slice(0, 4)) {
        const input = tf.tensor4d(
          cropResizeToFloat(frame, fullRect(frame), { width: 512, height: 512 }, 'nhwc'),
          [1, 512, 512, 3],
        );
        const [logits, sides, reference] = model.execute(input, [
          CLASS_LOGITS,
          BOX_SIDES,
          'tower_0/detections',
        ]) as Tensor[];
        const [, h, w, c] = logits?.shape as number[];
        const ours = decodePeaks(
          (await logits?.data()) as Float32Array,
          (await sides?.data()) as Float32Array,
          { height: h as number, width: w as number, classes: c as number, stride: 512 / (w as number) },
          0.25,
        );
        const theirs = Array.from((await reference?.data()) as Float32Array);
        tf.dispose([input, logits, sides, reference] as Tensor[]);
        const rows = (a: ArrayLike<number>) =>
          Array.from({ length: Math.floor(a.length / 6) }, (_, i) => Array.from(a).slice(i * 6, i * 6 + 6));
        const expected = rows(theirs).filter((r) => (r[4] as number) >= 0.25);
        const got = rows(ours);
        expect(got.length).toBe(expected.length);
        const key = (r: number[]) => `${r[5]}:${Math.round(r[0] as number)}:${Math.round(r[1] as number)}`;
        const byKey = new Map(got.map((r) => [key(r), r]));
        for (const r of expected) {
          const g = byKey.get(key(r));
          expect(g, `peak ${key(r)}`).toBeDefined();
          g?.forEach((v, i) => expect(v).toBeCloseTo(r[i] as number, 3));
        }
        compared += expected.length;
      }
      expect(compared).toBeGreaterThan(10);
    } finally {
      model.dispose();
    }
  });

  it('analyses a crop and maps its boxes back to the whole frame', async () => {
    const detector = await createDetector('centernet', { backend: 'auto' });
    try {
      const frame = frames[0] as RgbImage;
      // The two people walking at the right edge at 2 s (x 686–763 of 768): analyse only the right half.
      const region = { x: 320, y: 120, width: 320, height: 320 };
      const result = await detector.detect(frame, { minScore: 0.35, nmsIou: 0.5, region });
      const people = result.detections.filter((d) => d.label === 'person');
      const right = (truth.frames[0]?.boxes ?? [])
        .filter((b) => (b[0] as number) > 400)
        .map((b): Box => [b[0]! / 768, b[1]! / 576, b[2]! / 768, b[3]! / 576]);
      const m = matchDetections(people, right, 0.5);
      expect(m.truePositives).toBeGreaterThanOrEqual(right.length - 1);
      for (const d of people) expect(d.box[0]).toBeGreaterThanOrEqual(0.4);
    } finally {
      detector.dispose();
    }
  });
});

describe('model input sizes', () => {
  it('gives each frame an input of its own aspect ratio, sides multiples of 32', () => {
    expect(inputShapeFor({ width: 640, height: 480 }, 512)).toEqual({ width: 512, height: 384 });
    expect(inputShapeFor({ width: 1280, height: 720 }, 512)).toEqual({ width: 512, height: 288 });
    expect(inputShapeFor({ width: 480, height: 640 }, 512)).toEqual({ width: 384, height: 512 });
    expect(inputShapeFor({ width: 320, height: 320 }, 512)).toEqual({ width: 512, height: 512 });
    // A panorama never gets a side under one multiple.
    expect(inputShapeFor({ width: 4000, height: 100 }, 512)).toEqual({ width: 512, height: 32 });
  });

  it('rewrites the model for another input size, and refuses one its feature maps cannot divide', async () => {
    const artifacts = await readModelArtifacts(path.join(bundledModelDir(), 'centernet.json'));
    const resized = withInputSize(artifacts, 384, 512);
    const { tf } = await tensorflow('auto');
    const model = await tf.loadGraphModel({ load: async () => resized });
    try {
      const input = tf.zeros([1, 384, 512, 3]);
      const [logits, sides] = model.execute(input, [CLASS_LOGITS, BOX_SIDES]) as Tensor[];
      // Stride 4: a 128×96 heat map of the 80 COCO classes, and four box sides per cell.
      expect(logits?.shape).toEqual([1, 96, 128, 80]);
      expect(sides?.shape).toEqual([1, 96, 128, 4]);
      tf.dispose([input, logits, sides] as Tensor[]);
    } finally {
      model.dispose();
    }
    // The original is untouched.
    expect(artifacts.weightData).not.toBe(resized.weightData);
    expect(() => withInputSize(artifacts, 500, 500)).toThrow(/does not divide/);
  });

  it('composes a mosaic at the detector’s input size: four frames in quarters, fewer in a row', () => {
    const solid = (r: number, g: number, b: number): RgbImage => {
      const data = new Uint8Array(640 * 480 * 3);
      for (let i = 0; i < data.length; i += 3) data.set([r, g, b], i);
      return { width: 640, height: 480, data };
    };
    const [red, green, blue, white] = [
      solid(255, 0, 0),
      solid(0, 255, 0),
      solid(0, 0, 255),
      solid(255, 255, 255),
    ];
    const pixel = (image: RgbImage, x: number, y: number) =>
      Array.from(image.data.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3));

    const four = mosaicLayout(4, red, 512);
    expect(four).toEqual({ cols: 2, rows: 2, cell: { width: 256, height: 192 } });
    const quad = composeMosaic([red, green, blue, white], four);
    expect([quad.width, quad.height, quad.data.length]).toEqual([512, 384, 512 * 384 * 3]);
    expect(pixel(quad, 10, 10)).toEqual([255, 0, 0]);
    expect(pixel(quad, 300, 10)).toEqual([0, 255, 0]);
    expect(pixel(quad, 10, 300)).toEqual([0, 0, 255]);
    expect(pixel(quad, 300, 300)).toEqual([255, 255, 255]);

    // Three frames in a row: three quarters of the pixels of a 2×2 mosaic, each frame at the same size.
    const three = mosaicLayout(3, red, 512);
    const row = composeMosaic([red, green, blue], three);
    expect([row.width, row.height]).toEqual([768, 192]);
    expect(pixel(row, 600, 100)).toEqual([0, 0, 255]);
    // A box in the third cell maps back onto the third frame.
    const [, , third] = splitMosaic(
      [{ label: 'person', classIndex: 0, score: 0.9, box: [0.7, 0.2, 0.8, 0.9] }],
      three,
      3,
    );
    expect(third?.[0]?.box.map((v) => Math.round(v * 100) / 100)).toEqual([0.1, 0.2, 0.4, 0.9]);
    // In a 2×2 mosaic with an empty fourth cell, a box there belongs to no camera.
    const cells = splitMosaic(
      [{ label: 'person', classIndex: 0, score: 0.9, box: [0.6, 0.6, 0.7, 0.9] }],
      four,
      3,
    );
    expect(cells.flat()).toEqual([]);
  });
});

describe('detector registry', () => {
  it('rejects an unknown detector name with a configuration error that lists the available ones', async () => {
    await expect(createDetector('yolov99', { backend: 'auto' })).rejects.toThrow(UnknownDetectorError);
    await expect(createDetector('yolov99', { backend: 'auto' })).rejects.toThrow(
      /available: centernet, nanodet/,
    );
  });
});
