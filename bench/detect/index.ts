// Detection benchmark: inference time per backend and model, throughput per core, motion gating on vtest, and
// frame-to-event latency through the whole detection service, and 8 live cameras × 5 fps (`--multi` runs only that,
// BENCH_DETECT_MULTI_SECONDS sets its length, BENCH_DETECT_MULTI_RUN=workers,on|off one configuration, and
// BENCH_DETECT_THREADS=1 prints CPU by thread). Prints figures; not a test.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryBus } from '../../backend/src/bus/memory-bus.js';
import { Topics } from '../../backend/src/contract/bus.js';
import type { AnalysisFrame } from '../../backend/src/contract/media.js';
import { DetectConfig } from '../../backend/src/contract/config/detect.js';
import type { Tensor } from '@tensorflow/tfjs';
import { createDetector } from '../../backend/src/detect/detectors/registry.js';
import type { TfBackend } from '../../backend/src/detect/detectors/tfjs-runtime.js';
import type { ObjectDetector } from '../../backend/src/contract/detector.js';
import { WorkerDetector } from '../../backend/src/detect/detectors/worker-detector.js';
import { MotionDetector } from '../../backend/src/detect/motion.js';
import { DetectionService } from '../../backend/src/detect/service.js';
import { findFfmpeg } from '../../backend/src/platform/binaries.js';
import { RawFrameAssembler } from '../../backend/src/video/raw-frames.js';
import { configureLogging } from '../../backend/src/platform/log.js';
import { decodeFrames, VTEST_H264 } from '../../test/fixtures/video-frames.js';
import { machineLine } from '../machine.js';

configureLogging({ level: 'warn' });

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
};
const f1 = (n: number) => n.toFixed(1);

interface InferenceFigures {
  model: string;
  backend: string;
  input: string;
  runs: number;
  p50: number;
  p95: number;
  pre: number;
  infer: number;
  post: number;
  detectionsPerFrame: number;
}

/** Runs in a child process: one TensorFlow.js backend per process. */
async function measureInference(
  model: string,
  backend: TfBackend,
  runs: number,
  inputSize?: number,
): Promise<InferenceFigures> {
  const frames = await decodeFrames(VTEST_H264, { width: 640, fps: 1, startSec: 5, durationSec: runs + 1 });
  const detector = await createDetector(model, { backend });
  const total: number[] = [];
  const pre: number[] = [];
  const infer: number[] = [];
  const post: number[] = [];
  let detections = 0;
  let input = '';
  for (let i = 0; i < runs; i++) {
    const frame = frames[i % frames.length];
    if (!frame) break;
    const t0 = performance.now();
    const r = await detector.detect(frame, {
      minScore: 0.35,
      nmsIou: 0.5,
      ...(inputSize ? { inputSize } : {}),
    });
    input = `${r.input.width}×${r.input.height}`;
    total.push(performance.now() - t0);
    pre.push(r.timings.preprocessMs);
    infer.push(r.timings.inferenceMs);
    post.push(r.timings.postprocessMs);
    detections += r.detections.length;
  }
  detector.dispose();
  return {
    model,
    backend: detector.backend,
    input,
    runs: total.length,
    p50: pct(total, 0.5),
    p95: pct(total, 0.95),
    pre: pct(pre, 0.5),
    infer: pct(infer, 0.5),
    post: pct(post, 0.5),
    detectionsPerFrame: detections / Math.max(1, total.length),
  };
}

async function motionGatingShare(): Promise<{ frames: number; gated: number; keepAliveFrames: number }> {
  const config = DetectConfig.parse({});
  const frames = await decodeFrames(VTEST_H264, { width: 640, fps: 5 });
  const motion = new MotionDetector(config.motion);
  let gated = 0;
  let keepAliveFrames = 0;
  let lastMotion = -Infinity;
  for (const f of frames) {
    const m = motion.update(f);
    if (m.motion) lastMotion = f.ts;
    else if (f.ts - lastMotion <= config.motion.keepAliveSec * 1000) keepAliveFrames++;
    else gated++;
  }
  return { frames: frames.length, gated, keepAliveFrames };
}

