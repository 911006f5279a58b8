/**
 * Splits a fragmented MP4 byte stream (ffmpeg `-movflags frag_keyframe+empty_moov+default_base_moof`) into the
 * init segment (ftyp+moov) and media fragments (moof+mdat), and tells which fragments start with a keyframe, so a
 * viewer who joins late can start at one.
 */

/** One media fragment: moof+mdat bytes, and whether its first sample is a sync sample. */
export interface Fragment {
  data: Buffer;
  keyframe: boolean;
  /** Media time of the fragment's first sample and of the end of its last one (s), when the boxes tell. */
  startSec?: number;
  endSec?: number;
  /** Wall-clock time (ms) the fragment came out of ffmpeg. */
  receivedAt?: number;
}

function u32(b: Buffer, off: number): number {
  return b.readUInt32BE(off);
}

/** Child boxes of a container payload: [type, start, end] (payload offsets within b). */
function* boxes(b: Buffer, start: number, end: number): Generator<[string, number, number]> {
  let off = start;
  while (off + 8 <= end) {
    let size = u32(b, off);
    const type = b.toString('latin1', off + 4, off + 8);
    let header = 8;
    if (size === 1 && off + 16 <= end) {
      size = Number(b.readBigUInt64BE(off + 8));
      header = 16;
    } else if (size === 0) size = end - off;
    if (size < header || off + size > end) return;
    yield [type, off + header, off + size];
    off += size;
  }
}

const NON_SYNC = 0x00010000;

/** Whether a moof's first sample (first traf) is a keyframe; unknown layouts count as keyframes. */
export function moofStartsWithKeyframe(
  b: Buffer,
  start: number,
  end: number,
  trexDefaultFlags?: number,
): boolean {
  for (const [type, ps, pe] of boxes(b, start, end)) {
    if (type !== 'traf') continue;
    let defaultFlags = trexDefaultFlags;
    for (const [t, s, e] of boxes(b, ps, pe)) {
      if (t === 'tfhd' && e - s >= 8) {
        const flags = u32(b, s) & 0xffffff;
        let o = s + 8; // version/flags + track_ID
        if (flags & 0x01) o += 8;
        if (flags & 0x02) o += 4;
        if (flags & 0x08) o += 4;
        if (flags & 0x10) o += 4;
        if (flags & 0x20 && o + 4 <= e) defaultFlags = u32(b, o);
      } else if (t === 'trun' && e - s >= 8) {
        const flags = u32(b, s) & 0xffffff;
        let o = s + 8; // version/flags + sample_count
        if (flags & 0x01) o += 4;
        if (flags & 0x04 && o + 4 <= e) return (u32(b, o) & NON_SYNC) === 0;
        if (flags & 0x04) o += 4;
        if (flags & 0x400) {
          if (flags & 0x100) o += 4;
          if (flags & 0x200) o += 4;
          if (o + 4 <= e) return (u32(b, o) & NON_SYNC) === 0;
        }
        return defaultFlags === undefined ? true : (defaultFlags & NON_SYNC) === 0;
      }
    }
  }
  return true;
}

/**
 * Decode time of a moof's first sample and the total duration of its samples, in timescale ticks (first track).
 * Durations come from the trun, else the tfhd default, else the trex default of the init segment.
 */
export function moofTiming(
  b: Buffer,
  start: number,
  end: number,
  trexDefaultDuration?: number,
): { decodeTime?: number; duration?: number } {
  for (const [type, ps, pe] of boxes(b, start, end)) {
    if (type !== 'traf') continue;
    let defaultDuration = trexDefaultDuration;
    let decodeTime: number | undefined;
    let duration: number | undefined;
    for (const [t, s, e] of boxes(b, ps, pe)) {
      if (t === 'tfhd' && e - s >= 8) {
        const flags = u32(b, s) & 0xffffff;
        let o = s + 8;
        if (flags & 0x01) o += 8;
        if (flags & 0x02) o += 4;
        if (flags & 0x08 && o + 4 <= e) defaultDuration = u32(b, o);
      } else if (t === 'tfdt' && e - s >= 8) {
        decodeTime = b.readUInt8(s) === 1 && e - s >= 12 ? Number(b.readBigUInt64BE(s + 4)) : u32(b, s + 4);
      } else if (t === 'trun' && e - s >= 8) {
        const flags = u32(b, s) & 0xffffff;
        const count = u32(b, s + 4);
        let o = s + 8;
        if (flags & 0x01) o += 4;
        if (flags & 0x04) o += 4;
        const perSample = [0x100, 0x200, 0x400, 0x800].filter((f) => flags & f).length * 4;
        let total = 0;
        for (let i = 0; i < count; i++, o += perSample) {
          if (flags & 0x100) {
            if (o + 4 > e) break;
            total += u32(b, o);
          } else total += defaultDuration ?? 0;
        }
        duration = (duration ?? 0) + total;
      }
    }
    return { decodeTime, duration };
  }
  return {};
}

