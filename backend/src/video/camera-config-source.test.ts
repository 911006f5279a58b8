import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApiError } from '../contract/api.js';
import { VigilConfig, type VigilConfigInput } from '../contract/config.js';
import type { CameraDetail, CameraStatus } from '../contract/video-api.js';
import { inspectRuntime } from '../platform/binaries.js';
import { startLocalApp, type RunningApp } from '../roles/local.js';
import { apiGet, TOKEN } from '../../../test/helpers/video.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-camera-source-'));
let app: RunningApp | undefined;

/** Starts the real local backend over the same data folder every time: a restart, as after editing the file. */
async function start(cameras: VigilConfigInput['cameras']): Promise<RunningApp> {
  await app?.dispose();
  app = await startLocalApp({
    config: VigilConfig.parse({
      server: { port: 0 },
      logging: { level: 'warn' },
      detect: { enabled: false },
      ...(cameras ? { cameras } : {}),
    }),
    dataDir,
    runtime: inspectRuntime(),
    token: TOKEN,
  });
  return app;
}

const send = (a: RunningApp, method: string, p: string, body?: unknown) =>
  fetch(`${a.url}${p}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

const gate = (fps: number) => ({
  id: 'gate',
  name: 'Gate',
  main: { kind: 'testPattern' as const, width: 160, height: 120, fps: 5 },
  record: false,
  analysis: { fps },
});

describe('camera settings: the configuration file wins for its cameras, the app keeps its own (restarts)', () => {
  afterAll(async () => {
    await app?.dispose();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('a changed analysis.fps in the file takes effect at the next start', async () => {
    let a = await start([gate(5)]);
    let detail = await apiGet<CameraDetail>(a, '/api/cameras/gate');
    expect(detail.config.analysis.fps).toBe(5);
    expect(detail.setInConfigFile).toBe(true);

    a = await start([gate(2)]);
    detail = await apiGet<CameraDetail>(a, '/api/cameras/gate');
    expect(detail.config.analysis.fps).toBe(2);
    expect((await apiGet<CameraStatus[]>(a, '/api/cameras'))[0]).toMatchObject({
      id: 'gate',
      setInConfigFile: true,
    });
  });

  it('the API refuses to change or remove a camera of the file, saying where to change it', async () => {
    const a = await start([gate(2)]);
    const detail = await apiGet<CameraDetail>(a, '/api/cameras/gate');
    const put = await send(a, 'PUT', '/api/cameras/gate', {
      ...detail.config,
      analysis: { ...detail.config.analysis, fps: 1 },
    });
    expect(put.status).toBe(409);
    expect(((await put.json()) as ApiError).message).toMatch(/set in the configuration file/);
    expect((await send(a, 'DELETE', '/api/cameras/gate')).status).toBe(409);
    expect((await apiGet<CameraDetail>(a, '/api/cameras/gate')).config.analysis.fps).toBe(2);
    // Unknown cameras still answer 404, not "set in the file".
    expect((await send(a, 'DELETE', '/api/cameras/nowhere')).status).toBe(404);
  });

  it('a camera added in the app keeps its edits across a restart, next to the file camera', async () => {
    let a = await start([gate(2)]);
    const created = await send(a, 'POST', '/api/cameras', {
      id: 'yard',
      name: 'Yard',
      main: { kind: 'testPattern', width: 160, height: 120, fps: 5 },
      record: false,
      analysis: { fps: 4 },
    });
    expect(created.status).toBe(201);
    const yard = await apiGet<CameraDetail>(a, '/api/cameras/yard');
    expect(yard.setInConfigFile).toBeUndefined();
    const changed = await send(a, 'PUT', '/api/cameras/yard', {
      ...yard.config,
      analysis: { ...yard.config.analysis, fps: 3 },
    });
    expect(changed.status).toBe(200);

    a = await start([gate(1)]);
    expect((await apiGet<CameraDetail>(a, '/api/cameras/yard')).config.analysis.fps).toBe(3);
    expect((await apiGet<CameraDetail>(a, '/api/cameras/gate')).config.analysis.fps).toBe(1);
  });

  it("the defaults' demo camera only seeds a fresh installation and is then the app's to edit", async () => {
    const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-camera-demo-'));
    const config = VigilConfig.parse({
      server: { port: 0 },
      logging: { level: 'warn' },
      detect: { enabled: false },
    });
    const boot = () => startLocalApp({ config, dataDir: fresh, runtime: inspectRuntime(), token: TOKEN });
    let demo = await boot();
    try {
      const detail = await apiGet<CameraDetail>(demo, '/api/cameras/demo-plaza');
      expect(detail.setInConfigFile).toBeUndefined();
      const renamed = await send(demo, 'PUT', '/api/cameras/demo-plaza', {
        ...detail.config,
        name: 'Square',
      });
      expect(renamed.status).toBe(200);
      await demo.dispose();
      demo = await boot();
      expect((await apiGet<CameraDetail>(demo, '/api/cameras/demo-plaza')).name).toBe('Square');
    } finally {
      await demo.dispose();
      fs.rmSync(fresh, { recursive: true, force: true });
    }
  });
});
