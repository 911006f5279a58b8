// Cluster pipeline throughput through librdkafka's mock Kafka cluster (real wire protocol, in-memory brokers).
// Figures: frames/s and events/s with 1 and 2 detect workers, the scaling ratio, end-to-end latency frame → event
// stored, and redelivery after one worker is killed mid-batch (nothing lost, nothing duplicated in the store).
//
// VIGIL_BENCH_DETECTOR picks the detector:
//   centernet (default) or nanodet: the detect role with the real TF.js model on vtest footage (model.ts);
//   stub: a fixed CPU cost per frame and one event message per frame, to measure the bus alone (below).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import { KafkaBus } from '../../backend/src/bus/kafka-bus.js';
import { Topics } from '../../backend/src/contract/bus.js';
import type { VigilEvent } from '../../backend/src/contract/events.js';
import type { AnalysisFrame } from '../../backend/src/contract/media.js';
import { configureLogging } from '../../backend/src/platform/log.js';
import { startKafka } from '../../test/fixtures/kafka.js';
import { machineLine } from '../machine.js';
import { modelBench, stopProcesses } from './model.js';

configureLogging({ level: 'error' });
const COST_MS = 20;
const CAMERAS = 4;
const WIDTH = 320;
const HEIGHT = 180;

interface Worker {
  proc: ChildProcess;
  handled: string[];
  ready: Promise<void>;
}

function startWorker(brokers: string[]): Worker {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, 'worker.ts'), brokers.join(','), String(COST_MS)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const handled: string[] = [];
  let onReady!: () => void;
  const ready = new Promise<void>((r) => (onReady = r));
  readline.createInterface({ input: proc.stdout as Readable }).on('line', (line) => {
    if (line === 'ready') onReady();
    else if (line.startsWith('handled ')) handled.push(line.slice(8));
  });
  return { proc, handled, ready };
}

function frame(cameraId: string, seq: number): AnalysisFrame {
  const data = new Uint8Array(WIDTH * HEIGHT * 3);
  for (let i = 0; i < data.length; i += 3) {
    const x = (i / 3) % WIDTH;
    data[i] = (x + seq * 3) & 255;
    data[i + 1] = ((i / 3 / WIDTH) * 1.4) & 255;
    data[i + 2] = 90;
  }
  return { cameraId, ts: Date.now(), seq, width: WIDTH, height: HEIGHT, format: 'rgb24', data };
}

const waitUntil = async (cond: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return cond();
};

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

