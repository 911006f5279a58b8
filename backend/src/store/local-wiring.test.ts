import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Topics } from '../contract/bus.js';
import { VigilConfig } from '../contract/config.js';
import type { EventSearchResponse } from '../contract/events-api.js';
import { inspectRuntime } from '../platform/binaries.js';
import { startLocalApp, type RunningApp } from '../roles/local.js';
import { makeEvent } from '../../../test/contracts/event-store.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-local-store-'));
let app: RunningApp | undefined;
afterAll(async () => {
  await app?.dispose();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('event store in the local backend', () => {
  it('stores events published on the bus under the data folder and serves them over the API', async () => {
    const config = VigilConfig.parse({ server: { port: 0 } });
    app = await startLocalApp({ config, dataDir, runtime: inspectRuntime(), rendererDir: dataDir });
    const e = makeEvent({ id: 'wired', cameraId: 'demo-plaza', zones: ['fountain'] });
    await app.bus.publish(Topics.events, e.cameraId, e);
    await app.bus.drain();
    const res = await fetch(`${app.url}/api/events?q=plaza`, {
      headers: { authorization: `Bearer ${app.auth.token}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as EventSearchResponse;
    expect(body.items.map((i) => [i.id, i.cameraName])).toEqual([['wired', 'Demo plaza']]);
    expect(fs.existsSync(path.join(dataDir, 'events.db'))).toBe(true);
    const health = (await (await fetch(`${app.url}/healthz`)).json()) as {
      services: Record<string, { status: string }>;
    };
    expect(health.services.store?.status).toBe('ok');
  });

  it('protects the footage of a retained event with a hold, and releases it when no longer retained', async () => {
    if (!app) throw new Error('the first test starts the app');
    const auth = { authorization: `Bearer ${app.auth.token}`, 'content-type': 'application/json' };
    const holds = async () =>
      (await (await fetch(`${app?.url}/api/holds`, { headers: auth })).json()) as Array<{
        cameraId: string;
        from: number;
        to: number;
        reason: string;
      }>;
    const retain = (value: boolean) =>
      fetch(`${app?.url}/api/events/wired`, {
        method: 'PATCH',
        headers: auth,
        body: JSON.stringify({ retain: value }),
      });

    expect((await retain(true)).status).toBe(200);
    const held = (await holds()).filter((h) => h.reason === 'retained event wired');
    expect(held).toHaveLength(1);
    const event = (await (await fetch(`${app.url}/api/events/wired`, { headers: auth })).json()) as {
      startTs: number;
      lastTs: number;
    };
    expect(held[0]?.cameraId).toBe('demo-plaza');
    expect(held[0]?.from).toBeLessThan(event.startTs);
    expect(held[0]?.to).toBeGreaterThan(event.lastTs);

    expect((await retain(false)).status).toBe(200);
    expect((await holds()).filter((h) => h.reason === 'retained event wired')).toEqual([]);
  });
});
