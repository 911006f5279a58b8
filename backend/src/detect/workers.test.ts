import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tfjs from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../bus/memory-bus.js';
import { Topics } from '../contract/bus.js';
import { DetectConfig } from '../contract/config/detect.js';
import type { VigilEvent } from '../contract/events.js';
import type { AnalysisFrame, FrameDetections } from '../contract/media.js';
import { decodeFrames, VTEST_H264, videoFramesAvailable } from '../../../test/fixtures/video-frames.js';
import { skipWithout } from '../../../test/fixtures/require.js';
import { DelegatingDetector } from '../../../test/helpers/detector.js';
import { tensorflow } from './detectors/tfjs-runtime.js';
import type { DetectOptions, DetectResult, ObjectDetector, RgbImage } from '../contract/detector.js';
import { WorkerDetector } from './detectors/worker-detector.js';
import { detectWorkerCount } from './scheduler.js';
import { DetectionService } from './service.js';

const skip = skipWithout(
  'ffmpeg and vtest-h264.mp4',
  videoFramesAvailable(VTEST_H264),
  'sudo apt-get install ffmpeg',
);

describe('WebAssembly kernel overrides', () => {
  it('a spatial mean (squeeze-and-excitation) equals the plain average of each channel', async () => {
    const { tf, backend } = await tensorflow('wasm');
    expect(backend).toBe('wasm');
    const [n, h, w, c] = [1, 13, 17, 5];
    const values = Float32Array.from({ length: n * h * w * c }, (_, i) => Math.sin(i * 0.37) * 10 + (i % c));
    const x = tf.tensor4d(values, [n, h, w, c]);
    const expected = Array.from({ length: c }, (_, ch) => {
      let sum = 0;
      for (let p = 0; p < h * w; p++) sum += values[p * c + ch] as number;
      return sum / (h * w);
    });
    const kept = tf.mean(x, [1, 2], true);
    expect(kept.shape).toEqual([1, 1, 1, c]);
    const flat = tf.mean(x, [1, 2]);
    expect(flat.shape).toEqual([1, c]);
    for (const t of [kept, flat]) {
      const got = Array.from(await t.data());
      got.forEach((v, i) => expect(v).toBeCloseTo(expected[i] as number, 4));
    }
    // Other reductions still go through the stock kernel.
    const overChannels = await tf.mean(x, -1).data();
    expect(overChannels.length).toBe(n * h * w);
    expect(overChannels[0]).toBeCloseTo(Array.from(values.slice(0, c)).reduce((a, b) => a + b) / c, 4);
    tfjs.dispose([x, kept, flat]);
  });
});

/** A real detector in a worker thread, recording when it analysed which camera's frame. */
class RecordingDetector extends DelegatingDetector {
  constructor(
    inner: ObjectDetector,
    private readonly log: Array<{ worker: number; camera: string; ts: number; start: number; end: number }>,
    private readonly worker: number,
  ) {
    super(inner);
  }
  override async detect(image: RgbImage, options: DetectOptions): Promise<DetectResult> {
    const frame = image as AnalysisFrame;
    const start = performance.now();
    const result = await super.detect(image, options);
    this.log.push({
      worker: this.worker,
      camera: frame.cameraId,
      ts: frame.ts,
      start,
      end: performance.now(),
    });
    return result;
  }
}

