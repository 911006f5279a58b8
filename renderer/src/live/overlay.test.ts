import { describe, expect, it } from 'vitest';
import type { FrameDetections } from '../../../backend/src/contract';
import { DetectionBuffer, contentRect } from './overlay';
import { TimeMap, parseFragment } from './fmp4';

const frame = (ts: number, label = 'person'): FrameDetections => ({
  cameraId: 'plaza',
  ts,
  width: 768,
  height: 576,
  detections: [{ label, score: 0.9, box: [0.1, 0.1, 0.2, 0.3] }],
});

describe('detection boxes matched to the displayed frame', () => {
  it('shows the boxes of the latest analysed frame not after the displayed one', () => {
    const b = new DetectionBuffer();
    // Analysis at 5 fps: frames every 200 ms; the video is displayed behind the analysis.
    for (const ts of [1000, 1200, 1400, 1600]) b.push(frame(ts));
    expect(b.match(900)).toBeUndefined(); // displayed frame is older than every box: nothing yet
    expect(b.match(1100)?.ts).toBe(1000);
    expect(b.match(1210)?.ts).toBe(1200);
    expect(b.match(1530)?.ts).toBe(1400);
    // Within the jitter allowance (60 ms) a frame's boxes are shown with it.
    expect(b.match(1590)?.ts).toBe(1600);
  });

  it('clears boxes when they are stale (no analysed frame recently)', () => {
    const b = new DetectionBuffer();
    b.push(frame(1000));
    // Within one analysis interval (200 ms at 5 fps, plus a video frame) the boxes belong to the displayed frame…
    expect(b.match(1200)?.ts).toBe(1000);
    // …later they are stale: the next analysed frame had no detections or has not arrived.
    expect(b.match(1000 + 241)).toBeUndefined();
    expect(b.match(1500, { holdMs: 600, earlyMs: 60 })?.ts).toBe(1000);
  });

  it('accepts detections that arrive out of order, serves tiles at different moments, and forgets old ones', () => {
    const b = new DetectionBuffer();
    b.push(frame(1400));
    b.push(frame(1000));
    b.push(frame(1200));
    expect(b.match(1250)?.ts).toBe(1200);
    // Another tile of the same camera, a little behind, still finds its frame's boxes.
    expect(b.match(1050)?.ts).toBe(1000);
    expect(b.size).toBe(3);
    b.push(frame(20_000));
    expect(b.size).toBe(1); // more than 10 s older than the newest
  });

  it('is bounded', () => {
    const b = new DetectionBuffer(10);
    for (let i = 0; i < 100; i++) b.push(frame(i));
    expect(b.size).toBe(10);
  });

  it('places boxes inside the letterboxed picture', () => {
    // 4:3 video in a 16:9 tile: bars left and right.
    expect(contentRect(1600, 900, 768, 576)).toEqual({ x: 200, y: 0, w: 1200, h: 900 });
  });
});

describe('video time → wall-clock time', () => {
  it('maps media seconds through the latest anchor at or before them', () => {
    const m = new TimeMap();
    expect(m.toWall(1)).toBeUndefined();
    m.add(10, 1_000_000);
    m.add(12, 1_002_050); // the source drifted by 50 ms
    expect(m.toWall(11)).toBe(1_001_000);
    expect(m.toWall(12.5)).toBe(1_002_550);
    // Before the first anchor: extrapolated from it.
    expect(m.toWall(9)).toBe(999_000);
  });

  /** A tiny fMP4: moov/trak/mdia/mdhd (timescale 90000), then moof/traf/tfdt + prft. */
  function box(type: string, body: Uint8Array): Uint8Array {
    const out = new Uint8Array(8 + body.length);
    new DataView(out.buffer).setUint32(0, out.length);
    out.set(
      [...type].map((c) => c.charCodeAt(0)),
      4,
    );
    out.set(body, 8);
    return out;
  }
  const concat = (...parts: Uint8Array[]) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };

  it('reads the timescale, the fragment start and the producer reference time', () => {
    const mdhd = new Uint8Array(24);
    new DataView(mdhd.buffer).setUint32(12, 90_000);
    const init = box('moov', box('trak', box('mdia', box('mdhd', mdhd))));
    expect(parseFragment(init.buffer as ArrayBuffer).timescale).toBe(90_000);

    const tfdt = new Uint8Array(12);
    tfdt[0] = 1;
    new DataView(tfdt.buffer).setUint32(8, 900_000); // 10 s
    const prft = new Uint8Array(24);
    prft[0] = 1;
    const wallMs = 1_764_000_000_500;
    const ntpSec = Math.floor(wallMs / 1000) + 2_208_988_800;
    new DataView(prft.buffer).setUint32(8, ntpSec);
    new DataView(prft.buffer).setUint32(12, 2 ** 31); // .5 s
    new DataView(prft.buffer).setUint32(20, 900_000);
    const frag = concat(
      box('prft', prft),
      box('moof', box('traf', box('tfdt', tfdt))),
      box('mdat', new Uint8Array(4)),
    );
    const t = parseFragment(frag.buffer as ArrayBuffer, 90_000);
    expect(t.startSec).toBe(10);
    expect(t.prftMediaSec).toBe(10);
    expect(Math.abs((t.prftWallMs ?? 0) - (Math.floor(wallMs / 1000) * 1000 + 500))).toBeLessThan(1);
  });

  it('does not throw on truncated or garbage data', () => {
    expect(parseFragment(new Uint8Array([0, 0, 0, 99, 1, 2]).buffer)).toEqual({});
  });
});
