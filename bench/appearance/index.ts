// Appearance index benchmark: VECTORS descriptors (default 10,000) of people on 16 cameras over a day in the
// embedded SQLite index, then "find this person on other cameras" over the default window (an hour) and over the
// whole day, plus the cost of one descriptor of a person-sized box.
// Run: npm run bench appearance   (VECTORS=100000 npm run bench appearance for a larger site)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AppearanceEntry } from '../../backend/src/contract/appearance.js';
import { APPEARANCE_LENGTH, describeAppearance } from '../../backend/src/appearance/descriptor.js';
import { SqliteAppearanceIndex } from '../../backend/src/appearance/sqlite-index.js';
import { machineLine } from '../machine.js';

const TOTAL = Number(process.env.VECTORS ?? 10_000);
const CAMERAS = 16;
const DAY = 86_400_000;
const QUERIES = 50;

let seed = 0x2545f491;
function rand(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}

/** A unit vector with the sparse, non-negative shape of real descriptors (a few strong histogram bins). */
function vector(): number[] {
  const v = Array.from({ length: APPEARANCE_LENGTH }, () => (rand() < 0.2 ? rand() : 0));
  const n = Math.hypot(...v) || 1;
  return v.map((x) => Math.round((x / n) * 10_000) / 10_000);
}

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-appearance-'));
const index = new SqliteAppearanceIndex(path.join(dir, 'appearance.db'));
const t0 = Date.UTC(2026, 0, 15);
try {
  console.log(machineLine());
  const entries: AppearanceEntry[] = [];
  for (let i = 0; i < TOTAL; i++)
    entries.push({
      eventId: `cam-${i % CAMERAS}:${i}`,
      cameraId: `cam-${i % CAMERAS}`,
      family: rand() < 0.7 ? 'person' : 'vehicle',
      ts: t0 + Math.floor(rand() * DAY),
      appearance: { v: 1, vector: vector() },
    });
  let start = process.hrtime.bigint();
  for (let i = 0; i < entries.length; i += 500) await index.put(entries.slice(i, i + 500));
  console.log(
    `put ${TOTAL} descriptors (${APPEARANCE_LENGTH} dims) in batches of 500: ${ms(start).toFixed(0)} ms`,
  );

  for (const [name, span] of [
    ['default window (1 h)', 3_600_000],
    ['whole day', DAY],
  ] as const) {
    const times: number[] = [];
    for (let q = 0; q < QUERIES; q++) {
      const mid = t0 + span / 2 + Math.floor(rand() * (DAY - span));
      start = process.hrtime.bigint();
      await index.nearest({
        appearance: { v: 1, vector: vector() },
        family: 'person',
        from: mid - span / 2,
        to: mid + span / 2,
        excludeCameras: ['cam-0'],
        limit: 30,
      });
      times.push(ms(start));
    }
    const candidates = Math.round(TOTAL * 0.7 * (span / DAY) * (15 / 16));
    console.log(
      `nearest 30, ${name} (~${candidates} candidates): median ${median(times).toFixed(2)} ms, max ${Math.max(...times).toFixed(2)} ms`,
    );
  }

  // One descriptor of a person-sized box (120×300 pixels) in a 1280×720 frame.
  const image = { width: 1280, height: 720, data: new Uint8Array(1280 * 720 * 3) };
  for (let i = 0; i < image.data.length; i++) image.data[i] = Math.floor(rand() * 256);
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    start = process.hrtime.bigint();
    describeAppearance(image, [0.4, 0.2, 0.49, 0.62]);
    times.push(ms(start));
  }
  console.log(`describeAppearance, person box 120×300 px: median ${median(times).toFixed(3)} ms`);
} finally {
  await index.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
}