/** Reads `avcC` from an init segment and returns the RFC 6381 codec string, e.g. avc1.4d401e. */
export function codecFromInit(init: Buffer): string | undefined {
  const i = init.indexOf('avcC', 0, 'latin1');
  if (i < 0 || i + 8 > init.length) return undefined;
  const hex = (n: number | undefined): string => (n ?? 0).toString(16).padStart(2, '0');
  return `avc1.${hex(init[i + 5])}${hex(init[i + 6])}${hex(init[i + 7])}`;
}

/** Timescale of the first track (moov/trak/mdia/mdhd) of a moov box. */
function mdhdTimescale(moov: Buffer): number | undefined {
  const find = (start: number, end: number, path: string[]): [number, number] | undefined => {
    const [head, ...rest] = path;
    for (const [t, s, e] of boxes(moov, start, end)) {
      if (t !== head) continue;
      return rest.length ? find(s, e, rest) : [s, e];
    }
    return undefined;
  };
  const mdhd = find(8, moov.length, ['trak', 'mdia', 'mdhd']);
  if (!mdhd || mdhd[1] - mdhd[0] < 24) return undefined;
  const version = moov.readUInt8(mdhd[0]);
  const scale = u32(moov, mdhd[0] + (version === 1 ? 20 : 12));
  return scale > 0 ? scale : undefined;
}

/** Incremental parser: push bytes, get the init segment once and fragments as they complete. */
export class Fmp4Splitter {
  #buf: Buffer = Buffer.alloc(0);
  #initParts: Buffer[] = [];
  #init: Buffer | undefined;
  #moof: Buffer | undefined;
  #trexFlags: number | undefined;
  #trexDuration: number | undefined;
  #timescale: number | undefined;

  constructor(
    private readonly onInit: (init: Buffer) => void,
    private readonly onFragment: (f: Fragment) => void,
  ) {}

  push(chunk: Buffer): void {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    for (;;) {
      if (this.#buf.length < 8) return;
      let size = u32(this.#buf, 0);
      if (size === 1) {
        if (this.#buf.length < 16) return;
        size = Number(this.#buf.readBigUInt64BE(8));
      }
      if (size < 8) {
        // Not an MP4 stream (or corrupt): drop what we have rather than grow without bound.
        this.#buf = Buffer.alloc(0);
        return;
      }
      if (this.#buf.length < size) return;
      const box = this.#buf.subarray(0, size);
      this.#buf = this.#buf.subarray(size);
      this.#onBox(box.toString('latin1', 4, 8), Buffer.from(box));
    }
  }

  #onBox(type: string, box: Buffer): void {
    if (!this.#init) {
      this.#initParts.push(box);
      if (type === 'moov') {
        this.#init = Buffer.concat(this.#initParts);
        this.#initParts = [];
        for (const [t, s, e] of boxes(box, 8, box.length)) {
          if (t !== 'mvex') continue;
          for (const [tt, ss] of boxes(box, s, e)) {
            if (tt !== 'trex') continue;
            this.#trexDuration = u32(box, ss + 12);
            this.#trexFlags = u32(box, ss + 20);
          }
        }
        this.#timescale = mdhdTimescale(box);
        this.onInit(this.#init);
      }
      return;
    }
    if (type === 'moof') this.#moof = box;
    else if (type === 'mdat' && this.#moof) {
      const moof = this.#moof;
      this.#moof = undefined;
      const fragment: Fragment = {
        data: Buffer.concat([moof, box]),
        keyframe: moofStartsWithKeyframe(moof, 8, moof.length, this.#trexFlags),
        receivedAt: Date.now(),
      };
      const { decodeTime, duration } = moofTiming(moof, 8, moof.length, this.#trexDuration);
      const ts = this.#timescale;
      if (ts && decodeTime !== undefined) {
        fragment.startSec = decodeTime / ts;
        if (duration !== undefined) fragment.endSec = (decodeTime + duration) / ts;
      }
      this.onFragment(fragment);
    }
  }
}