async function eventLatency(): Promise<{ p50: number; p95: number; samples: number }> {
  const frames = await decodeFrames(VTEST_H264, { cameraId: 'bench', width: 640, fps: 2, durationSec: 20 });
  const detector: ObjectDetector = await WorkerDetector.create('centernet', { backend: 'auto' });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-detect-'));
  const bus = new MemoryBus();
  await bus.subscribe(Topics.events, () => {}, { group: 'sink' });
  await bus.subscribe(Topics.detections, () => {}, { group: 'sink' });
  const service = new DetectionService({ config: DetectConfig.parse({}), bus, dataDir, detector });
  await service.start();
  // Real time: one frame every 500 ms, as a 2 fps analysis stream would arrive.
  const start = performance.now();
  for (const [i, f] of frames.entries()) {
    const due = start + i * 500;
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    await bus.publish(Topics.frames, f.cameraId, f);
  }
  await bus.drain(60_000);
  await service.idle();
  const latency = service.eventLatency();
  await service.dispose();
  await bus.dispose();
  detector.dispose();
  fs.rmSync(dataDir, { recursive: true, force: true });
  return latency;
}

/**
 * 8 cameras × 5 fps in real time, as on site: one real ffmpeg per camera decodes vtest at its own pace (-re, looped)
 * into 640×480 rgb24 analysis frames at 5 fps, the same decode work the video pipeline's analysis output does, and
 * publishes them into one detection service with `workers` detector threads. Recording and live outputs (stream
 * copies, no decode) are not included.
 */
async function multiCamera(
  workers: number,
  mosaic: boolean,
  seconds: number,
): Promise<{
  framesIn: number;
  analysed: number;
  noMotion: number;
  behind: number;
  mosaicFrames: number;
  inferenceP50: number;
  cpuPercent: number;
  decoderCpuPercent: number;
}> {
  const CAMERAS = 8;
  const [W, H] = [640, 480];
  const detectors = await Promise.all(
    Array.from({ length: workers }, () => WorkerDetector.create('centernet', { backend: 'auto' })),
  );
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-multi-'));
  const bus = new MemoryBus();
  await bus.subscribe(Topics.events, () => {}, { group: 'sink' });
  await bus.subscribe(Topics.detections, () => {}, { group: 'sink' });
  const service = new DetectionService({
    config: DetectConfig.parse({ workers, mosaic: { enabled: mosaic } }),
    bus,
    dataDir,
    detectors,
  });
  await service.start();
  await service.ready();
  const ffmpeg = findFfmpeg()?.path ?? 'ffmpeg';
  const size = W * H * 3;
  const children = Array.from({ length: CAMERAS }, (_, c) => {
    const child = spawn(
      ffmpeg,
      // Each camera starts at its own point of the footage.
      [
        ...['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-ss', String(c * 7)],
        ...[
          '-i',
          VTEST_H264,
          '-an',
          '-vf',
          `fps=5,scale=${W}:${H}:flags=bilinear`, // the video pipeline's analysis filter (ffmpeg-args.ts)
          '-f',
          'rawvideo',
          '-pix_fmt',
          'rgb24',
          '-',
        ],
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    return child;
  });
  for (const [c, child] of children.entries()) {
    let seq = 0;
    // Frames are cut from the pipe as the video pipeline does it.
    const frames = new RawFrameAssembler((data) => {
      const frame: AnalysisFrame = {
        cameraId: `cam${c}`,
        ts: Date.now(),
        seq: seq++,
        width: W,
        height: H,
        format: 'rgb24',
        data,
      };
      void bus.publish(Topics.frames, frame.cameraId, frame);
    });
    child.stdout?.on('data', (chunk: Buffer) => frames.push(chunk, size));
  }
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const threads0 = threadCpu();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  if (process.env.BENCH_DETECT_THREADS) {
    const threads1 = threadCpu();
    const used = [...threads1]
      .map(([tid, t]) => ({
        name: tid === String(process.pid) ? 'main' : `${t.name}/${tid}`,
        cpu: t.cpu - (threads0.get(tid)?.cpu ?? 0),
      }))
      .filter((t) => t.cpu > 0)
      .sort((a, b) => b.cpu - a.cpu);
    console.log(`threads: ${used.map((t) => `${t.name} ${f1((100 * t.cpu) / seconds)} %`).join(', ')}`);
  }
  const cpu = process.cpuUsage(cpu0);
  if (process.env.BENCH_DETECT_THREADS)
    console.log(`node user ${f1(cpu.user / 1e4 / seconds)} %, system ${f1(cpu.system / 1e4 / seconds)} %`);
  const wall = performance.now() - t0;
  const decoderCpu = children.reduce((sum, child) => sum + cpuSeconds(child.pid), 0);
  for (const child of children) child.kill('SIGKILL');
  const stats = service.stats();
  await service.dispose();
  await bus.dispose();
  for (const d of detectors) d.dispose();
  fs.rmSync(dataDir, { recursive: true, force: true });
  const sum = (k: 'framesIn' | 'framesAnalysed' | 'skippedNoMotion' | 'droppedBehind' | 'mosaicFrames') =>
    Object.values(stats.perCamera).reduce((a, c) => a + c[k], 0);
  return {
    framesIn: sum('framesIn'),
    analysed: sum('framesAnalysed'),
    noMotion: sum('skippedNoMotion'),
    behind: sum('droppedBehind'),
    mosaicFrames: sum('mosaicFrames'),
    inferenceP50: stats.inferenceMsP50,
    cpuPercent: (100 * (cpu.user + cpu.system)) / 1000 / wall,
    decoderCpuPercent: (100 * decoderCpu * 1000) / wall,
  };
}

/** CPU seconds of each thread of this process, by thread id (Linux /proc). */
function threadCpu(): Map<string, { name: string; cpu: number }> {
  const out = new Map<string, { name: string; cpu: number }>();
  try {
    for (const tid of fs.readdirSync('/proc/self/task')) {
      const name = fs.readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
      out.set(tid, { name, cpu: cpuSeconds(`self/task/${tid}`) });
    }
  } catch {
    // not Linux
  }
  return out;
}

/** CPU time a child process has used so far, seconds (Linux /proc; 0 elsewhere). */
function cpuSeconds(pid: number | string | undefined): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return 0;
  }
}

