// Ranges a caller chooses are bounded: a hold from the epoch to the far future would switch retention off (and the
// disk would fill), and a clip of any length makes the backend assemble as much footage as asked for.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PERMISSIONS } from '../../backend/src/contract/people.js';
import { CameraScope } from '../../backend/src/people/scope.js';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeDuration, realSegments } from '../fixtures/footage.js';
import { MemoryBus } from '../../backend/src/bus/memory-bus.js';
import type { ApiError } from '../../backend/src/contract/api.js';
import { VideoConfig } from '../../backend/src/contract/config/video.js';
import { HOLD_LIMITS, MAX_CLIP_MS } from '../../backend/src/contract/video-api.js';
import type { HoldRecord } from '../../backend/src/contract/video.js';
import { findFfmpeg } from '../../backend/src/platform/binaries.js';
import { videoRoutes } from '../../backend/src/video/routes.js';
import { VideoService } from '../../backend/src/video/video-service.js';

describe('holds and clips take bounded ranges', () => {
  let dataDir: string;
  let video: VideoService;
  let bus: MemoryBus;
  let app: FastifyInstance;
  const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bounds-'));
    const ffmpeg = findFfmpeg()?.path ?? 'ffmpeg';
    bus = new MemoryBus();
    video = new VideoService({ dataDir, video: VideoConfig.parse({}), cameras: [], bus, ffmpeg });
    await video.start();
    // Two real 10 s segments of camera "gate", as the recorder would have stored and indexed them.
    for (const [i, seg] of realSegments().slice(0, 2).entries()) {
      const copy = path.join(dataDir, `seg-${i}.mp4`);
      fs.copyFileSync(seg, copy);
      const key = `gate/${T0 + i * 10_000}.mp4`;
      const stored = await video.store.put(key, copy);
      video.index.addSegment({
        cameraId: 'gate',
        start: T0 + i * 10_000,
        end: T0 + (i + 1) * 10_000,
        bytes: stored.bytes,
        key,
      });
    }
    // The video routes alone on a bare server: authentication is not what is tested here.
    app = Fastify();
    // The caller the server's access check would have set: someone with every right on every camera.
    app.addHook('onRequest', async (req) => {
      req.principal = {
        user: 'test',
        via: 'token',
        permissions: new Set(PERMISSIONS),
        cameras: CameraScope.everything(),
      };
    });
    await videoRoutes(video).register(app);
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await video.dispose();
    await bus.dispose();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const hold = async (
    body: Record<string, unknown>,
  ): Promise<{ status: number; body: ApiError & HoldRecord }> => {
    const r = await app.inject({ method: 'POST', url: '/api/holds', payload: body });
    return { status: r.statusCode, body: r.json() as ApiError & HoldRecord };
  };

  it.each([
    {
      name: 'a start before 2000 (here -1)',
      body: { from: -1, to: T0 },
      field: 'from',
      says: /"from" must be a time from 2000-01-01/,
    },
    {
      name: 'an end in the far future (1e20)',
      body: { from: T0, to: 1e20 },
      field: 'to',
      says: /"to" must be a whole number/,
    },
    {
      name: 'an end more than a year ahead',
      body: { from: T0, to: Date.now() + 400 * 86_400_000 },
      field: 'to',
      says: /"to" must be a time from 2000-01-01 to/,
    },
    {
      name: 'a fractional time',
      body: { from: T0 + 0.5, to: T0 + 10_000 },
      field: 'from',
      says: /whole number/,
    },
    {
      name: 'an end before the start',
      body: { from: T0, to: T0 - 1 },
      field: 'to',
      says: /"to" must be after "from"/,
    },
    {
      name: 'a span longer than a year',
      body: { from: Date.UTC(2020, 0, 1), to: Date.UTC(2022, 0, 1) },
      field: 'to',
      says: /at most 366 days/,
    },
    {
      name: 'a reason of a megabyte',
      body: { from: T0, to: T0 + 1000, reason: 'x'.repeat(1_000_000) },
      field: 'reason',
      says: /"reason" may be at most 1000 characters/,
    },
  ])('refuses a hold with $name: 400 naming the field, nothing held', async ({ body, field, says }) => {
    const r = await hold({ cameraId: 'gate', ...body });
    expect(r.status).toBe(400);
    expect(r.body.field).toBe(field);
    expect(r.body.message).toMatch(says);
    expect(video.holds()).toEqual([]);
  });

  it('says the allowed times in the refusal, and keeps a sane hold', async () => {
    const r = await hold({ cameraId: 'gate', from: -1, to: 1e20 });
    expect(r.body.message).toMatch(/"from" must be a time from 2000-01-01 to \d{4}-\d\d-\d\d .*got -1/);
    const ok = await hold({ cameraId: 'gate', from: T0, to: T0 + 3_600_000, reason: 'case 12' });
    expect(ok.status).toBe(201);
    expect(video.holds()).toEqual([
      expect.objectContaining({ from: T0, to: T0 + 3_600_000, reason: 'case 12' }),
    ]);
    // The longest hold allowed is a year.
    const year = await hold({ cameraId: 'gate', from: T0 - HOLD_LIMITS.maxSpanMs, to: T0 });
    expect(year.status).toBe(201);
  });

  it('refuses a clip longer than the cap with a 400 that says the cap; a clip inside it plays', async () => {
    const long = await app.inject({
      method: 'GET',
      url: `/api/clips/gate.mp4?from=${T0 - 86_400_000}&to=${T0 + 10 * 86_400_000}`,
    });
    expect(long.statusCode).toBe(400);
    const body = long.json() as ApiError;
    expect(body.field).toBe('to');
    expect(body.message).toMatch(/at most 30 minutes/);
    const justOver = await app.inject({
      method: 'GET',
      url: `/api/clips/gate.mp4?from=${T0}&to=${T0 + MAX_CLIP_MS + 1}`,
    });
    expect(justOver.statusCode).toBe(400);

    const ok = await app.inject({ method: 'GET', url: `/api/clips/gate.mp4?from=${T0}&to=${T0 + 20_000}` });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toBe('video/mp4');
    const file = path.join(dataDir, 'clip.mp4');
    fs.writeFileSync(file, ok.rawPayload);
    expect(probeDuration(file)).toBeGreaterThan(15);
  });
});
