// Incident benchmark: the demo footage played in a loop for BENCH_INCIDENTS_SECONDS (default 300: five minutes)
// through the real detection service with one "person" rule; prints events per hour, per-object alerts per hour
// and incidents per hour (the target: at most 5 incidents in 5 minutes). BENCH_INCIDENTS_FPS sets the analysis
// rate (default 2). Prints figures; not a test.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryBus } from '../../backend/src/bus/memory-bus.js';
import { Topics } from '../../backend/src/contract/bus.js';
import { DetectConfig } from '../../backend/src/contract/config/detect.js';
import type { VigilAlert, VigilEvent } from '../../backend/src/contract/events.js';
import type { Incident } from '../../backend/src/contract/incidents.js';
import { createDetector } from '../../backend/src/detect/detectors/registry.js';
import { DetectionService } from '../../backend/src/detect/service.js';
import { configureLogging } from '../../backend/src/platform/log.js';
import { decodeFrames, VTEST_H264 } from '../../test/fixtures/video-frames.js';
import { machineLine } from '../machine.js';

configureLogging({ level: 'warn' });

const seconds = Number(process.env.BENCH_INCIDENTS_SECONDS ?? 300);
const fps = Number(process.env.BENCH_INCIDENTS_FPS ?? 2);

async function main(): Promise<void> {
  console.log(machineLine());
  const clip = await decodeFrames(VTEST_H264, { cameraId: 'plaza', width: 640, fps });
  const clipMs = (clip.length * 1000) / fps;
  const total = Math.round(seconds * fps);
  const detector = await createDetector('centernet', { backend: 'auto' });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-incidents-'));
  const bus = new MemoryBus();
  const events: VigilEvent[] = [];
  const alerts: VigilAlert[] = [];
  const incidents = new Map<string, Incident>();
  await bus.subscribe<VigilEvent>(Topics.events, (e) => void events.push(e), { group: 'bench' });
  await bus.subscribe<VigilAlert>(Topics.alerts, (a) => void alerts.push(a), { group: 'bench' });
  await bus.subscribe<Incident>(Topics.incidents, (i) => void incidents.set(i.id, i), { group: 'bench' });
  const service = new DetectionService({ config: DetectConfig.parse({}), bus, dataDir, detector });
  await service.start();
  await service.settings.upsertRule({
    id: 'person',
    name: 'Person on the plaza',
    labels: ['person'],
    cameraIds: ['plaza'],
    minDurationSec: 1,
    severity: 'warning',
    enabled: true,
  });
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const src = clip[i % clip.length];
    if (!src) break;
    const loop = Math.floor(i / clip.length);
    // The loop continues the clock: the footage plays on as a live camera would.
    await bus.publish(Topics.frames, 'plaza', { ...src, seq: i, ts: src.ts + loop * clipMs });
    await bus.drain();
    await service.idle();
  }
  await service.dispose();
  await bus.drain();
  const wallSec = (performance.now() - started) / 1000;
  const hours = total / fps / 3600;
  const persons = events.filter((e) => e.label === 'person' && e.phase === 'start').length;
  const members = new Set([...incidents.values()].flatMap((i) => i.eventIds));
  const unattached = alerts.filter((a) => !members.has(a.eventId)).length;
  console.log(
    `incidents: ${(total / fps).toFixed(0)} s of demo footage at ${fps} fps (${wallSec.toFixed(0)} s to run): ` +
      `${persons} person events (${(persons / hours).toFixed(0)}/h), ${alerts.length} per-object alerts ` +
      `(${(alerts.length / hours).toFixed(0)}/h), ${incidents.size} incidents (${(incidents.size / hours).toFixed(1)}/h); ` +
      `alerts outside any incident: ${unattached}`,
  );
  for (const i of incidents.values())
    console.log(
      `  ${i.id}: ${((i.endTs ?? i.lastTs) - i.startTs) / 1000} s, ${i.objectCount} objects, ${i.snapshots.length} snapshots`,
    );
  detector.dispose();
  await bus.dispose();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

await main();
