import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeDuration } from '../../../test/fixtures/footage.js';
import { startTestApp, TOKEN, waitFor } from '../../../test/helpers/video.js';
import { byteRange } from './seekable-clips.js';

describe('byte ranges of a seekable clip', () => {
  it('reads the forms a browser sends and refuses what cannot be served', () => {
    expect(byteRange('bytes=0-', 1000)).toEqual({ start: 0, end: 999 });
    expect(byteRange('bytes=100-199', 1000)).toEqual({ start: 100, end: 199 });
    expect(byteRange('bytes=900-5000', 1000)).toEqual({ start: 900, end: 999 });
    expect(byteRange('bytes=-100', 1000)).toEqual({ start: 900, end: 999 });
    expect(byteRange('bytes=1000-', 1000)).toBeUndefined();
    expect(byteRange('bytes=5-1', 1000)).toBeUndefined();
    expect(byteRange('items=0-1', 1000)).toBeUndefined();
    expect(byteRange(undefined, 1000)).toBeUndefined();
  });
});

describe('seekable clips for playback (real recording of the demo footage)', () => {
  let app: Awaited<ReturnType<typeof startTestApp>>;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-seekable-'));

  beforeAll(async () => {
    app = await startTestApp({
      video: { segmentSeconds: 2 },
      cameras: [
        {
          id: 'lobby',
          name: 'Lobby',
          main: { kind: 'file', path: 'assets/demo/vtest-h264.mp4' },
          analysis: { enabled: false },
        },
      ],
    });
  });
  afterAll(async () => {
    await app?.cleanup();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('serves a whole MP4 in byte ranges, moov first, starting at the first segment', async () => {
    await waitFor('3 segments', () => app.video.index.segments('lobby', 0, Date.now()).length >= 3, 40_000);
    const segs = app.video.index.segments('lobby', 0, Date.now()).slice(0, 3);
    const url = `${app.url}/api/clips/lobby.mp4?from=${segs[0]!.start}&to=${segs[2]!.end}&seekable=1`;
    const headers = { authorization: `Bearer ${TOKEN}` };
    const whole = await fetch(url, { headers });
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    const bytes = Buffer.from(await whole.arrayBuffer());
    expect(Number(whole.headers.get('content-length'))).toBe(bytes.length);
    // moov before mdat: a browser knows the duration and every key frame from the first request.
    expect(bytes.indexOf('moov')).toBeGreaterThan(0);
    expect(bytes.indexOf('moov')).toBeLessThan(bytes.indexOf('mdat'));
    const file = path.join(tmp, 'clip.mp4');
    fs.writeFileSync(file, bytes);
    const expected = (segs[2]!.end - segs[0]!.start) / 1000;
    expect(Math.abs(probeDuration(file) - expected)).toBeLessThan(0.5);

    const part = await fetch(url, { headers: { ...headers, range: 'bytes=100-1099' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-1099/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 1100))).toBe(true);
    const beyond = await fetch(url, { headers: { ...headers, range: `bytes=${bytes.length}-` } });
    expect(beyond.status).toBe(416);
  });
});