/** Where the default model spends its time: kernel time by operation, one profiled run after warm-up. */
async function kernelProfile(): Promise<Array<{ op: string; count: number; ms: number }>> {
  // Loaded here, not at the top: the multi-camera run's main thread holds no TensorFlow.js, like the backend's.
  const { BOX_SIDES, CLASS_LOGITS } = await import('../../backend/src/detect/detectors/centernet.js');
  const { bundledModelDir, readModelArtifacts, tensorflow, withInputSize } =
    await import('../../backend/src/detect/detectors/tfjs-runtime.js');
  const { tf } = await tensorflow('wasm');
  // The default path: a 4:3 frame at 512×384.
  const artifacts = await readModelArtifacts(path.join(bundledModelDir(), 'centernet.json'));
  const model = await tf.loadGraphModel({ load: async () => withInputSize(artifacts, 384, 512) });
  const input = tf.zeros([1, 384, 512, 3]);
  // The outputs the detector reads (class heat map and box sides); it decodes the peaks itself.
  const run = () => {
    const out = model.execute(input, [CLASS_LOGITS, BOX_SIDES]) as Tensor[];
    for (const t of out) t.dataSync();
    return out;
  };
  for (let i = 0; i < 3; i++) for (const t of run()) t.dispose();
  const info = await tf.profile(run);
  const byOp = new Map<string, { count: number; ms: number }>();
  // Each op appears twice (the op and its kernel); keep the kernels (CamelCase names).
  for (const k of info.kernels) {
    if (k.name.endsWith('__op')) continue;
    const e = byOp.get(k.name) ?? { count: 0, ms: 0 };
    e.count++;
    e.ms += Number(k.kernelTimeMs) || 0;
    byOp.set(k.name, e);
  }
  model.dispose();
  input.dispose();
  return [...byOp].map(([op, e]) => ({ op, ...e })).sort((a, b) => b.ms - a.ms);
}

async function printMultiCamera(): Promise<void> {
  const multiSeconds = Number(process.env.BENCH_DETECT_MULTI_SECONDS ?? 30);
  const cores = os.availableParallelism();
  // BENCH_DETECT_MULTI_RUN=2,on runs one configuration (workers, mosaic) instead of all three.
  const only = process.env.BENCH_DETECT_MULTI_RUN?.split(',');
  const runs: Array<[number, boolean]> = only
    ? [[Number(only[0]), only[1] !== 'off']]
    : [
        [1, false],
        [1, true],
        [Math.max(2, Math.min(4, cores)), true],
      ];
  console.log(
    `\n8 cameras × 5 fps of vtest, ${multiSeconds} s real time each, centernet, one real ffmpeg decoding each camera:`,
  );
  console.log(
    'workers  mosaic  frames in  analysed  frames/s  in mosaics  dropped behind  inference p50  node CPU  decoders CPU',
  );
  for (const [workers, mosaic] of runs) {
    const m = await multiCamera(workers, mosaic, multiSeconds);
    const motionFrames = m.framesIn - m.noMotion;
    console.log(
      `${String(workers).padEnd(8)} ${(mosaic ? 'on' : 'off').padEnd(7)} ${String(m.framesIn).padStart(9)}  ${String(m.analysed).padStart(8)}  ${f1(m.analysed / multiSeconds).padStart(8)}  ${String(m.mosaicFrames).padStart(10)}  ${`${m.behind} (${f1((100 * m.behind) / Math.max(1, motionFrames))} %)`.padStart(14)}  ${f1(m.inferenceP50).padStart(10)} ms  ${f1(m.cpuPercent).padStart(6)} %  ${f1(m.decoderCpuPercent).padStart(9)} %`,
    );
  }
}

