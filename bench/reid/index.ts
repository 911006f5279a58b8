// Offline evaluation of appearance descriptors for "find this person on other cameras": runs the real detection
// stage over the two virtual cameras once (like backend/src/appearance/retrieval.test.ts), keeps the decoded frames
// and every track's path, then measures top-1 / top-5 of descriptor variants over the labelled identity pairs
// without running the detector again. The run is cached in the temporary directory (REID_FRESH=1 runs it again).
// Run: npm run bench reid   (REID_SWEEP=1 npm run bench reid for the grid of sampling settings)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Appearance, VigilEvent } from '../../backend/src/contract/events.js';
import type { AnalysisFrame, Box } from '../../backend/src/contract/media.js';
import type { RgbImage } from '../../backend/src/contract/detector.js';
import { createDetector } from '../../backend/src/detect/detectors/registry.js';
import {
  appearanceSimilarity,
  describeAppearance,
  AppearanceAverage,
  type AppearanceAverageOptions,
} from '../../backend/src/appearance/descriptor.js';
import { measureRetrieval, type IdentityPair } from '../../test/fixtures/identity-pairs.js';
import { runVirtualCameras, type VirtualCameraEvent } from '../../test/fixtures/virtual-camera-events.js';
import { machineLine } from '../machine.js';

const START_TS = Date.UTC(2026, 0, 15, 12, 0, 0);
const CACHE = path.join(os.tmpdir(), 'vigil-bench-reid');
const fixture = JSON.parse(
  fs.readFileSync(
    path.join(import.meta.dirname, '../../backend/src/appearance/fixtures/vtest-identity-pairs.json'),
    'utf8',
  ),
) as { pairs: IdentityPair[] };

interface Run {
  events: VirtualCameraEvent[];
  frames: Map<string, RgbImage>;
}

async function load(): Promise<Run> {
  const meta = path.join(CACHE, 'events.json');
  if (!process.env.REID_FRESH && fs.existsSync(meta)) {
    const { events, frames } = JSON.parse(fs.readFileSync(meta, 'utf8')) as {
      events: VirtualCameraEvent[];
      frames: { key: string; width: number; height: number }[];
    };
    const map = new Map<string, RgbImage>();
    for (const f of frames)
      map.set(f.key, {
        width: f.width,
        height: f.height,
        data: fs.readFileSync(path.join(CACHE, `${f.key}.rgb`)),
      });
    return { events, frames: map };
  }
  const detector = await createDetector('centernet', { backend: 'auto' });
  let run: Awaited<ReturnType<typeof runVirtualCameras>>;
  try {
    run = await runVirtualCameras(detector, { fps: 2 });
  } finally {
    detector.dispose();
  }
  fs.mkdirSync(CACHE, { recursive: true });
  const key = (f: AnalysisFrame) => `${f.cameraId}-${f.ts}`;
  const events = [...run.left, ...run.right].map((e) => ({
    event: e.event,
    ...(e.snapshot ? { snapshot: { ...e.snapshot, frameJpeg: '' } } : {}),
  }));
  const frames = new Map<string, RgbImage>();
  for (const f of run.decoded) {
    fs.writeFileSync(path.join(CACHE, `${key(f)}.rgb`), f.data);
    frames.set(key(f), { width: f.width, height: f.height, data: f.data });
  }
  fs.writeFileSync(
    meta,
    JSON.stringify({
      events,
      frames: run.decoded.map((f) => ({ key: key(f), width: f.width, height: f.height })),
    }),
  );
  return { events, frames };
}

type Describe = (image: RgbImage, box: Box) => Appearance | undefined;

/** The descriptor of the event's snapshot frame only (one frame). */
function snapshotOnly(run: Run, describe: Describe) {
  return (e: VirtualCameraEvent): Appearance | undefined => {
    if (!e.snapshot) return undefined;
    const image = run.frames.get(`${e.event.cameraId}-${e.snapshot.ts}`);
    return image && describe(image, e.snapshot.box);
  };
}

/** The running mean over the track's path, as the event lifecycle keeps it. */
function averaged(run: Run, options: AppearanceAverageOptions = {}) {
  const fallback = snapshotOnly(run, options.describe ?? describeAppearance);
  return (e: VirtualCameraEvent): Appearance | undefined => {
    const avg = new AppearanceAverage(options);
    for (const p of e.event.path) {
      const image = run.frames.get(`${e.event.cameraId}-${p.ts}`);
      if (image) avg.add(image, p.box, p.score, p.ts);
    }
    return avg.value() ?? fallback(e);
  };
}

function measure(
  run: Run,
  name: string,
  appearanceOf: (e: VirtualCameraEvent) => Appearance | undefined,
): void {
  const withAppearance = (cam: string) =>
    run.events
      .filter((e) => e.event.cameraId === cam && e.event.label === 'person')
      .map((e) => {
        const appearance = appearanceOf(e);
        const event: VigilEvent = { ...e.event };
        if (appearance) event.appearance = appearance;
        else delete event.appearance;
        return { ...e, event };
      });
  const f = measureRetrieval(
    fixture.pairs,
    withAppearance('left'),
    withAppearance('right'),
    START_TS,
    appearanceSimilarity,
  );
  console.log(
    `${name.padEnd(40)} top-1 ${f.top1.toFixed(3)} top-5 ${f.top5.toFixed(3)} (${f.queries} queries, gallery ${f.gallery}, ${f.unmatched} unmatched)`,
  );
}

console.log(machineLine());
const run = await load();
measure(run, 'as published by the pipeline', (e) => e.event.appearance);
measure(run, 'snapshot frame', snapshotOnly(run, describeAppearance));
measure(run, 'mean over the track', averaged(run));
if (process.env.REID_SWEEP) {
  for (const minScore of [0.3, 0.4, 0.5, 0.6])
    for (const everyMs of [500, 1000, 2000])
      for (const maxSamples of [10, 20, 40])
        for (const edgeMargin of [0, 0.01])
          measure(
            run,
            `mean s≥${minScore} every ${everyMs} ≤${maxSamples} edge ${edgeMargin}`,
            averaged(run, { minScore, everyMs, maxSamples, edgeMargin }),
          );
}
