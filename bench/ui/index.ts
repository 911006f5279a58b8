// A 16-tile live wall in headless Chromium with detection overlays, against the real backend and an RTSP camera
// serving the demo footage. Prints: stalled tiles, dropped frames, renderer main-thread busy %, JS heap growth,
// glass-to-glass delay (capture time of the displayed frame → now) and overlay sync (boxes vs displayed frame).
// After the measured run, a CPU profile of the renderer's main thread shows where its time goes (top functions).
//   BENCH_UI_SECONDS (default 120), BENCH_UI_CAMERAS (default 1: every tile shows the same camera; 16 = one RTSP
//   camera per tile, which also loads the backend with 16 ingest + detection pipelines), BENCH_UI_PROFILE_SECONDS
//   (default 10; 0 = no profile).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openBrowserSession, spawnBackend } from '../../test/fixtures/backend.js';
import { launchChromium } from '../../test/fixtures/browser.js';
import { RtspFixture } from '../../test/fixtures/rtsp.js';
import { machineLine } from '../machine.js';

const SECONDS = Number(process.env.BENCH_UI_SECONDS ?? 120);
const CAMERAS = Math.max(1, Math.min(16, Number(process.env.BENCH_UI_CAMERAS ?? 1)));
const TILES = 16;
const PROFILE_SECONDS = Number(process.env.BENCH_UI_PROFILE_SECONDS ?? 10);

const loadLine = () =>
  `load average: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')}`;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

/**
 * CPU time (s) of every Chromium renderer main thread (CrRendererMain) on this machine, by process id. Thread CPU
 * time does not grow while the thread waits for a core, so it stays comparable on a loaded machine where the
 * DevTools task durations (wall time) do not. Linux only; empty elsewhere.
 */
function rendererMainThreadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  const hz = 100; // USER_HZ on Linux
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      if (!fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer')) continue;
      // The main thread of a renderer (CrRendererMain) is the process's first thread: Chromium leaves its name alone.
      const stat = fs.readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, (Number(fields[11]) + Number(fields[12])) / hz);
    } catch {
      /* the process ended meanwhile */
    }
  }
  return out;
}

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: { name?: string };
}

/**
 * Self time per trace event name on the renderer's main thread (CrRendererMain), largest first: shows native work
 * (paint, media, layout) that a JavaScript profile lumps together as "(program)".
 */
function topTraceEvents(events: TraceEvent[], n: number): Array<{ name: string; ms: number }> {
  const main = events.find(
    (e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain',
  );
  if (!main) return [];
  const spans = events
    .filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.dur !== undefined)
    .sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
  const self = new Map<string, number>();
  const stack: Array<{ end: number; name: string }> = [];
  for (const e of spans) {
    const end = e.ts + (e.dur ?? 0);
    while (stack.length && (stack[stack.length - 1]?.end ?? 0) <= e.ts) stack.pop();
    const parent = stack[stack.length - 1];
    if (parent) self.set(parent.name, (self.get(parent.name) ?? 0) - (e.dur ?? 0) / 1000);
    self.set(e.name, (self.get(e.name) ?? 0) + (e.dur ?? 0) / 1000);
    stack.push({ end, name: e.name });
  }
  return [...self.entries()]
    .map(([name, ms]) => ({ name, ms }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, n);
}

/** Self time per function of a CDP CPU profile, largest first. */
function topFunctions(profile: CpuProfile, n: number): Array<{ name: string; ms: number; share: number }> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const node = byId.get(samples[i] ?? -1);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? ` ${path.basename(url.split('?')[0] ?? url)}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'}${where}`;
    self.set(key, (self.get(key) ?? 0) + (deltas[i] ?? 0) / 1000);
  }
  const total = (profile.endTime - profile.startTime) / 1000;
  return [...self.entries()]
    .map(([name, ms]) => ({ name, ms, share: ms / total }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, n);
}

interface TileSample {
  key: string;
  currentTime: number;
  displayedWallMs?: number;
  drawnTs?: number;
  boxes: number;
  stalls: number;
  droppedFrames: number;
  draws: number;
  now: number;
}

/** What each wall tile publishes on `window.vigilTiles` (see renderer/src/live/LiveTile.tsx). */
interface TileStatsLike {
  currentTime: number;
  displayedWallMs?: number;
  drawnTs?: number;
  boxes: number;
  stalls: number;
  droppedFrames: number;
  draws?: number;
}
type WallWindow = Window & { vigilTiles?: Map<string, TileStatsLike> };

/** CPU share of the busiest renderer main thread between two readings, as text. */
function mainThreadCpuShare(
  before: Map<string, number>,
  after: Map<string, number>,
  seconds: number,
): string {
  let busiest = NaN;
  for (const [key, cpu] of after) {
    const used = cpu - (before.get(key) ?? 0);
    if (!(used <= busiest)) busiest = used;
  }
  return Number.isNaN(busiest) ? 'n/a' : `${((100 * busiest) / seconds).toFixed(1)} %`;
}

