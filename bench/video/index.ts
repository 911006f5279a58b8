// Video pipeline cost per camera: N cameras served by the RTSP fixture (vtest 768x576 H.264, 10 fps), each recorded,
// streamed live (fMP4, no viewer) and analysed at 5 fps (640 px wide frames on the bus, consumed by a counting
// subscriber). Prints CPU % of one core and RSS per camera (backend process + its ffmpeg children, from /proc) and
// the frame backlog over time. BENCH_SECONDS sets the measured time per configuration (default 60).
import fs from 'node:fs';
import os from 'node:os';
import { Topics } from '../../backend/src/contract/bus.js';
import type { AnalysisFrame } from '../../backend/src/contract/media.js';
import { RtspFixture } from '../../test/fixtures/rtsp.js';
import { childPids } from '../../test/helpers/leaks.js';
import { startTestApp, waitFor } from '../../test/helpers/video.js';
import { machineLine } from '../machine.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const COUNTS = (process.env.BENCH_CAMERAS ?? '1,4,8').split(',').map(Number);
/** Clock ticks per second in /proc (USER_HZ; 100 on Linux). */
const TICK = 100;

function cpuTicks(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime
  } catch {
    return 0;
  }
}

function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function run(rtsp: RtspFixture, n: number): Promise<void> {
  const cameras = Array.from({ length: n }, (_, i) => ({
    id: `cam-${i + 1}`,
    name: `Camera ${i + 1}`,
    main: { kind: 'rtsp' as const, url: rtsp.url },
    analysis: { fps: 5, width: 640 },
  }));
  // The RTSP fixture's own processes (the "cameras") are children of this process too: leave them out.
  const fixturePids = new Set(childPids(process.pid));
  const app = await startTestApp({ cameras });
  let received = 0;
  let maxLagMs = 0;
  await app.bus.subscribe<AnalysisFrame>(
    Topics.frames,
    (f) => {
      received++;
      maxLagMs = Math.max(maxLagMs, Date.now() - f.ts);
    },
    { group: 'bench' },
  );
  try {
    await waitFor(
      'all cameras streaming',
      () => app.video.statuses().every((s) => s.state === 'streaming'),
      60_000,
    );
    await new Promise((r) => setTimeout(r, 5000)); // warm-up
    const ffmpegPids = (): number[] => childPids(process.pid).filter((p) => !fixturePids.has(p));
    const pids = (): number[] => [process.pid, ...ffmpegPids()];
    const t0 = Date.now();
    const cpu0 = new Map(pids().map((p) => [p, cpuTicks(p)]));
    const received0 = received;
    const dropped0 = app.bus.stats(Topics.frames).dropped;
    const rssSamples: number[] = [];
    const backlog: string[] = [];
    const end = t0 + SECONDS * 1000;
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, Math.min(10_000, end - Date.now())));
      const s = app.bus.stats(Topics.frames);
      rssSamples.push(pids().reduce((a, p) => a + rssBytes(p), 0));
      backlog.push(
        `${Math.round((Date.now() - t0) / 1000)}s:${s.depth}q/${s.dropped - dropped0}d/${maxLagMs}ms`,
      );
      maxLagMs = 0;
    }
    const wall = (Date.now() - t0) / 1000;
    let nodeTicks = 0;
    let ffTicks = 0;
    for (const p of pids()) {
      const d = cpuTicks(p) - (cpu0.get(p) ?? 0);
      if (p === process.pid) nodeTicks += d;
      else ffTicks += d;
    }
    const cpuPct = ((nodeTicks + ffTicks) / TICK / wall) * 100;
    const rss = rssSamples.reduce((a, b) => a + b, 0) / Math.max(1, rssSamples.length);
    const ffRss = ffmpegPids().reduce((a, p) => a + rssBytes(p), 0);
    const statuses = app.video.statuses();
    const segs = cameras.reduce((a, c) => a + app.video.index.segments(c.id, t0, Date.now()).length, 0);
    console.log(
      `${n} camera(s), ${wall.toFixed(0)} s: CPU ${cpuPct.toFixed(1)} % of one core total ` +
        `(${(cpuPct / n).toFixed(1)} %/camera; node ${((nodeTicks / TICK / wall) * 100).toFixed(1)} %, ffmpeg ${((ffTicks / TICK / wall) * 100).toFixed(1)} %), ` +
        `RSS ${(rss / 2 ** 20).toFixed(0)} MiB total (${(rss / n / 2 ** 20).toFixed(0)} MiB/camera incl. the shared node process; ffmpeg ${(ffRss / n / 2 ** 20).toFixed(0)} MiB/camera), ` +
        `analysis ${((received - received0) / wall / n).toFixed(2)} fps/camera, fps in ${statuses.map((s) => s.fpsIn).join('/')}, segments ${segs}`,
    );
    console.log(
      `  frame backlog (queue depth / frames dropped since start / max frame age at delivery): ${backlog.join('  ')}`,
    );
  } finally {
    await app.cleanup();
  }
}

console.log(machineLine());
console.log(
  `load average at start: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (other work on the machine inflates CPU figures)`,
);
for (const n of COUNTS) {
  // A fresh RTSP server per configuration: the fixture's shared media does not come back once every client left.
  const rtsp = await RtspFixture.start();
  try {
    await run(rtsp, n);
  } finally {
    await rtsp.dispose();
  }
}
