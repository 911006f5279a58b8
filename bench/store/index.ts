// Event store benchmark: 1,000,000 synthetic but realistic events in SQLite (on disk, WAL), then the searches an
// investigator runs, facets + histograms, and the cached live counter read through Redis.
// Run: npm run bench store   (EVENTS=200000 npm run bench store for a shorter run)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { VigilEvent } from '../../backend/src/contract/events.js';
import {
  DAY_MS,
  HOUR_MS,
  MINUTE_MS,
  parseEventQuery,
  type EventQueryInput,
} from '../../backend/src/contract/store.js';
import { CachedEventStore } from '../../backend/src/store/cached-store.js';
import { solidJpeg } from '../../test/contracts/event-store.js';
import { SqliteEventStore } from '../../backend/src/store/sqlite-store.js';
import { useRedis } from '../../test/fixtures/redis.js';
import { machineLine } from '../machine.js';

const TOTAL = Number(process.env.EVENTS ?? 1_000_000);
const CAMERAS = 32;
const DAYS = 30;
const BATCH = 1000;

// A fixed-seed generator, so every run inserts the same data.
let seed = 0x9e3779b9;
function rand(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;

// COCO labels, weighted the way street and site cameras see them.
const LABELS: Array<[string, number]> = [
  ['person', 52],
  ['car', 26],
  ['truck', 5],
  ['bicycle', 4],
  ['motorcycle', 3],
  ['bus', 2],
  ['dog', 3],
  ['cat', 1],
  ['backpack', 2],
  ['handbag', 1],
  ['suitcase', 1],
];
const LABEL_TOTAL = LABELS.reduce((n, [, w]) => n + w, 0);
function label(): string {
  let r = rand() * LABEL_TOTAL;
  for (const [l, w] of LABELS) if ((r -= w) < 0) return l;
  return 'person';
}
const ZONE_POOL = [
  'gate',
  'parking',
  'road',
  'door',
  'fence',
  'lobby',
  'loading-dock',
  'yard',
  'bike-rack',
  'stairs',
];
const cameraZones = Array.from({ length: CAMERAS }, () => {
  const n = 2 + Math.floor(rand() * 3);
  return [...new Set(Array.from({ length: n }, () => pick(ZONE_POOL)))];
});
const cameraName = (id: string) => `Camera ${id.slice(4)} ${pick(['North', 'South', 'East', 'West'])}`;
const NOTES = [
  'Red van parked by the barrier for twenty minutes',
  'Person tried the side door, walked off towards the road',
  'Delivery driver, known, badge checked',
  'Matches the incident report from the night shift',
  'Cyclist without lights going the wrong way',
];

const END = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
const START = END - DAYS * DAY_MS;
const jpeg = solidJpeg(120, 120, 120);

function makeEvent(i: number): VigilEvent {
  const cam = Math.floor(rand() * CAMERAS);
  const startTs = START + Math.floor((i / TOTAL) * (END - START)) + Math.floor(rand() * 1000);
  const duration = 2000 + Math.floor(rand() * 60_000);
  const zones = cameraZones[cam] as string[];
  const score = 0.35 + rand() * 0.64;
  const x = rand() * 0.8;
  const y = rand() * 0.6;
  const path = Array.from({ length: 8 }, (_, k) => ({
    ts: startTs + Math.floor((k * duration) / 7),
    box: [x + k * 0.01, y, x + 0.1 + k * 0.01, y + 0.3] as [number, number, number, number],
    score: Math.min(0.99, score - 0.05 + rand() * 0.05),
  }));
  const e: VigilEvent = {
    id: `cam-${cam}:${startTs}:${i}`,
    cameraId: `cam-${cam}`,
    label: label(),
    phase: 'end',
    startTs,
    lastTs: startTs + duration,
    endTs: startTs + duration,
    topScore: score,
    box: [x, y, x + 0.1, y + 0.3],
    zones: rand() < 0.6 ? [pick(zones)] : rand() < 0.5 ? zones.slice(0, 2) : [],
    path,
  };
  if (rand() < 0.02) e.snapshot = { ts: startTs + 500, score, cropJpeg: jpeg };
  return e;
}

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}
const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 1)} ms`;

/** What a timed step measured itself (a second page timed without its first). */
interface Measured {
  wallMs: number;
  cpuMs: number;
}
const cpuMs = (since: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1000;
};

/** Wall times of n runs, with their CPU times as `cpu` (the queries run on this thread). */
async function timeIt(n: number, fn: (i: number) => Promise<unknown>): Promise<number[] & { cpu: number[] }> {
  const out = Object.assign([] as number[], { cpu: [] as number[] });
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const r = await fn(i);
    const own = r && typeof r === 'object' && 'wallMs' in r ? (r as Measured) : undefined;
    out.push(own?.wallMs ?? performance.now() - t0);
    out.cpu.push(own?.cpuMs ?? cpuMs(c0));
  }
  return out;
}

/** p50 and p95 of wall time, then of CPU time. */
const figures = (t: number[] & { cpu: number[] }) =>
  `p50 ${ms(pct(t, 50))}, p95 ${ms(pct(t, 95))} (CPU p50 ${ms(pct(t.cpu, 50))}, p95 ${ms(pct(t.cpu, 95))})`;

console.log(machineLine());
console.log(
  `load average at start: ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} (the machine is shared)`,
);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-store-'));
const file = path.join(dir, 'events.db');
const names = new Map(Array.from({ length: CAMERAS }, (_, c) => [`cam-${c}`, cameraName(`cam-${c}`)]));
const store = new SqliteEventStore({ file, cameraName: (id) => names.get(id) });

try {
  // 1. Insert, batched like the event writer does.
  let inserted = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let genMs = 0;
  let storeCpuUs = 0;
  while (inserted < TOTAL) {
    const g0 = performance.now();
    const batch = Array.from({ length: Math.min(BATCH, TOTAL - inserted) }, (_, k) =>
      makeEvent(inserted + k),
    );
    genMs += performance.now() - g0;
    const s0 = process.cpuUsage();
    store.upsertEventsSync(batch);
    const s = process.cpuUsage(s0);
    storeCpuUs += s.user + s.system;
    inserted += batch.length;
    if (inserted % 200_000 === 0) console.log(`  … ${inserted} events`);
  }
  const insertS = (performance.now() - t0 - genMs) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // The process's CPU time includes generating the events; the store's alone is counted around its calls
  // (garbage collection and compilation threads working meanwhile included).
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const storeCpuS = storeCpuUs / 1e6;
  console.log(
    `insert: ${TOTAL} events in ${insertS.toFixed(1)} s wall → ${Math.round(TOTAL / insertS)} events/s; ` +
      `${cpuS.toFixed(1)} s of CPU with the event generator → ${Math.round(TOTAL / cpuS)} events per CPU-second; ` +
      `${storeCpuS.toFixed(1)} s of CPU in the store → ${Math.round(TOTAL / storeCpuS)} events per CPU-second ` +
      `(batches of ${BATCH}, 8-point paths, 2% with a snapshot file; load average now ${os.loadavg()[0]?.toFixed(1)})`,
  );

  // Notes and retain flags, as investigators would leave them.
  const some = store.db
    .prepare<[], { id: string }>(`SELECT id FROM events ORDER BY rid DESC LIMIT 5000`)
    .all();
  for (let i = 0; i < some.length; i += 10) {
    const id = some[i]?.id as string;
    await store.annotations.updateEvent(
      id,
      { note: pick(NOTES), tags: rand() < 0.3 ? ['case-12'] : [], retain: rand() < 0.4 },
      'investigator',
    );
  }

  // Merge rate: lifecycle updates to recent events.
  const recent = store.db
    .prepare<[], { id: string; camera_id: string; label: string; start_ts: number }>(
      `SELECT id, camera_id, label, start_ts FROM events ORDER BY rid DESC LIMIT 20000`,
    )
    .all();
  const u0 = performance.now();
  const ucpu0 = process.cpuUsage();
  for (let i = 0; i < recent.length; i += BATCH) {
    store.upsertEventsSync(
      recent.slice(i, i + BATCH).map((r) => ({
        id: r.id,
        cameraId: r.camera_id,
        label: r.label,
        phase: 'update' as const,
        startTs: r.start_ts,
        lastTs: r.start_ts + 90_000,
        topScore: 0.97,
        box: [0.2, 0.2, 0.3, 0.5] as [number, number, number, number],
        zones: ['gate'],
        path: [
          {
            ts: r.start_ts + 90_000,
            box: [0.2, 0.2, 0.3, 0.5] as [number, number, number, number],
            score: 0.97,
          },
        ],
      })),
    );
  }
  const ucpu = process.cpuUsage(ucpu0);
  console.log(
    `merge: ${recent.length} update messages → ${Math.round(recent.length / ((performance.now() - u0) / 1000))} updates/s wall; ` +
      `${Math.round(recent.length / ((ucpu.user + ucpu.system) / 1e6))} updates per CPU-second`,
  );
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  store.db.exec('ANALYZE');

  // 2. Five investigator searches, each run with varying parameters.
  const now = END;
  const cam = (i: number) => `cam-${i % CAMERAS}`;
  const searches: Array<[string, (i: number) => EventQueryInput]> = [
    ['last 24 h, everything, newest first (page 1 + total)', () => ({})],
    [
      'person on one camera, 7 days, score ≥ 0.8',
      (i) => ({ cameras: cam(i), labels: 'person', minScore: '0.8', from: now - 7 * DAY_MS, to: now }),
    ],
    [
      'car in zone "parking", last 24 h',
      (i) => ({
        labels: 'car',
        zones: 'parking',
        from: now - DAY_MS - i * MINUTE_MS,
        to: now - i * MINUTE_MS,
      }),
    ],
    ['free text "red van", 30 days', (i) => ({ q: i % 2 ? 'red van' : 'side door', from: START, to: now })],
    [
      '3 cameras, person+bicycle, 3 days, oldest first, page 2',
      (i) => ({
        cameras: `${cam(i)},${cam(i + 5)},${cam(i + 9)}`,
        labels: 'person,bicycle',
        from: now - 3 * DAY_MS,
        to: now,
        sort: 'oldest',
        limit: '100',
      }),
    ],
  ];
  for (const [name, input] of searches) {
    const times = await timeIt(40, async (i) => {
      const q = parseEventQuery(input(i), now);
      const first = await store.search(q);
      if (name.includes('page 2') && first.nextCursor) {
        const t = performance.now();
        const c = process.cpuUsage();
        await store.search(parseEventQuery({ ...input(i), cursor: first.nextCursor }, now));
        return { wallMs: performance.now() - t, cpuMs: cpuMs(c) } satisfies Measured;
      }
      return first;
    });
    console.log(`search ${name}: ${figures(times)}`);
  }
  const retained = await timeIt(30, () =>
    store.search(parseEventQuery({ retained: 'true', from: START, to: now }, now)),
  );
  console.log(`search retained events, 30 days: ${figures(retained)}`);

  // 3. Facets + histogram together, as the search page loads them.
  const ranges: Array<[string, (i: number) => EventQueryInput]> = [
    ['last hour', () => ({ from: now - HOUR_MS, to: now })],
    ['last 24 h', () => ({})],
    ['7 days, person', () => ({ from: now - 7 * DAY_MS, to: now, labels: 'person' })],
    ['7 days, one camera', (i) => ({ from: now - 7 * DAY_MS, to: now, cameras: cam(i) })],
    ['30 days, everything', () => ({ from: START, to: now })],
  ];
  for (const [name, input] of ranges) {
    const times = await timeIt(name.startsWith('30 days') ? 6 : 20, async (i) => {
      const q = parseEventQuery(input(i), now);
      await Promise.all([store.facets(q), store.histogram(q)]);
    });
    console.log(`facets + histogram ${name}: ${figures(times)}`);
  }

  const size = fs.statSync(file).size + (fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0);
  console.log(
    `database: ${(size / 2 ** 20).toFixed(0)} MiB (${(size / TOTAL).toFixed(0)} bytes/event), snapshots: ${store.db.prepare('SELECT count(*) AS n FROM events WHERE has_crop = 1').pluck().get() as number} files`,
  );
  console.log(`RSS: ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
  console.log(`load average after the queries: ${os.loadavg()[0]?.toFixed(1)}`);

  // 4. Redis: cached live counter and a cached search.
  const redis = await useRedis();
  const cached = new CachedEventStore(store, { url: redis.url, keyPrefix: `vigil-bench-${process.pid}:` });
  try {
    await cached.ready();
    const live = Array.from({ length: 200 }, (_, i) => ({
      ...makeEvent(TOTAL + i),
      id: `live-${i}`,
      startTs: Date.now(),
    }));
    await cached.upsertEvents(live);
    const reads = await timeIt(2000, () => cached.liveStats());
    const check = await cached.liveStats();
    console.log(
      `cached live counter read (${check.source}, ${check.total} events this minute): ${figures(reads)}`,
    );
    const uncachedLive = await timeIt(200, () => store.liveStats());
    console.log(`live counters from SQLite (no cache): ${figures(uncachedLive)}`);
    const q = parseEventQuery({}, Date.now());
    await cached.facets(q);
    const hits = await timeIt(500, () => cached.facets(q));
    console.log(`cached facets of the last 24 h (hit): ${figures(hits)}`);
  } finally {
    // Closes the Redis connection and the database (the outer dispose is then a no-op).
    await cached.dispose();
    await redis.stop();
  }
} finally {
  await store.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
}
