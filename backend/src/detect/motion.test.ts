import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../bus/memory-bus.js';
import { Topics } from '../contract/bus.js';
import { DetectConfig } from '../contract/config/detect.js';
import type { AnalysisFrame } from '../contract/media.js';
import { decodeFrames, VTEST_H264, videoFramesAvailable } from '../../../test/fixtures/video-frames.js';
import { skipWithout } from '../../../test/fixtures/require.js';
import { WorkerDetector } from './detectors/worker-detector.js';
import { cropAround, MotionDetector } from './motion.js';
import { DetectionService } from './service.js';

const skip = skipWithout(
  'ffmpeg and vtest-h264.mp4',
  videoFramesAvailable(VTEST_H264),
  'sudo apt-get install ffmpeg',
);
const motionOptions = DetectConfig.parse({}).motion;

describe.skipIf(skip)('motion detection on vtest', () => {
  let frames: AnalysisFrame[] = [];
  beforeAll(async () => {
    frames = await decodeFrames(VTEST_H264, { width: 640, fps: 5, startSec: 8, durationSec: 4 });
  });

  it('finds the walking people and ignores what the masks cover', () => {
    const motion = new MotionDetector(motionOptions);
    const results = frames.map((f) => motion.update(f));
    expect(results[0]?.motion).toBe(true); // no background yet
    const later = results.slice(5);
    expect(later.every((r) => r.motion)).toBe(true);
    // People walk on the plaza (upper middle of the frame); the lawn in the lower third stays still.
    for (const r of later) for (const b of r.regions) expect(b[1]).toBeLessThan(0.66);

    const masked = new MotionDetector(motionOptions);
    masked.setMasks([
      [
        [0, 0],
        [1, 0],
        [1, 1],
        [0, 1],
      ],
    ]);
    const maskedResults = frames.map((f) => masked.update(f)).slice(1);
    expect(maskedResults.some((r) => r.motion)).toBe(false);
  });

  it('crops around motion regions, square and inside the frame', () => {
    const crop = cropAround([[0.6, 0.3, 0.65, 0.45]], { width: 640, height: 480 });
    expect(crop.width).toBe(crop.height);
    expect(crop.width).toBeGreaterThanOrEqual(240);
    expect(crop.x + crop.width).toBeLessThanOrEqual(640);
    expect(crop.x).toBeLessThanOrEqual(0.6 * 640);
    expect(crop.x + crop.width).toBeGreaterThanOrEqual(0.65 * 640);
    expect(cropAround([[0, 0.1, 1, 0.2]], { width: 640, height: 480 })).toEqual({
      x: 0,
      y: 0,
      width: 640,
      height: 480,
    });
  });
});

describe.skipIf(skip)('shared detection queue under load (real detector)', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-detect-queue-'));
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('drops the oldest frame of the camera when the detector falls behind, counts it, and never blocks ingest', async () => {
    const detector = await WorkerDetector.create('centernet', { backend: 'auto' });
    const source = await decodeFrames(VTEST_H264, { width: 640, fps: 5, startSec: 20, durationSec: 2 });
    const bus = new MemoryBus();
    const service = new DetectionService({
      config: DetectConfig.parse({ motion: { enabled: false }, queueCapacity: 4 }),
      bus,
      dataDir,
      detector,
    });
    await service.start();
    const cameras = ['cam-a', 'cam-b', 'cam-c'];
    const t0 = performance.now();
    for (const f of source) {
      for (const cameraId of cameras) await bus.publish(Topics.frames, cameraId, { ...f, cameraId });
      // Ingest at 5 fps would leave 200 ms here; give the bus a turn instead so frames reach the detection queue.
      await new Promise((r) => setImmediate(r));
    }
    const publishMs = performance.now() - t0;
    await bus.drain();
    await service.idle();
    const stats = service.stats();
    await service.dispose();
    await bus.dispose();
    detector.dispose();

    expect(publishMs).toBeLessThan(2000); // 30 frames handed over while the detector needs ~0.3 s for each
    let dropped = 0;
    for (const cameraId of cameras) {
      const s = stats.perCamera[cameraId];
      expect(s?.framesIn).toBe(source.length);
      expect((s?.framesAnalysed ?? 0) + (s?.droppedBehind ?? 0)).toBe(source.length);
      expect(s?.framesAnalysed).toBeGreaterThan(0);
      dropped += s?.droppedBehind ?? 0;
    }
    expect(dropped).toBeGreaterThan(source.length);
    const metric = await register.getSingleMetric('vigil_detect_frames_skipped_total')?.get();
    const behind = metric?.values
      .filter((v) => v.labels.reason === 'behind')
      .reduce((a, v) => a + v.value, 0);
    expect(behind).toBe(dropped);
  });
});
