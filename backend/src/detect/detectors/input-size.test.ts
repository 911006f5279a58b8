import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../bus/memory-bus.js';
import { DetectConfig } from '../../contract/config/detect.js';
import { configureLogging } from '../../platform/log.js';
import { DetectionService } from '../service.js';
import { CenterNetDetector } from './centernet.js';

/** A 640×480 frame (4:3, what the video pipeline sends at analysis width 640). */
const FRAME = { width: 640, height: 480, data: new Uint8Array(640 * 480 * 3) };

describe('detect.inputSize is the size the detector loads, warms up and analyses at (real model)', () => {
  const disposers: Array<() => unknown> = [];
  afterAll(async () => {
    for (const d of disposers.reverse()) await d();
    configureLogging();
  });

  it('CenterNet created at 320 compiles 320×256 at load, not its trained 512', async () => {
    const detector = await CenterNetDetector.create({ backend: 'auto', inputSize: 320 });
    disposers.push(() => detector.dispose());
    expect(detector.inputSize).toBe(320);
    // The warm-up compiled the model for a 4:3 frame at the configured long side, and only that.
    expect(detector.loadedInputShapes()).toEqual(['320x256']);
    // A frame analysed without naming a size uses the configured one, and needs no second compilation.
    const result = await detector.detect(FRAME, { minScore: 0.35, nmsIou: 0.5 });
    expect(result.input).toEqual({ width: 320, height: 256 });
    expect(detector.loadedInputShapes()).toEqual(['320x256']);
  });

  it('without a size, CenterNet loads at its trained 512 (a 4:3 frame at 512×384)', async () => {
    const detector = await CenterNetDetector.create({ backend: 'auto' });
    disposers.push(() => detector.dispose());
    expect(detector.inputSize).toBe(512);
    expect(detector.loadedInputShapes()).toEqual(['512x384']);
  });

  it('the detection service passes detect.inputSize to its worker: start-up says 320', async () => {
    const lines: Array<Record<string, unknown>> = [];
    configureLogging({
      level: 'info',
      destination: new Writable({
        write(chunk: Buffer, _enc, done) {
          for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l));
          done();
        },
      }),
    });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-input-size-'));
    const bus = new MemoryBus();
    const service = new DetectionService({
      config: DetectConfig.parse({ inputSize: 320, workers: 1 }),
      bus,
      dataDir,
    });
    disposers.push(
      () => fs.rmSync(dataDir, { recursive: true, force: true }),
      () => bus.dispose(),
      () => service.dispose(),
    );
    await service.start();
    await service.ready();
    expect(service.health().status).not.toBe('down');
    const ready = lines.find((l) => l.msg === 'object detector ready');
    expect(ready).toMatchObject({ module: 'detect.service', inputSize: 320, workers: 1 });
  });
});