async function scenario(workers: number, frames: number, killOneAfter?: number) {
  const step = (m: string) => console.error(`[${workers} worker(s)${killOneAfter ? ', kill' : ''}] ${m}`);
  const kafka = await startKafka({ partitions: 4 });
  const bus = new KafkaBus({ brokers: kafka.brokers, clientId: 'vigil-bench', sessionTimeoutMs: 6000 });
  const procs: Worker[] = [];
  try {
    // The store side: an upsert keyed by event id, like the real stores; messages are counted per (camera, seq).
    const stored = new Map<string, VigilEvent>();
    const messages = new Map<string, number>();
    const latencies: number[] = [];
    let firstStored = 0;
    let lastStored = 0;
    await bus.subscribe<VigilEvent>(
      Topics.events,
      (e) => {
        const now = Date.now();
        const key = `${e.cameraId} ${e.lastTs}`;
        messages.set(key, (messages.get(key) ?? 0) + 1);
        stored.set(e.id, e);
        latencies.push(now - e.lastTs);
        if (!firstStored) firstStored = now;
        lastStored = now;
      },
      { group: 'vigil-events', concurrency: 4 },
    );
    // A backlog first, then the workers: the figure is what the workers drain, not how fast this process encodes.
    const perCamera = frames / CAMERAS;
    const tPub = Date.now();
    for (let seq = 0; seq < perCamera; seq++) {
      await Promise.all(
        Array.from({ length: CAMERAS }, (_, c) =>
          bus.publish(Topics.frames, `cam-${c}`, frame(`cam-${c}`, seq)),
        ),
      );
    }
    const published = Date.now() - tPub;
    step(`published a backlog of ${frames} frames`);
    latencies.length = 0;
    for (let i = 0; i < workers; i++) procs.push(startWorker(kafka.brokers));
    let killedHandled = 0;
    let killed = false;
    if (killOneAfter !== undefined) {
      // Kill the member that is busiest, in the middle of its batch.
      await waitUntil(() => procs.some((w) => w.handled.length >= killOneAfter), 120_000);
      const victim = procs.reduce((a, b) => (b.handled.length > a.handled.length ? b : a));
      victim.proc.kill('SIGKILL');
      killedHandled = victim.handled.length;
      killed = true;
    }
    await waitUntil(() => messages.size >= frames, 240_000);
    step(`stored ${messages.size}/${frames}`);
    const drainSeconds = (lastStored - firstStored) / 1000;
    const drained = messages.size;
    // Then a paced stream well below capacity: latency frame → event stored without a backlog.
    const paced: number[] = [];
    if (!killed) {
      const before = latencies.length;
      for (let seq = perCamera; seq < perCamera + 10; seq++) {
        await Promise.all(
          Array.from({ length: CAMERAS }, (_, c) =>
            bus.publish(Topics.frames, `cam-${c}`, frame(`cam-${c}`, seq)),
          ),
        );
        await new Promise((r) => setTimeout(r, 1000));
      }
      await waitUntil(() => messages.size >= frames + 10 * CAMERAS, 60_000);
      paced.push(...latencies.slice(before));
    }
    await new Promise((r) => setTimeout(r, 1500));
    const handledAll = procs.flatMap((w) => w.handled);
    const distinctHandled = new Set(handledAll).size;
    const seconds = drainSeconds;
    const lost = frames + (killed ? 0 : 10 * CAMERAS) - messages.size;
    const duplicateMessages = [...messages.values()].reduce((a, n) => a + n - 1, 0);
    return {
      workers,
      frames,
      publishSeconds: published / 1000,
      framesPerSecond: drained / seconds,
      eventMessagesPerSecond: drained / seconds,
      eventsStored: stored.size,
      expectedEvents: Math.ceil((perCamera + (killed ? 0 : 10)) / 10) * CAMERAS,
      latencyP50: pct(paced, 50),
      latencyP95: pct(paced, 95),
      lost,
      redeliveredFrames: handledAll.length - distinctHandled,
      duplicateMessages,
      killedHandled,
      killed,
    };
  } finally {
    await stopProcesses(procs.map((w) => w.proc));
    await bus.dispose();
    await kafka.stop();
  }
}

async function stubBench(): Promise<void> {
  console.log(
    `stub detector: ${COST_MS} ms of CPU per frame (busy loop, no model); ${CAMERAS} cameras, ${WIDTH}x${HEIGHT} JPEG frames, 4 partitions; ` +
      'the machine is shared, so CPU-bound figures are noisy',
  );
  const one = await scenario(1, 200);
  const two = await scenario(2, 200);
  for (const r of [one, two]) {
    console.log(
      `${r.workers} worker(s): ${r.framesPerSecond.toFixed(1)} frames/s, ${r.eventMessagesPerSecond.toFixed(1)} event messages/s ` +
        `(${r.eventsStored}/${r.expectedEvents} events stored), latency frame→stored p50 ${r.latencyP50} ms p95 ${r.latencyP95} ms ` +
        `(paced at 4 frames/s after the backlog), lost ${r.lost}; backlog published in ${r.publishSeconds.toFixed(1)} s`,
    );
  }
  console.log(`scaling 1 → 2 workers: ×${(two.framesPerSecond / one.framesPerSecond).toFixed(2)}`);
  const kill = await scenario(2, 200, 40);
  console.log(
    `kill one of 2 workers after ${kill.killedHandled} frames: redelivered frames ${kill.redeliveredFrames}, ` +
      `event messages delivered twice ${kill.duplicateMessages}, frames lost ${kill.lost}, ` +
      `events stored ${kill.eventsStored}/${kill.expectedEvents} (store upserts by id: no duplicate records)`,
  );
}

console.log(machineLine());
const detector = process.env.VIGIL_BENCH_DETECTOR ?? 'centernet';
if (detector === 'stub') await stubBench();
else await modelBench(detector);
