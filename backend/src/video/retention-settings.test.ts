// Retention an administrator changes in the UI (globally and per camera), applied at once and kept across restarts,
// and the forecast of how many days of footage fit, measured from real recordings on a real disk.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RetentionResponse } from '../contract/video-api.js';
import { vtestPath } from '../../../test/fixtures/footage.js';
import { apiGet, startTestApp, TOKEN, waitFor } from '../../../test/helpers/video.js';
import { RetentionSettings } from './retention-settings.js';

const DAY = 86_400_000;

describe('retention settings and forecast (real recordings)', () => {
  let app: Awaited<ReturnType<typeof startTestApp>>;
  const put = async (
    p: string,
    body: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> => {
    const r = await fetch(`${app.url}${p}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    app = await startTestApp({
      video: { segmentSeconds: 2, retention: { maxAgeDays: 30 } },
      cameras: [
        {
          id: 'plaza',
          name: 'Plaza',
          main: { kind: 'file', path: vtestPath(), loop: true },
          analysis: { enabled: false },
        },
      ],
    });
    await waitFor(
      'three segments',
      () => app.video.index.segments('plaza', 0, Date.now()).length >= 3,
      40_000,
    );
  }, 60_000);
  afterAll(async () => {
    await app?.cleanup();
  });

  it('forecasts the days that fit from the bytes recorded per day and the free space of the video store', async () => {
    const r = await apiGet<RetentionResponse>(app, '/api/retention');
    expect(r).toMatchObject({ maxAgeDays: 30, perCameraMaxAgeDays: {}, maxBytes: 0, minFreePercent: 5 });
    const segs = app.video.index.segments('plaza', 0, Date.now());
    const bytes = segs.reduce((a, s) => a + s.bytes, 0);
    const ms = segs.reduce((a, s) => a + (s.end - s.start), 0);
    const rate = (bytes / ms) * DAY;
    const f = r.forecast;
    // The demo footage is ~700 kbit/s: some GB a day.
    expect(f.perCamera['plaza']!.bytesPerDay).toBeGreaterThan(1e9);
    expect(Math.abs(f.bytesPerDay - rate) / rate).toBeLessThan(0.25); // more segments may have closed since
    expect(f.perCamera['plaza']).toMatchObject({ maxAgeDays: 30, own: false });
    expect(f.bytesNeeded).toBe(f.perCamera['plaza']!.bytesNeeded);
    expect(Math.abs(f.bytesNeeded - 30 * f.bytesPerDay)).toBeLessThan(f.bytesPerDay * 0.01 + 30);
    const st = fs.statfsSync(path.join(app.dataDir, 'recordings'));
    const expected = st.bavail * st.bsize - 0.05 * st.blocks * st.bsize;
    expect(Math.abs(f.capacityBytes - expected) / expected).toBeLessThan(0.05);
    expect(f.daysThatFit).toBeCloseTo(f.capacityBytes / f.bytesPerDay, 0);
  });

  it('a new global age limit deletes older footage at once, is kept across restarts, and a camera can have its own', async () => {
    // Footage of three days ago (a real file in the store, indexed like a recorded segment).
    const key = 'plaza/old/three-days-ago.mp4';
    const seg = app.video.index.segments('plaza', 0, Date.now())[0]!;
    const file = path.join(app.dataDir, 'recordings', key);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.copyFileSync(path.join(app.dataDir, 'recordings', seg.key), file);
    const start = Date.now() - 3 * DAY;
    app.video.index.addSegment({
      cameraId: 'plaza',
      start,
      end: start + 2000,
      bytes: fs.statSync(file).size,
      key,
    });

    const bad = await put('/api/retention', { maxAgeDays: -1 });
    expect(bad.status).toBe(400);
    expect(bad.body['field']).toBe('maxAgeDays');
    const changed = await put('/api/retention', { maxAgeDays: 2 });
    expect(changed.status).toBe(200);
    expect(changed.body['maxAgeDays']).toBe(2);
    expect(fs.existsSync(file)).toBe(false);
    expect(app.video.retentionLog(10).some((e) => e.reason === 'older than 2 days')).toBe(true);

    const own = await put('/api/retention/cameras/plaza', { maxAgeDays: 7 });
    expect(own.status).toBe(200);
    const r = own.body as unknown as RetentionResponse;
    expect(r.perCameraMaxAgeDays).toEqual({ plaza: 7 });
    expect(r.forecast.perCamera['plaza']).toMatchObject({ maxAgeDays: 7, own: true });
    expect((await put('/api/retention/cameras/nope', { maxAgeDays: 7 })).status).toBe(404);

    // What the next start reads: the configuration file's 30 days, with these changes on top.
    const again = new RetentionSettings(app.dataDir, {
      maxAgeDays: 30,
      perCameraMaxAgeDays: {},
      maxBytes: 0,
      minFreePercent: 5,
      intervalSeconds: 60,
    });
    expect(again.effective).toMatchObject({ maxAgeDays: 2, perCameraMaxAgeDays: { plaza: 7 } });
    // Back to the global limit.
    const back = await put('/api/retention/cameras/plaza', { maxAgeDays: null });
    expect((back.body as unknown as RetentionResponse).forecast.perCamera['plaza']).toMatchObject({
      maxAgeDays: 2,
      own: false,
    });
  });
});
