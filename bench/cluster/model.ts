// The cluster benchmark with the real model: vtest footage streamed as live cameras through librdkafka's mock
// Kafka cluster → detect role processes (TF.js detector on the WASM backend, motion gating, tracking) → events
// → the SQLite event store. Each worker is `bench/cluster/detect-worker.ts`: the detect role with its bus wrapped
// to report what it handled and published.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { encodeFrame, type EncodedFrame } from '../../backend/src/bus/frame-codec.js';
import { KafkaBus } from '../../backend/src/bus/kafka-bus.js';
import { Topics } from '../../backend/src/contract/bus.js';
import type { CameraDetectStats, DetectStats } from '../../backend/src/contract/detect-api.js';
import type { VigilEvent } from '../../backend/src/contract/events.js';
import { SqliteEventStore } from '../../backend/src/store/sqlite-store.js';
import { camerasOnDistinctPartitions, startKafka } from '../../test/fixtures/kafka.js';
import { decodeFrames, VTEST_H264 } from '../../test/fixtures/video-frames.js';

const CAMERAS = 4;
const PARTITIONS = 4;
/** Frames per second per camera: the offered load is CAMERAS × FPS, more than one worker analyses. */
const FPS = 3;
const WIDTH = 640;
const WARMUP_S = 5;
const MEASURE_S = 20;
const KILL_AT_S = 8;
/** The light phase: one camera at this rate, for this long, before the full load (1-worker scenario). */
const LIGHT_FPS = 1;
const LIGHT_S = 12;

interface WorkerStats extends DetectStats {
  eventLatency: { p50: number; p95: number; samples: number };
}

interface Worker {
  proc: ChildProcess;
  handled: string[];
  published: string[];
  stats?: WorkerStats;
  ready: Promise<string>;
}

function startWorker(brokers: string[], detector: string): Worker {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, 'detect-worker.ts'), brokers.join(','), detector],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const w: Worker = { proc, handled: [], published: [], ready: Promise.resolve('') };
  let onReady!: (detail: string) => void;
  w.ready = new Promise<string>((r) => (onReady = r));
  readline.createInterface({ input: proc.stdout as Readable }).on('line', (line) => {
    if (line.startsWith('ready ')) onReady(line.slice(6));
    else if (line.startsWith('handled ')) w.handled.push(line.slice(8));
    else if (line.startsWith('published ')) w.published.push(line.slice(10));
    else if (line.startsWith('stats ')) w.stats = JSON.parse(line.slice(6)) as WorkerStats;
  });
  return w;
}