describe.skipIf(skip)('several detector workers (real model in worker threads)', () => {
  const workers: WorkerDetector[] = [];
  let dataDir: string;

  /** 4 s of vtest at 2 fps, camera 'a': the footage of the tests that share out several cameras. */
  let base: AnalysisFrame[] = [];

  beforeAll(async () => {
    base = await decodeFrames(VTEST_H264, { cameraId: 'a', width: 640, fps: 2, startSec: 4, durationSec: 4 });
    workers.push(
      ...(await Promise.all([0, 1].map(() => WorkerDetector.create('centernet', { backend: 'auto' })))),
    );
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-workers-'));
  });
  afterAll(() => {
    for (const w of workers) w.dispose();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('one worker behind on four cameras analyses them together in mosaics, each camera in order, none dropped', async () => {
    const cams = ['c1', 'c2', 'c3', 'c4'];
    const log: Array<{ worker: number; camera: string; ts: number; start: number; end: number }> = [];
    const bus = new MemoryBus();
    const events: VigilEvent[] = [];
    const analysed = new Map<string, number[]>();
    await bus.subscribe<VigilEvent>(Topics.events, (e) => void events.push(e), { group: 'test' });
    await bus.subscribe<FrameDetections>(
      Topics.detections,
      (d) => void analysed.set(d.cameraId, [...(analysed.get(d.cameraId) ?? []), d.ts]),
      { group: 'test' },
    );
    const service = new DetectionService({
      config: DetectConfig.parse({ queueCapacity: 64, motion: { enabled: false } }),
      bus,
      dataDir: path.join(dataDir, 'mosaic'),
      detectors: [new RecordingDetector(workers[0] as WorkerDetector, log, 0)],
    });
    await service.start();
    await service.ready();
    for (const f of base)
      for (const cam of cams) await bus.publish(Topics.frames, cam, { ...f, cameraId: cam });
    await bus.drain();
    await service.idle();
    const stats = service.stats();
    await service.dispose();
    await bus.drain();
    await bus.dispose();

    // Far fewer detector calls than frames: the frames waiting from several cameras shared calls.
    expect(log.length).toBeLessThan((base.length * cams.length) / 2);
    for (const cam of cams) {
      expect(analysed.get(cam)).toEqual(base.map((f) => f.ts));
      expect(stats.perCamera[cam]?.droppedBehind).toBe(0);
      expect(stats.perCamera[cam]?.mosaicFrames).toBeGreaterThan(0);
      // Every camera shows the same footage: each finds the people in it, at its own coordinates.
      const people = events.filter((e) => e.cameraId === cam && e.label === 'person' && e.phase === 'start');
      expect(people.length).toBeGreaterThan(0);
      for (const e of people) {
        for (const v of e.box) expect(v >= 0 && v <= 1, `box ${e.box.join(',')}`).toBe(true);
      }
    }
  });

  it('once frames are dropped for being behind, a frame waiting alone is analysed in a mosaic cell, a quarter of the work', async () => {
    const base = await decodeFrames(VTEST_H264, {
      cameraId: 'a',
      width: 640,
      fps: 5,
      startSec: 4,
      durationSec: 3,
    });
    const inputs: Array<{ width: number; height: number; input: string }> = [];
    class SizeRecorder extends DelegatingDetector {
      override async detect(image: RgbImage, options: DetectOptions): Promise<DetectResult> {
        const result = await super.detect(image, options);
        inputs.push({
          width: image.width,
          height: image.height,
          input: `${result.input.width}×${result.input.height}`,
        });
        return result;
      }
    }
    const bus = new MemoryBus();
    const service = new DetectionService({
      config: DetectConfig.parse({ queueCapacity: 1, motion: { enabled: false } }),
      bus,
      dataDir: path.join(dataDir, 'behind'),
      detectors: [new SizeRecorder(workers[0] as WorkerDetector)],
    });
    await service.start();
    await service.ready();
    // The first frame finds the detector idle: the whole frame at the full input size.
    await service.onFrame(base[0] as AnalysisFrame);
    await service.idle();
    // Then one camera's frames arrive faster than one detector call: the queue of one overflows.
    for (const f of base.slice(1)) await service.onFrame(f);
    await service.idle();
    const stats = service.stats();
    await service.dispose();
    await bus.dispose();

    expect(inputs[0]).toEqual({ width: 640, height: 480, input: '512×384' });
    expect(stats.perCamera['a']?.droppedBehind).toBeGreaterThan(0);
    // After the drop, the frame that was waiting went in as a one-cell mosaic of 256×192.
    expect(inputs.at(-1)).toEqual({ width: 256, height: 192, input: '256×192' });
    expect(stats.perCamera['a']?.mosaicFrames).toBeGreaterThan(0);
  });

  it('detector threads use the cores but run below video and the API', () => {
    // What an administrator relies on: at least one worker, no more than the cores, and on Linux each detector thread
    // at a lower priority than the backend's own threads, so video ingest is served first when the CPU is full.
    const cores = os.availableParallelism();
    const auto = detectWorkerCount('auto');
    expect(auto).toBeGreaterThanOrEqual(1);
    expect(auto).toBeLessThanOrEqual(cores);
    expect(detectWorkerCount(3)).toBe(3);
    if (process.platform !== 'linux') return;
    const backendNice = os.getPriority();
    for (const w of workers) {
      expect(w.nice, 'detector thread nice level').toBeDefined();
      expect(w.nice).toBeGreaterThanOrEqual(Math.min(19, backendNice + 10));
    }
    // Read back from the kernel: the nice level is field 19 of each thread's stat line.
    const levels = fs
      .readdirSync('/proc/self/task')
      .map((tid) => fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8'))
      .map((stat) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    expect(levels.filter((n) => n >= backendNice + 10).length).toBeGreaterThanOrEqual(workers.length);
    expect(levels).toContain(backendNice); // the main thread keeps its priority
  });

  it('analyse two cameras at the same time, each camera’s frames in order, and both cameras get events', async () => {
    const frames = (camera: string) => base.map((f) => ({ ...f, cameraId: camera }));
    const log: Array<{ worker: number; camera: string; ts: number; start: number; end: number }> = [];
    const bus = new MemoryBus();
    const events: VigilEvent[] = [];
    await bus.subscribe<VigilEvent>(Topics.events, (e) => void events.push(e), { group: 'test' });
    const service = new DetectionService({
      config: DetectConfig.parse({ queueCapacity: 32, motion: { enabled: false } }),
      bus,
      dataDir,
      detectors: workers.map((w, i) => new RecordingDetector(w, log, i)),
    });
    await service.start();
    await service.ready();
    // Both cameras deliver their frames at once, as two live cameras would within one frame interval.
    for (let i = 0; i < base.length; i++) {
      for (const cam of ['north', 'south']) {
        const f = frames(cam)[i] as AnalysisFrame;
        await bus.publish(Topics.frames, cam, f);
      }
    }
    await bus.drain();
    await service.idle();
    const stats = service.stats();
    await service.dispose();
    await bus.drain();
    await bus.dispose();

    expect(stats.workers).toBe(2);
    for (const cam of ['north', 'south']) {
      // Nothing dropped, and the tracker saw the camera's frames in capture order.
      const seen = log.filter((l) => l.camera === cam).sort((a, b) => a.start - b.start);
      expect(seen.map((l) => l.ts)).toEqual(base.map((f) => f.ts));
      expect(stats.perCamera[cam]?.droppedBehind).toBe(0);
      // A camera never has two frames in analysis at once.
      for (let i = 1; i < seen.length; i++)
        expect((seen[i] as (typeof seen)[0]).start).toBeGreaterThanOrEqual(
          (seen[i - 1] as (typeof seen)[0]).end,
        );
      expect(events.some((e) => e.cameraId === cam && e.label === 'person')).toBe(true);
    }
    // Both workers ran, and at some moment both were analysing (two cameras in parallel).
    expect(new Set(log.map((l) => l.worker)).size).toBe(2);
    const overlapping = log.some((a) =>
      log.some((b) => b.worker !== a.worker && b.start < a.end && a.start < b.end),
    );
    expect(overlapping).toBe(true);
  });
});
