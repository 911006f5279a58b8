import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { VTEST_H264 } from '../../../test/fixtures/rtsp.js';
import { codecFromInit, Fmp4Splitter, type Fragment } from './fmp4.js';

describe('Fmp4Splitter', () => {
  it('splits real ffmpeg fMP4 into init + fragments and marks exactly the GOP starts as keyframes', () => {
    const src = VTEST_H264;
    // 6 s of vtest (GOP 2 s) cut into fragments of at most 0.5 s, as the live output does.
    const r = spawnSync(
      'ffmpeg',
      [
        '-v',
        'error',
        '-t',
        '6',
        '-i',
        src,
        '-an',
        '-c',
        'copy',
        '-f',
        'mp4',
        '-movflags',
        'frag_keyframe+empty_moov+default_base_moof',
        '-frag_duration',
        '500000',
        'pipe:1',
      ],
      { maxBuffer: 64 << 20 },
    );
    expect(r.status).toBe(0);
    let init: Buffer | undefined;
    const frags: Fragment[] = [];
    const splitter = new Fmp4Splitter(
      (i) => (init = i),
      (f) => frags.push(f),
    );
    // Feed in awkward chunk sizes, as a pipe would deliver them.
    for (let off = 0; off < r.stdout.length; off += 777) splitter.push(r.stdout.subarray(off, off + 777));
    expect(init?.toString('latin1', 4, 8)).toBe('ftyp');
    expect(codecFromInit(init!)).toMatch(/^avc1\.[0-9a-f]{6}$/);
    expect(frags.length).toBeGreaterThanOrEqual(10);
    expect(frags.filter((f) => f.keyframe).length).toBe(3);
    expect(frags[0]?.keyframe).toBe(true);
    expect(frags[1]?.keyframe).toBe(false);
    // Each fragment knows its media time span; they tile the 6 s without holes.
    expect(frags[0]?.startSec).toBeCloseTo(0, 1);
    for (let i = 1; i < frags.length; i++) expect(frags[i]?.startSec).toBeCloseTo(frags[i - 1]!.endSec!, 3);
    expect(frags[frags.length - 1]?.endSec).toBeGreaterThan(5.5);
    expect(frags[frags.length - 1]?.endSec).toBeLessThan(6.5);
    for (const f of frags) expect(f.endSec! - f.startSec!).toBeLessThanOrEqual(0.61);
  });
});
