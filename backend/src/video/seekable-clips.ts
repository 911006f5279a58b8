import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SegmentRecord } from '../contract/video.js';
import { trackChild } from '../platform/child-tracker.js';

/** How long an assembled clip is kept for the next byte-range request of the same player. */
const KEEP_MS = 3 * 60_000;
/** Most assembled clips kept at once (a playback view of 16 cameras holds 16, a few more while it moves on). */
const MAX_CLIPS = 40;

interface Entry {
  file: Promise<{ file: string; bytes: number }>;
  used: number;
}

/**
 * Clips as whole MP4 files (moov first), for players that seek: a browser treats a response without byte ranges as
 * a live stream and refuses every seek in it (its seekable range is empty), so playback tiles, which must seek
 * to the shared instant, get these instead of the streamed clip. Assembled with -c copy from whole segments and
 * kept for a few minutes, since a player asks for one file in several ranges.
 */
export class SeekableClipCache {
  readonly #dir: string;
  readonly #entries = new Map<string, Entry>();

  constructor(private readonly ffmpeg: string) {
    this.#dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-playback-'));
  }

  /** The clip file of [from, to) of `cameraId`, assembling it from `segments` (local files) on first use. */
  get(
    cameraId: string,
    from: number,
    to: number,
    segments: () => Promise<Array<{ segment: SegmentRecord; file: string }>>,
  ): Promise<{ file: string; bytes: number }> {
    const key = `${cameraId}_${from}_${to}`;
    const now = Date.now();
    this.#evict(now);
    const hit = this.#entries.get(key);
    if (hit) {
      hit.used = now;
      return hit.file;
    }
    const file = path.join(this.#dir, `${key}.mp4`);
    const entry: Entry = { used: now, file: segments().then((s) => this.#assemble(s, from, to, file)) };
    entry.file.catch(() => this.#entries.delete(key));
    this.#entries.set(key, entry);
    return entry.file;
  }

  #evict(now: number): void {
    const old = [...this.#entries.entries()].sort((a, b) => a[1].used - b[1].used);
    for (const [key, e] of old) {
      if (now - e.used < KEEP_MS && this.#entries.size <= MAX_CLIPS) break;
      this.#entries.delete(key);
      void e.file.then(
        (f) => fs.promises.rm(f.file, { force: true }),
        () => undefined,
      );
    }
  }

  async #assemble(
    parts: Array<{ segment: SegmentRecord; file: string }>,
    from: number,
    to: number,
    out: string,
  ): Promise<{ file: string; bytes: number }> {
    const lines = ['ffconcat version 1.0'];
    for (const [i, { segment, file }] of parts.entries()) {
      lines.push(`file '${file.replace(/'/g, "'\\''")}'`);
      if (i === 0 && from > segment.start)
        lines.push(`inpoint ${((from - segment.start) / 1000).toFixed(3)}`);
      if (i === parts.length - 1 && to < segment.end)
        lines.push(`outpoint ${((to - segment.start) / 1000).toFixed(3)}`);
    }
    const list = `${out}.ffconcat`;
    fs.writeFileSync(list, `${lines.join('\n')}\n`);
    const partial = `${out}.partial.mp4`;
    const child = trackChild(
      spawn(
        this.ffmpeg,
        [
          ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-f', 'concat', '-safe', '0'],
          ...['-i', list, '-map', '0:v', '-c', 'copy', '-movflags', '+faststart', partial],
        ],
        { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } },
      ),
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    try {
      const code = await new Promise<number | null>((resolve, reject) => {
        child.once('error', reject);
        child.once('close', resolve);
      });
      if (code !== 0) throw new Error(`ffmpeg could not assemble the clip: ${stderr.trim()}`);
      fs.renameSync(partial, out);
      return { file: out, bytes: fs.statSync(out).size };
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      fs.rmSync(list, { force: true });
      fs.rmSync(partial, { force: true });
    }
  }

  /** Deletes every assembled clip. */
  dispose(): void {
    this.#entries.clear();
    fs.rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** A parsed `Range: bytes=a-b` header for a file of `size` bytes; undefined when absent or not satisfiable. */
export function byteRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    // A suffix: the last n bytes.
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(size - 1, Number(m[2]));
  }
  if (start > end || start >= size) return undefined;
  return { start, end };
}