function quantile(values: number[], q: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

function slopePerMinute(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den ? (num / den) * 60_000 : NaN;
}

console.log(machineLine());
console.log(`ui wall: ${TILES} tiles, ${CAMERAS} camera(s), ${SECONDS} s; ${loadLine()} at the start`);
const rtsp = await RtspFixture.start();
const ids = Array.from({ length: CAMERAS }, (_, i) => `cam${i + 1}`);
const backend = await spawnBackend(
  {
    cameras: ids.map((id, i) => ({
      id,
      name: `Plaza ${i + 1}`,
      main: { kind: 'rtsp' as const, url: rtsp.url },
    })),
  },
  { timeoutMs: 90_000 },
);
const browser = await launchChromium();
try {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  await context.addCookies([
    {
      name: 'vigil_session',
      value: await openBrowserSession(backend),
      domain: new URL(backend.url).hostname,
      path: '/',
    },
  ]);
  const page = await context.newPage();
  const tiles = Array.from({ length: TILES }, (_, i) => ids[i % ids.length]).join(',');
  await page.goto(`${backend.url}/#/wall?layout=${encodeURIComponent(`4x4:${tiles}`)}&name=bench`);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  // Warm-up: every tile playing.
  const warm = Date.now();
  await page.waitForFunction(
    (n) =>
      [...((window as WallWindow).vigilTiles?.values() ?? [])].filter((t) => t.currentTime > 0.5).length >= n,
    TILES,
    { timeout: 90_000, polling: 500 },
  );
  console.log(`all ${TILES} tiles playing after ${((Date.now() - warm) / 1000).toFixed(1)} s`);

  const metrics = async (collectGarbage = false) => {
    // Heap after a full collection: garbage waiting for the next GC is not growth.
    if (collectGarbage) await cdp.send('HeapProfiler.collectGarbage');
    const { metrics: m } = (await cdp.send('Performance.getMetrics')) as {
      metrics: Array<{ name: string; value: number }>;
    };
    const get = (name: string) => m.find((x) => x.name === name)?.value ?? NaN;
    return {
      task: get('TaskDuration'),
      script: get('ScriptDuration'),
      layout: get('LayoutDuration'),
      style: get('RecalcStyleDuration'),
      heap: get('JSHeapUsedSize'),
      t: Date.now(),
    };
  };
  const sample = () =>
    page.evaluate(() =>
      [...((window as WallWindow).vigilTiles?.entries() ?? [])].map(([key, t]) => ({
        key,
        currentTime: t.currentTime,
        displayedWallMs: t.displayedWallMs,
        drawnTs: t.drawnTs,
        boxes: t.boxes,
        stalls: t.stalls,
        droppedFrames: t.droppedFrames,
        draws: t.draws ?? 0,
        now: Date.now(),
      })),
    ) as Promise<TileSample[]>;

  await cdp.send('HeapProfiler.enable');
  const cpuStart = rendererMainThreadCpu();
  const start = await metrics(true);
  const first = await sample();
  const heap: Array<[number, number]> = [[start.t, start.heap]];
  const g2g: number[] = [];
  const sync: number[] = [];
  const syncAbs: number[] = [];
  const windowsStalled = new Map<string, number>();
  let prev = first;
  let withBoxes = 0;
  let samples = 0;
  const end = Date.now() + SECONDS * 1000;
  let lastWindow = Date.now();
  while (Date.now() < end) {
    await page.waitForTimeout(1000);
    const s = await sample();
    for (const t of s) {
      samples++;
      if (t.displayedWallMs) g2g.push(t.now - t.displayedWallMs);
      if (t.boxes > 0) {
        withBoxes++;
        if (t.drawnTs && t.displayedWallMs) {
          sync.push(t.displayedWallMs - t.drawnTs);
          syncAbs.push(Math.abs(t.displayedWallMs - t.drawnTs));
        }
      }
    }
    if (Date.now() - lastWindow >= 10_000) {
      lastWindow = Date.now();
      for (const t of s) {
        const p = prev.find((x) => x.key === t.key);
        if (p && t.currentTime <= p.currentTime)
          windowsStalled.set(t.key, (windowsStalled.get(t.key) ?? 0) + 1);
      }
      prev = s;
      const m = await metrics(true);
      heap.push([m.t, m.heap]);
    }
  }
  const stop = await metrics(true);
  const cpuStop = rendererMainThreadCpu();
  const last = await sample();
  heap.push([stop.t, stop.heap]);
  const elapsedS = (stop.t - start.t) / 1000;
  const busy = (stop.task - start.task) / elapsedS;
  const share = (a: number, b: number) => `${((100 * (b - a)) / elapsedS).toFixed(1)} %`;
  const draws = last.reduce((a, t) => a + t.draws, 0) - first.reduce((a, t) => a + t.draws, 0);
  const dropped =
    last.reduce((a, t) => a + t.droppedFrames, 0) - first.reduce((a, t) => a + t.droppedFrames, 0);
  const decoded = await page.evaluate(() =>
    Array.from(document.querySelectorAll('video')).reduce(
      (a, v) => a + (v.getVideoPlaybackQuality?.().totalVideoFrames ?? 0),
      0,
    ),
  );
  const stalledTiles = [...windowsStalled.entries()].filter(([, n]) => n > 0);
  const stallEvents = last.reduce((a, t) => a + t.stalls, 0) - first.reduce((a, t) => a + t.stalls, 0);
  const lines = [
    `tiles playing at the end: ${last.filter((t) => t.currentTime > (first.find((f) => f.key === t.key)?.currentTime ?? 0)).length}/${TILES}`,
    `stalled tiles (a 10 s window without progress): ${stalledTiles.length}${stalledTiles.length ? ` (${stalledTiles.map(([k, n]) => `${k}×${n}`).join(', ')})` : ''}; player stall events: ${stallEvents}`,
    `dropped video frames: ${dropped} of ${decoded} decoded`,
    `renderer main thread busy: ${(busy * 100).toFixed(1)} % (script ${share(start.script, stop.script)}, layout ${share(start.layout, stop.layout)}, style ${share(start.style, stop.style)})`,
    `renderer main thread CPU time: ${mainThreadCpuShare(cpuStart, cpuStop, elapsedS)} of one core (busiest renderer; not inflated by waiting for a core)`,
    `overlay redraws: ${(draws / elapsedS).toFixed(1)} per second over ${TILES} tiles`,
    `JS heap: ${(start.heap / 2 ** 20).toFixed(1)} MB → ${(stop.heap / 2 ** 20).toFixed(1)} MB, trend ${(slopePerMinute(heap) / 2 ** 20).toFixed(2)} MB/min`,
    `glass-to-glass (capture → displayed): median ${quantile(g2g, 0.5).toFixed(0)} ms, p95 ${quantile(g2g, 0.95).toFixed(0)} ms`,
    `overlay sync error (displayed frame time − drawn boxes' frame time): |error| median ${quantile(syncAbs, 0.5).toFixed(0)} ms, p95 ${quantile(syncAbs, 0.95).toFixed(0)} ms (signed median ${quantile(sync, 0.5).toFixed(0)} ms); tiles showing boxes ${((100 * withBoxes) / Math.max(1, samples)).toFixed(0)} % of samples`,
    loadLine(),
  ];
  for (const l of lines) console.log(l);
  if (PROFILE_SECONDS > 0) {
    // After the measurement (the profiler costs time of its own): where the main thread's time goes.
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 1000 });
    await cdp.send('Profiler.start');
    await page.waitForTimeout(PROFILE_SECONDS * 1000);
    const { profile } = (await cdp.send('Profiler.stop')) as { profile: CpuProfile };
    console.log(`renderer main thread, ${PROFILE_SECONDS} s CPU profile, top self time:`);
    for (const f of topFunctions(profile, 12))
      console.log(
        `  ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.ms.toFixed(0).padStart(6)} ms  ${f.name}`,
      );
    // The same for native work, from a Chromium trace of the main thread.
    const events: TraceEvent[] = [];
    // CDP events by method name (playwright-core's typings list only some of them).
    const events$ = cdp as unknown as {
      on(method: string, fn: (params: { value: TraceEvent[] }) => void): void;
      once(method: string, fn: () => void): void;
    };
    const done = new Promise<void>((resolve) => events$.once('Tracing.tracingComplete', resolve));
    events$.on('Tracing.dataCollected', (params) => events.push(...params.value));
    await cdp.send('Tracing.start', {
      categories: 'toplevel,devtools.timeline,blink,cc,media,gpu,disabled-by-default-devtools.timeline',
      transferMode: 'ReportEvents',
    });
    const traceSeconds = Math.min(5, PROFILE_SECONDS);
    await page.waitForTimeout(traceSeconds * 1000);
    await cdp.send('Tracing.end');
    await done;
    console.log(`renderer main thread, ${traceSeconds} s trace, top self time by event:`);
    for (const e of topTraceEvents(events, 15))
      console.log(
        `  ${((100 * e.ms) / (traceSeconds * 1000)).toFixed(1).padStart(5)} %  ${e.ms.toFixed(0).padStart(6)} ms  ${e.name}`,
      );
  }
  const detect = (await (
    await fetch(`${backend.url}/api/detect/stats`, { headers: { authorization: `Bearer ${backend.token}` } })
  ).json()) as {
    inferenceMsP50?: number;
  };
  console.log(`detection inference p50 during the run: ${detect.inferenceMsP50 ?? 'n/a'} ms`);
} finally {
  await browser.close();
  await backend.stop();
  await rtsp.dispose();
  fs.rmSync(backend.home, { recursive: true, force: true });
}
