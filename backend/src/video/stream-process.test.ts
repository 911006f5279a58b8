import { describe, expect, it } from 'vitest';
import { buildFfmpegArgs } from './ffmpeg-args.js';
import { analysisCaptureTs } from './stream-process.js';

describe('analysis frame capture time', () => {
  it('takes the live video clock at the frame: decoding delays the frame, not its capture', () => {
    // The live fragment ending at 10.0 s left ffmpeg at t = 50 000 ms; frame 52 at 5 fps shows 10.4 s.
    const anchor = { mediaSec: 10, wallMs: 50_000 };
    expect(analysisCaptureTs(52 / 5, anchor, 51_000)).toBe(50_400);
  });

  it('falls back to the arrival time without live video or when the clocks disagree', () => {
    expect(analysisCaptureTs(1, undefined, 7_000)).toBe(7_000);
    // A timestamp jump in the stream: the estimate lands in the future, or far in the past.
    expect(analysisCaptureTs(100, { mediaSec: 10, wallMs: 50_000 }, 51_000)).toBe(51_000);
    expect(analysisCaptureTs(10, { mediaSec: 10, wallMs: 40_000 }, 51_000)).toBe(51_000);
  });

  it('asks ffmpeg for analysis frames on the output time line from 0, like the live output', () => {
    const { args } = buildFfmpegArgs(
      { kind: 'rtsp', url: 'rtsp://127.0.0.1:8554/cam', transport: 'tcp' } as never,
      { live: { fragmentMs: 500 }, analysis: { fps: 5, width: 640 } },
    );
    expect(args[args.indexOf('-vf') + 1]).toBe('fps=5:start_time=0,scale=640:-2:flags=bilinear');
  });
});