function sum(workers: Worker[], field: keyof CameraDetectStats): number {
  let n = 0;
  for (const w of workers) for (const s of Object.values(w.stats?.perCamera ?? {})) n += s[field];
  return n;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

/** Stops the worker processes still running (SIGTERM) and waits until they have exited. */
export async function stopProcesses(children: readonly ChildProcess[]): Promise<void> {
  const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
  const exited = running.map((c) => new Promise((r) => c.once('exit', r)));
  for (const c of running) c.kill('SIGTERM');
  await Promise.all(exited);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ModelScenario {
  workers: number;
  detail: string;
  offeredFps: number;
  analysedFps: number;
  droppedBehindFps: number;
  skippedNoMotion: number;
  inferenceMsP50: number[];
  eventMessagesPerSecond: number;
  eventsStored: number;
  latencyP50: number;
  latencyP95: number;
  /** Frame → event stored with one camera at LIGHT_FPS (light phase only). */
  lightLatencyP50: number;
  lightLatencyP95: number;
  lightSamples: number;
  killed: boolean;
  killedHandled: number;
  redeliveredFrames: number;
  publishedMessages: number;
  lostMessages: number;
  duplicateDeliveries: number;
  storeRows: number;
}

async function scenario(
  footage: EncodedFrame[],
  detector: string,
  workers: number,
  kill: boolean,
  light = false,
): Promise<ModelScenario> {
  const step = (m: string) =>
    console.error(`[${detector}, ${workers} worker(s)${kill ? ', kill' : ''}] ${m}`);
  const kafka = await startKafka({ partitions: PARTITIONS });
  const bus = new KafkaBus({ brokers: kafka.brokers, clientId: 'vigil-bench', sessionTimeoutMs: 6000 });
  // Frames go out already encoded (the JPEG of each footage frame is made once): the ingest role's encoding runs
  // on the camera hosts, not on the detect workers measured here.
  const producer = new Kafka({
    clientId: 'vigil-bench-ingest',
    brokers: kafka.brokers,
    logLevel: logLevel.NOTHING,
  }).producer({ allowAutoTopicCreation: true, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  // Cameras on distinct partitions, so that every worker gets cameras to analyse.
  const cameras = camerasOnDistinctPartitions(CAMERAS, 'cam-', PARTITIONS);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-cluster-'));
  const store = new SqliteEventStore({ file: path.join(dir, 'events.db') });
  const procs: Worker[] = [];
  try {
    // The events side: the real SQLite store, upserting by event id; deliveries counted per message.
    const deliveries = new Map<string, number>();
    const latencies: number[] = [];
    const latenciesLight: number[] = [];
    let phase: 'light' | 'warmup' | 'measure' | 'done' = light ? 'light' : 'warmup';
    let measuring = false;
    let storedInWindow = 0;
    await bus.subscribe<VigilEvent>(
      Topics.events,
      async (e) => {
        await store.upsertEvents([e]);
        const now = Date.now();
        const key = `${e.id} ${e.phase} ${e.lastTs}`;
        deliveries.set(key, (deliveries.get(key) ?? 0) + 1);
        if (phase === 'light' && e.phase !== 'end' && e.cameraId === cameras[0])
          latenciesLight.push(now - e.lastTs);
        if (measuring) {
          storedInWindow++;
          // The frame that produced a start/update is the event's last frame; an end comes after a timeout.
          if (e.phase !== 'end') latencies.push(now - e.lastTs);
        }
      },
      { group: 'vigil-events', concurrency: 4 },
    );

    for (let i = 0; i < workers; i++) procs.push(startWorker(kafka.brokers, detector));
    const details = await Promise.all(procs.map((w) => w.ready));
    step(`workers ready: ${details[0]}`);

    // Live cameras: one frame per camera every 1/fps s, stamped when sent. Optionally a light phase first (one
    // camera at LIGHT_FPS, below what a worker analyses), for the latency of the pipeline itself: under full load
    // the latency is mostly the wait in the detection queue.
    let seq = 0;
    let streaming = true;
    let load = { cameras: light ? cameras.slice(0, 1) : cameras, fps: light ? LIGHT_FPS : FPS };
    const lightLatencies: number[] = [];
    const stream = (async () => {
      let next = Date.now();
      while (streaming) {
        const frame = footage[seq % footage.length] as EncodedFrame;
        const ts = String(Date.now());
        await producer.send({
          topic: Topics.frames,
          acks: -1,
          messages: load.cameras.map((cameraId) => ({
            key: cameraId,
            value: frame.value,
            headers: { ...frame.headers, 'vigil-camera': cameraId, 'vigil-ts': ts, 'vigil-seq': String(seq) },
          })),
        });
        seq++;
        next += 1000 / load.fps;
        await sleep(Math.max(0, next - Date.now()));
      }
    })();
    if (light) {
      await sleep(LIGHT_S * 1000);
      lightLatencies.push(...latenciesLight.splice(0));
      load = { cameras, fps: FPS };
      phase = 'warmup';
    }

    await sleep(WARMUP_S * 1000);
    const analysed0 = sum(procs, 'framesAnalysed');
    const dropped0 = sum(procs, 'droppedBehind');
    const seq0 = seq;
    measuring = true;
    phase = 'measure';
    const t0 = Date.now();
    let killed: Worker | undefined;
    if (kill) {
      await sleep(KILL_AT_S * 1000);
      // The busiest member dies mid-batch, without leaving its group: its partitions move after the session timeout.
      killed = procs.reduce((a, b) => (b.handled.length > a.handled.length ? b : a));
      killed.proc.kill('SIGKILL');
      step(`killed a worker after it handled ${killed.handled.length} frames`);
    }
    await sleep(Math.max(0, t0 + MEASURE_S * 1000 - Date.now()));
    const seconds = (Date.now() - t0) / 1000;
    measuring = false;
    phase = 'done';
    const analysed = sum(procs, 'framesAnalysed') - analysed0;
    const dropped = sum(procs, 'droppedBehind') - dropped0;
    const offered = ((seq - seq0) * CAMERAS) / seconds;
    streaming = false;
    await stream;

    // Every event message a worker had published (acknowledged by the brokers) must reach the store.
    const published = () => new Set(procs.flatMap((w) => w.published));
    const deadline = Date.now() + 30_000;
    while ([...published()].some((k) => !deliveries.has(k)) && Date.now() < deadline) await sleep(200);
    const all = published();
    const handled = procs.flatMap((w) => w.handled);
    const storeRows = (store.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
    const distinctIds = new Set([...deliveries.keys()].map((k) => k.split(' ')[0])).size;
    if (storeRows !== distinctIds) step(`store rows ${storeRows} ≠ distinct event ids ${distinctIds}`);
    return {
      workers,
      detail: details[0] ?? '',
      offeredFps: offered,
      analysedFps: analysed / seconds,
      droppedBehindFps: dropped / seconds,
      skippedNoMotion: sum(procs, 'skippedNoMotion'),
      inferenceMsP50: procs.map((w) => w.stats?.inferenceMsP50 ?? NaN),
      eventMessagesPerSecond: storedInWindow / seconds,
      eventsStored: storeRows,
      latencyP50: pct(latencies, 50),
      latencyP95: pct(latencies, 95),
      lightLatencyP50: pct(lightLatencies, 50),
      lightLatencyP95: pct(lightLatencies, 95),
      lightSamples: lightLatencies.length,
      killed: killed !== undefined,
      killedHandled: killed?.handled.length ?? 0,
      redeliveredFrames: handled.length - new Set(handled).size,
      publishedMessages: all.size,
      lostMessages: [...all].filter((k) => !deliveries.has(k)).length,
      duplicateDeliveries: [...deliveries.values()].reduce((a, n) => a + n - 1, 0),
      storeRows,
    };
  } finally {
    await stopProcesses(procs.map((w) => w.proc));
    await producer.disconnect();
    await bus.dispose();
    await store.dispose();
    await kafka.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the real-model scenarios (1 worker, 2 workers, 2 workers with one killed) and prints their figures. */
export async function modelBench(detector: string): Promise<void> {
  const footage = await Promise.all(
    (await decodeFrames(VTEST_H264, { width: WIDTH, fps: FPS, durationSec: 60 })).map((f) =>
      encodeFrame(f, 1_000_000),
    ),
  );
  console.log(
    `real model: ${detector} (TF.js, WASM unless tfjs-node is installed), motion-gated as deployed; ${CAMERAS} cameras ` +
      `of vtest footage at ${FPS} frames/s each (${WIDTH} px wide) on ${PARTITIONS} distinct partitions, JPEG-encoded once up front; ${WARMUP_S} s warm-up, ` +
      `${MEASURE_S} s measured; load average before: ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  const cpu0 = process.cpuUsage();
  const one = await scenario(footage, detector, 1, false, true);
  const two = await scenario(footage, detector, 2, false);
  for (const r of [one, two]) {
    console.log(
      `${r.workers} worker(s) [${r.detail}]: offered ${r.offeredFps.toFixed(1)} frames/s, analysed ` +
        `${r.analysedFps.toFixed(1)} frames/s (dropped behind ${r.droppedBehindFps.toFixed(1)}/s), inference p50 ` +
        `${r.inferenceMsP50.map((m) => `${m} ms`).join(', ')}; ${r.eventMessagesPerSecond.toFixed(1)} event messages/s ` +
        `stored, ${r.eventsStored} events; latency frame→event stored under this load p50 ${r.latencyP50} ms p95 ${r.latencyP95} ms; ` +
        `event messages published ${r.publishedMessages}, lost ${r.lostMessages}, delivered twice ${r.duplicateDeliveries}`,
    );
  }
  console.log(
    `latency frame→event stored at light load (1 worker, one camera at ${LIGHT_FPS} frame/s, first ${LIGHT_S} s): ` +
      `p50 ${one.lightLatencyP50} ms p95 ${one.lightLatencyP95} ms (${one.lightSamples} event messages)`,
  );
  console.log(
    `scaling 1 → 2 workers (frames analysed/s): ×${(two.analysedFps / one.analysedFps).toFixed(2)}`,
  );
  const kill = await scenario(footage, detector, 2, true);
  console.log(
    `kill one of 2 workers (SIGKILL, ${KILL_AT_S} s into the measurement, after ${kill.killedHandled} frames): ` +
      `redelivered frames ${kill.redeliveredFrames}, event messages published ${kill.publishedMessages}, ` +
      `lost ${kill.lostMessages}, delivered twice ${kill.duplicateDeliveries}; store rows ${kill.storeRows} ` +
      `(one per event id); analysed ${kill.analysedFps.toFixed(1)} frames/s over the window`,
  );
  const cpu = process.cpuUsage(cpu0);
  console.log(
    `this process (producer + store) used ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s of CPU; ` +
      `load average after: ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
}