const childArgs = process.argv.slice(2);
if (childArgs[0] === '--multi') {
  await printMultiCamera();
  process.exit(0);
}
if (childArgs[0] === '--profile') {
  console.log(`RESULT ${JSON.stringify(await kernelProfile())}`);
  process.exit(0);
}
if (childArgs[0] === '--inference') {
  const [, model, backend, runs, inputSize] = childArgs;
  const figures = await measureInference(
    model as string,
    backend as TfBackend,
    Number(runs),
    inputSize ? Number(inputSize) : undefined,
  );
  console.log(`RESULT ${JSON.stringify(figures)}`);
  process.exit(0);
}

console.log(machineLine());
console.log(
  `load average at start: ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} (other work shares these cores)`,
);
// model, backend, runs, input long side (the detector's default when absent)
const combos: Array<[string, TfBackend, number, number?]> = [
  ['centernet', 'wasm', 30],
  ['centernet', 'wasm', 30, 640],
  ['nanodet', 'wasm', 30],
  ['centernet', 'cpu', 2],
];
let tfjsNode = false;
try {
  await import('@tensorflow/tfjs-node' as string);
  tfjsNode = true;
} catch {
  console.log('tfjs-node: not installed (skipped)');
}
if (tfjsNode) combos.unshift(['centernet', 'tfjs-node', 30], ['nanodet', 'tfjs-node', 30]);

console.log('\ninference, 640×480 vtest frames, one thread (median of each stage):');
console.log(
  'model      backend    input    runs  p50 ms  p95 ms  pre ms  model ms  post ms  inferences/s/core  detections/s/core',
);
const figures: InferenceFigures[] = [];
for (const [model, backend, runs, inputSize] of combos) {
  const r = spawnSync(
    process.execPath,
    [
      ...['--import', 'tsx', import.meta.filename, '--inference', model, backend, String(runs)],
      ...(inputSize ? [String(inputSize)] : []),
    ],
    {
      encoding: 'utf8',
      maxBuffer: 1e8,
    },
  );
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) {
    console.log(
      `${model} ${backend}: failed (${r.stderr.split('\n').filter(Boolean).slice(-1)[0] ?? r.status})`,
    );
    continue;
  }
  const x = JSON.parse(line.slice(7)) as InferenceFigures;
  figures.push(x);
  const perSec = 1000 / x.p50;
  console.log(
    `${x.model.padEnd(10)} ${x.backend.padEnd(10)} ${x.input.padEnd(8)} ${String(x.runs).padEnd(5)} ${f1(x.p50).padStart(6)}  ${f1(x.p95).padStart(6)}  ${f1(x.pre).padStart(6)}  ${f1(x.infer).padStart(8)}  ${f1(x.post).padStart(7)}  ${perSec.toFixed(2).padStart(17)}  ${(perSec * x.detectionsPerFrame).toFixed(1).padStart(17)}`,
  );
}

const gating = await motionGatingShare();
console.log(
  `\nmotion gating on the whole of vtest at 5 fps: ${gating.frames} frames, ${gating.gated} skipped (${f1((100 * gating.gated) / gating.frames)} %), ${gating.keepAliveFrames} analysed only as keep-alive after motion`,
);
console.log('  (vtest has people moving in nearly every frame; a quiet camera skips nearly all)');

const latency = await eventLatency();
console.log(
  `\nframe-to-event latency (frame received → event start published, incl. snapshot JPEG), centernet in a worker, 2 fps real time: p50 ${f1(latency.p50)} ms, p95 ${f1(latency.p95)} ms over ${latency.samples} events`,
);

const prof = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--profile'], {
  encoding: 'utf8',
  maxBuffer: 1e8,
});
const profLine = prof.stdout.split('\n').find((l) => l.startsWith('RESULT '));
if (profLine) {
  const ops = JSON.parse(profLine.slice(7)) as Array<{ op: string; count: number; ms: number }>;
  const total = ops.reduce((a, o) => a + o.ms, 0);
  console.log(
    `\ncenternet on wasm at 512×384, kernel time by operation (one profiled run, ${f1(total)} ms in kernels):`,
  );
  for (const o of ops.slice(0, 10))
    console.log(
      `  ${o.op.padEnd(24)} ×${String(o.count).padEnd(4)} ${f1(o.ms).padStart(6)} ms  ${f1((100 * o.ms) / total).padStart(5)} %`,
    );
}

// In a fresh process, like the inference runs: nothing left over from the runs above shares its heap.
spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--multi'], { stdio: 'inherit' });

console.log(
  `load average at end: ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
