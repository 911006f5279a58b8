import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HoldRecord, RetentionLogEntry } from '../contract/video.js';
import type { RecordingTimelineResponse } from '../contract/video-api.js';
import { apiGet, startTestApp, TOKEN, waitFor } from '../../../test/helpers/video.js';

describe('retention with a tiny disk budget (real recording of the demo footage)', () => {
  let app: Awaited<ReturnType<typeof startTestApp>>;

  beforeAll(async () => {
    app = await startTestApp({
      // A 1-byte budget: everything not held must go. The timer is slow so the test decides when retention runs.
      video: { segmentSeconds: 2, retention: { maxBytes: 1, minFreePercent: 0, intervalSeconds: 3600 } },
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
  afterAll(() => app?.cleanup());

  it('deletes the oldest segments first, keeps held footage, and logs every deletion', async () => {
    await waitFor('4 segments', () => app.video.index.segments('lobby', 0, Date.now()).length >= 4, 40_000);
    await app.video.removeCamera('lobby'); // recording stops; its footage stays
    await app.video.flush();
    const before = app.video.index.segments('lobby', 0, Date.now());
    const held = before[1]!;
    const res = await fetch(`${app.url}/api/holds`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        cameraId: 'lobby',
        from: held.start + 100,
        to: held.end - 100,
        reason: 'evidence',
      }),
    });
    expect(res.status).toBe(201);
    const hold = (await res.json()) as HoldRecord;

    const result = await app.video.runRetention();
    expect(result.deleted).toBe(before.length - 1);
    const after = app.video.index.segments('lobby', 0, Date.now());
    expect(after.map((s) => s.key)).toEqual([held.key]);
    expect(fs.existsSync(app.video.store.localPath!(held.key)!)).toBe(true);
    for (const s of before.filter((s) => s.key !== held.key))
      expect(fs.existsSync(app.video.store.localPath!(s.key)!)).toBe(false);

    const log = await apiGet<RetentionLogEntry[]>(app, '/api/retention/log?limit=100');
    expect(log).toHaveLength(before.length - 1);
    // Newest entry first; deletions happened oldest footage first.
    const starts = log.map((e) => e.start).reverse();
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(log.every((e) => e.cameraId === 'lobby' && e.bytes > 0 && /disk budget/.test(e.reason))).toBe(
      true,
    );

    // The playback timeline shows the deleted footage as gaps caused by retention, and the held segment as footage.
    const from = before[0]!.start;
    const to = before.at(-1)!.end;
    const timeline = await apiGet<RecordingTimelineResponse>(
      app,
      `/api/recordings/lobby/timeline?from=${from}&to=${to}`,
    );
    expect(timeline.segments).toEqual([{ start: held.start, end: held.end }]);
    const deleted = timeline.gaps.filter((g) => g.cause === 'deleted by retention');
    expect(deleted.map((g) => g.start)).toEqual(before.filter((s) => s.key !== held.key).map((s) => s.start));
    expect(deleted.every((g) => /disk budget/.test(g.detail ?? ''))).toBe(true);

    // Once the hold is released, the held segment goes too.
    const del = await fetch(`${app.url}/api/holds/${hold.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(del.status).toBe(204);
    await app.video.runRetention();
    expect(app.video.index.segments('lobby', 0, Date.now())).toEqual([]);
  });
});
