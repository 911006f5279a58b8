import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiError } from '../contract/api.js';
import type { AuditPage } from '../contract/audit.js';
import { Topics } from '../contract/bus.js';
import type { AnalysisFrame } from '../contract/media.js';
import type { CameraDetail, CameraStatus, ProbeResponse } from '../contract/video-api.js';
import { apiGet, startTestApp, TOKEN, waitFor } from '../../../test/helpers/video.js';

const send = async (app: { url: string }, method: string, p: string, body?: unknown): Promise<Response> =>
  fetch(`${app.url}${p}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('camera management API and sub streams (real ffmpeg)', () => {
  let app: Awaited<ReturnType<typeof startTestApp>>;
  const frames: AnalysisFrame[] = [];
  beforeAll(async () => {
    app = await startTestApp({ cameras: [] });
    await app.bus.subscribe<AnalysisFrame>(Topics.frames, (f) => void frames.push(f), { group: 'test' });
  });
  afterAll(() => app?.cleanup());

  it('probes a source: codec, size and a JPEG for a good one, the reason for a bad one', async () => {
    const good = (await (
      await send(app, 'POST', '/api/cameras/probe', {
        source: { kind: 'testPattern', width: 320, height: 240 },
      })
    ).json()) as ProbeResponse;
    expect(good).toMatchObject({ ok: true, codec: 'rawvideo', width: 320, height: 240 });
    if (good.ok)
      expect(Buffer.from(good.snapshotJpegBase64, 'base64').subarray(0, 2)).toEqual(
        Buffer.from([0xff, 0xd8]),
      );
    const bad = (await (
      await send(app, 'POST', '/api/cameras/probe', {
        source: { kind: 'file', path: 'assets/demo/cam.mp4' },
      })
    ).json()) as ProbeResponse;
    expect(bad).toEqual({ ok: false, reason: 'file not found: cam.mp4' });
  });

  it('adds, changes and removes cameras at run time, and rejects invalid ones with the field', async () => {
    const created = await send(app, 'POST', '/api/cameras', {
      id: 'pattern',
      name: 'Pattern',
      main: { kind: 'testPattern', width: 320, height: 240, fps: 10 },
      // A 16:9 sub stream next to a 4:3 main stream: the frames' shape shows which one is analysed.
      sub: { kind: 'testPattern', width: 320, height: 180, fps: 5 },
      analysis: { fps: 2, width: 160 },
    });
    expect(created.status).toBe(201);
    await waitFor(
      'streaming',
      async () => (await apiGet<CameraStatus[]>(app, '/api/cameras'))[0]?.state === 'streaming',
    );
    const frame = await waitFor('an analysis frame', () => frames[frames.length - 1]);
    expect([frame.cameraId, frame.width, frame.height]).toEqual(['pattern', 160, 90]);
    const detail = await apiGet<CameraDetail>(app, '/api/cameras/pattern');
    expect(detail).toMatchObject({ codec: 'h264', width: 320, height: 240, config: { id: 'pattern' } });

    const dup = await send(app, 'POST', '/api/cameras', {
      id: 'pattern',
      name: 'Again',
      main: { kind: 'testPattern' },
    });
    expect(dup.status).toBe(409);
    const invalid = await send(app, 'POST', '/api/cameras', {
      id: 'Bad Id',
      name: 'x',
      main: { kind: 'testPattern' },
    });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as ApiError).field).toBe('id');

    const changed = await send(app, 'PUT', '/api/cameras/pattern', { ...detail.config, enabled: false });
    expect(((await changed.json()) as CameraDetail).state).toBe('disabled');
    expect((await send(app, 'DELETE', '/api/cameras/pattern')).status).toBe(204);
    expect((await send(app, 'GET', '/api/cameras/pattern')).status).toBe(404);
    expect(await apiGet<CameraStatus[]>(app, '/api/cameras')).toEqual([]);

    // Each change is in the audit log, against the camera; a refused one (duplicate, invalid) is not.
    const log = await apiGet<AuditPage>(app, '/api/audit?camera=pattern&action=camera-change');
    expect(log.entries.map((e) => e.detail?.change)).toEqual(['removed', 'changed', 'added']);
    expect(log.entries.every((e) => e.actor === 'instance-token')).toBe(true);
  });
});
