/**
 * Splits a fragmented MP4 byte stream (ffmpeg `-movflags frag_keyframe+empty_moov+default_base_moof`) into the
 * init segment (ftyp+moov) and media fragments (moof+mdat), and tells which fragments start with a keyframe, so a
 * viewer who joins late can start at one.
 */

/** One media fragment: moof+mdat bytes, and whether its first sample is a sync sample. */
export interface Fragment {
  data: Buffer;
  keyframe: boolean;
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

/** Reads `avcC` from an init segment and returns the RFC 6381 codec string, e.g. avc1.4d401e. */
export function codecFromInit(init: Buffer): string | undefined {
  const i = init.indexOf('avcC', 0, 'latin1');
  if (i < 0 || i + 8 > init.length) return undefined;
  const hex = (n: number | undefined): string => (n ?? 0).toString(16).padStart(2, '0');
  return `avc1.${hex(init[i + 5])}${hex(init[i + 6])}${hex(init[i + 7])}`;
}

/** Incremental parser: push bytes, get the init segment once and fragments as they complete. */
export class Fmp4Splitter {
  #buf: Buffer = Buffer.alloc(0);
  #initParts: Buffer[] = [];
  #init: Buffer | undefined;
  #moof: Buffer | undefined;
  #trexFlags: number | undefined;

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
          for (const [tt, ss] of boxes(box, s, e)) if (tt === 'trex') this.#trexFlags = u32(box, ss + 20);
        }
        this.onInit(this.#init);
      }
      return;
    }
    if (type === 'moof') this.#moof = box;
    else if (type === 'mdat' && this.#moof) {
      const moof = this.#moof;
      this.#moof = undefined;
      this.onFragment({
        data: Buffer.concat([moof, box]),
        keyframe: moofStartsWithKeyframe(moof, 8, moof.length, this.#trexFlags),
      });
    }
  }
}
