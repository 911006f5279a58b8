import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../../test/fixtures/api.js';
import { MemoryBus } from '../bus/memory-bus.js';
import { DetectConfig } from '../contract/config/detect.js';
import type { AlertRule, CameraZones, DetectStats } from '../contract/detect-api.js';
import { detectRoutes } from './routes.js';
import { DetectionService } from './service.js';

describe('detection HTTP API', () => {
  let dataDir: string;
  let api: TestApi;
  let service: DetectionService;
  const call = (method: string, url: string, body?: unknown) => api.call(method, url, body);

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-detect-api-'));
    // Detection switched off: the routes need the settings store, not the model.
    service = new DetectionService({
      config: DetectConfig.parse({ enabled: false }),
      bus: new MemoryBus(),
      dataDir,
    });
    await service.start();
    api = await startTestApi([detectRoutes(service)]);
  });
  afterAll(async () => {
    await api?.dispose();
    await service?.dispose();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores zones and masks per camera and keeps them across restarts', async () => {
    expect((await call('GET', '/api/cameras/dock/zones')).body).toEqual({ zones: [], masks: [] });
    const zones: CameraZones = {
      zones: [
        {
          name: 'Loading dock',
          points: [
            [0, 0.5],
            [0.5, 0.5],
            [0.5, 1],
          ],
          color: '#ff8800',
        },
      ],
      masks: [
        {
          points: [
            [0.9, 0],
            [1, 0],
            [1, 0.1],
          ],
        },
      ],
    };
    const put = await call('PUT', '/api/cameras/dock/zones', zones);
    expect(put.status).toBe(200);
    expect(put.body).toEqual(zones);
    const reloaded = new DetectionService({
      config: DetectConfig.parse({ enabled: false }),
      bus: new MemoryBus(),
      dataDir,
    });
    await reloaded.start();
    expect(reloaded.settings.zones('dock')).toEqual(zones);
    await reloaded.dispose();
  });

  it('rejects bad zones with a message naming the field', async () => {
    const tooFew = await call('PUT', '/api/cameras/dock/zones', {
      zones: [
        {
          name: 'x',
          points: [
            [0, 0],
            [1, 1],
          ],
        },
      ],
    });
    expect(tooFew.status).toBe(400);
    expect(tooFew.body).toMatchObject({ error: 'bad_request', field: 'zones.0.points' });
    expect(String(tooFew.body?.message)).toMatch(/at least 3 points/);
    const outside = await call('PUT', '/api/cameras/dock/zones', {
      zones: [
        {
          name: 'x',
          points: [
            [0, 0],
            [2, 1],
            [0, 1],
          ],
        },
      ],
    });
    expect(outside.status).toBe(400);
    const badCamera = await call('GET', '/api/cameras/Bad%20Id/zones');
    expect(badCamera.status).toBe(400);
  });

  it('creates, lists, updates and deletes alert rules', async () => {
    const created = await call('POST', '/api/alert-rules', {
      name: 'Night dock',
      label: 'person',
      cameraId: 'dock',
      zone: 'Loading dock',
      schedule: { from: '22:00', to: '06:00' },
      minDurationSec: 5,
      severity: 'critical',
    });
    expect(created.status).toBe(201);
    const rule = created.body as unknown as AlertRule;
    expect(rule).toMatchObject({ name: 'Night dock', enabled: true, minDurationSec: 5 });
    expect(rule.id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await call('GET', '/api/alert-rules')).body).toEqual([rule]);
    const updated = await call('PUT', `/api/alert-rules/${rule.id}`, {
      ...rule,
      id: undefined,
      enabled: false,
    });
    expect(updated.body).toMatchObject({ id: rule.id, enabled: false });
    expect((await call('GET', `/api/alert-rules/${rule.id}`)).body).toMatchObject({ enabled: false });
    expect((await call('DELETE', `/api/alert-rules/${rule.id}`)).status).toBe(204);
    expect((await call('GET', `/api/alert-rules/${rule.id}`)).status).toBe(404);
    expect((await call('DELETE', `/api/alert-rules/${rule.id}`)).status).toBe(404);
  });

  it('rejects a rule with a bad schedule', async () => {
    const res = await call('POST', '/api/alert-rules', {
      name: 'x',
      label: 'person',
      schedule: { from: '25:00', to: '06:00' },
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ field: 'schedule.from' });
  });

  it('reports detector statistics', async () => {
    const stats = (await call('GET', '/api/detect/stats')).body as unknown as DetectStats;
    expect(stats).toMatchObject({ model: 'centernet', inferenceMsP50: 0, perCamera: {} });
    expect((await fetch(`${api.server.url}/api/detect/stats`)).status).toBe(401);
  });
});
