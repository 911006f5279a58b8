/**
 * Just enough ISO BMFF parsing to map video time to wall-clock time: the track timescale (mdhd in the init
 * segment), each fragment's start (tfdt) and, when the muxer writes one, the producer reference time (prft: the
 * wall-clock capture time of a media time).
 */

export interface FragmentTiming {
  /** Track timescale (ticks per second), from the init segment. */
  timescale?: number;
  /** Decode time of the fragment's first sample, in seconds. */
  startSec?: number;
  /** Wall-clock time (ms since the epoch) of `prftMediaSec`, when the fragment carries a prft box. */
  prftWallMs?: number;
  prftMediaSec?: number;
}

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'moof', 'traf']);
const NTP_UNIX_OFFSET_S = 2_208_988_800;

function type4(v: DataView, at: number): string {
  return String.fromCharCode(v.getUint8(at), v.getUint8(at + 1), v.getUint8(at + 2), v.getUint8(at + 3));
}

function u64(v: DataView, at: number): number {
  return v.getUint32(at) * 2 ** 32 + v.getUint32(at + 4);
}

/** Parses an init segment or a media fragment. `timescale` is the one learnt from the init segment. */
export function parseFragment(buf: ArrayBuffer, timescale?: number): FragmentTiming {
  const out: FragmentTiming = {};
  const v = new DataView(buf);
  let prftMediaTicks: number | undefined;
  const walk = (start: number, end: number): void => {
    let at = start;
    while (at + 8 <= end) {
      let size = v.getUint32(at);
      const type = type4(v, at + 4);
      let header = 8;
      if (size === 1 && at + 16 <= end) {
        size = u64(v, at + 8);
        header = 16;
      } else if (size === 0) size = end - at;
      if (size < header || at + size > end) return;
      const body = at + header;
      if (CONTAINERS.has(type)) walk(body, at + size);
      else if (type === 'mdhd') {
        const version = v.getUint8(body);
        out.timescale = v.getUint32(body + (version === 1 ? 20 : 12));
      } else if (type === 'tfdt') {
        const version = v.getUint8(body);
        const ticks = version === 1 ? u64(v, body + 4) : v.getUint32(body + 4);
        const ts = timescale ?? out.timescale;
        if (ts) out.startSec = ticks / ts;
      } else if (type === 'prft') {
        const version = v.getUint8(body);
        const ntpSec = v.getUint32(body + 8);
        const ntpFrac = v.getUint32(body + 12);
        out.prftWallMs = (ntpSec - NTP_UNIX_OFFSET_S) * 1000 + (ntpFrac / 2 ** 32) * 1000;
        prftMediaTicks = version === 1 ? u64(v, body + 16) : v.getUint32(body + 16);
      }
      at += size;
    }
  };
  walk(0, v.byteLength);
  const ts = timescale ?? out.timescale;
  if (prftMediaTicks !== undefined && ts) out.prftMediaSec = prftMediaTicks / ts;
  return out;
}

/**
 * Maps the video element's currentTime (media seconds) to wall-clock milliseconds. Fed with anchor points (media
 * second ↔ wall ms) from the server's time messages, prft boxes, or fragment arrival; uses the latest anchor at or
 * before the queried time, since the mapping can jump when the camera reconnects.
 */
export class TimeMap {
  #anchors: Array<{ mediaSec: number; wallMs: number }> = [];

  constructor(private readonly maxAnchors = 64) {}

  add(mediaSec: number, wallMs: number): void {
    if (!Number.isFinite(mediaSec) || !Number.isFinite(wallMs)) return;
    const a = this.#anchors;
    // Keep sorted by media time; a new anchor at a known time replaces it.
    let i = a.length;
    while (i > 0 && (a[i - 1]?.mediaSec ?? 0) > mediaSec) i--;
    if (i > 0 && a[i - 1]?.mediaSec === mediaSec) a[i - 1] = { mediaSec, wallMs };
    else a.splice(i, 0, { mediaSec, wallMs });
    if (a.length > this.maxAnchors) a.splice(0, a.length - this.maxAnchors);
  }

  get size(): number {
    return this.#anchors.length;
  }

  /** Wall-clock ms of a media time, or undefined before the first anchor. */
  toWall(mediaSec: number): number | undefined {
    const a = this.#anchors;
    if (a.length === 0) return undefined;
    let best = a[0];
    for (const anchor of a) {
      if (anchor.mediaSec <= mediaSec) best = anchor;
      else break;
    }
    if (!best) return undefined;
    return best.wallMs + (mediaSec - best.mediaSec) * 1000;
  }

  clear(): void {
    this.#anchors = [];
  }
}
