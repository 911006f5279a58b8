import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as contract from '../../backend/src/contract/index.js';
import type { ApiError } from '../../backend/src/contract/api.js';
import type { CameraStatus } from '../../backend/src/contract/video-api.js';
import { StreamProcess } from '../../backend/src/video/stream-process.js';
import { createLogger } from '../../backend/src/platform/log.js';
import { RecordingIndex } from '../../backend/src/video/recording-index.js';
import { spawnBackend, tempHome, type BackendProcess } from '../fixtures/backend.js';
import { startTestApp, TOKEN, waitFor } from '../helpers/video.js';

type JsonSchema = Record<string, unknown>;

/** Every place in a JSON Schema where a string, list or number has no upper bound. */
function unbounded(schema: unknown, at: string, out: string[]): void {
  if (!schema || typeof schema !== 'object') return;
  if (Array.isArray(schema)) {
    schema.forEach((s, i) => unbounded(s, `${at}[${i}]`, out));
    return;
  }
  const s = schema as JsonSchema;
  if (s.type === 'string' && s.maxLength === undefined && s.enum === undefined && s.const === undefined)
    out.push(`${at}: a string without maxLength`);
  if (s.type === 'array' && s.maxItems === undefined && s.prefixItems === undefined)
    out.push(`${at}: a list without maxItems`);
  if (
    (s.type === 'number' || s.type === 'integer') &&
    s.maximum === undefined &&
    s.exclusiveMaximum === undefined
  )
    out.push(`${at}: a number without maximum`);
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') {
    const keys = s.propertyNames as JsonSchema | undefined;
    if (keys?.maxLength === undefined) out.push(`${at}: a record whose keys have no maxLength`);
  }
  for (const [k, v] of Object.entries(s)) unbounded(v, `${at}.${k}`, out);
}

describe('every schema of the contract bounds its strings, lists and numbers', () => {
  const schemas: Array<[string, z.ZodType]> = [];
  for (const [name, value] of Object.entries(contract) as Array<[string, unknown]>)
    if (value instanceof z.ZodType) schemas.push([name, value]);

  it('finds the schemas (configuration, cameras, events, layouts …)', () => {
    const names = schemas.map(([n]) => n);
    for (const n of ['VigilConfig', 'CameraConfig', 'CameraInput', 'StreamSourceInput', 'EventQueryParams'])
      expect(names).toContain(n);
  });

  it('has no unbounded string, list or number in what it accepts', () => {
    const out: string[] = [];
    for (const [name, schema] of schemas) {
      // Input side for strings and lists (what a client sends); output side for numbers parsed from text.
      unbounded(z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }), name, out);
      const input: string[] = [];
      unbounded(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }), name, input);
      out.push(...input.filter((l) => !l.endsWith('a number without maximum')));
    }
    expect(out).toEqual([]);
  });

  it('names the limits the issue is about: URLs 2,048, names 200, notes 10,000', () => {
    expect(contract.Limits.url).toBe(2048);
    expect(contract.Limits.name).toBe(200);
    expect(contract.Limits.note).toBe(10_000);
    const r = contract.CameraConfig.safeParse({
      id: 'long',
      name: 'Long',
      main: { kind: 'rtsp', url: `rtsp://cam/${'a'.repeat(3000)}` },
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['main', 'url']);
  });
});

describe('a 200,000-character camera URL (real backend, real ffmpeg)', () => {
  let app: Awaited<ReturnType<typeof startTestApp>>;
  beforeAll(async () => {
    app = await startTestApp({ cameras: [] });
  });
  afterAll(() => app?.cleanup());

  it('is refused with 400 naming the field, and never saved', async () => {
    const url = `rtsp://10.0.0.1/${'x'.repeat(200_000)}`;
    const res = await fetch(`${app.url}/api/cameras`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'huge', name: 'Huge', main: { kind: 'rtsp', url } }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ApiError;
    expect(body.field).toBe('main.url');
    expect(body.message).toMatch(/main\.url: at most 2048 characters/);
    const list = (await (
      await fetch(`${app.url}/api/cameras`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as CameraStatus[];
    expect(list).toEqual([]);
    const db = new Database(path.join(app.dataDir, 'recordings.sqlite'), { readonly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) AS n FROM cameras').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });
});

describe('a camera that cannot start', () => {
  it('fails alone when ffmpeg cannot even be spawned (E2BIG): the error is on that stream, nothing throws', async () => {
    const states: Array<[string, string | undefined]> = [];
    // One argument longer than the kernel's MAX_ARG_STRLEN (32 pages, 128 KiB on Linux: execve(2), "Limits on size
    // of arguments and environment"): spawn fails synchronously with E2BIG.
    const proc = new StreamProcess({
      ffmpeg: 'ffmpeg',
      source: { kind: 'file', path: `/tmp/${'y'.repeat(200_000)}.mp4`, loop: true },
      plan: { live: { fragmentMs: 500 } },
      env: {},
      reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000, failAfterAttempts: 1 },
      stallMs: 10_000,
      log: createLogger('test.e2big'),
      handlers: { onState: (state, reason) => states.push([state, reason]) },
    });
    expect(() => proc.start()).not.toThrow();
    expect(proc.state).toBe('failed');
    expect(proc.reason).toMatch(/could not start ffmpeg: spawn E2BIG/);
    await proc.dispose();
  });

  describe('a stored camera an older version accepted (a 200,000-character URL)', () => {
    let backend: BackendProcess;
    beforeAll(async () => {
      const home = tempHome('vigil-bricked-');
      const dataDir = path.join(home, 'data');
      fs.mkdirSync(dataDir, { recursive: true });
      // The row as an older version saved it, straight into the store.
      const index = new RecordingIndex(path.join(dataDir, 'recordings.sqlite'));
      index.db.prepare('INSERT INTO cameras (id, json, deleted) VALUES (?, ?, 0)').run(
        'bricked',
        JSON.stringify({
          id: 'bricked',
          name: 'Bricked',
          enabled: true,
          main: { kind: 'rtsp', url: `rtsp://10.0.0.1/${'z'.repeat(200_000)}`, transport: 'tcp' },
          record: true,
          analysis: { enabled: true, fps: 5, width: 640 },
          tags: [],
          location: '',
        }),
      );
      index.close();
      backend = await spawnBackend(
        {
          detect: { enabled: false },
          cameras: [
            {
              id: 'pattern',
              name: 'Pattern',
              main: { kind: 'testPattern', width: 160, height: 120, fps: 5 },
              analysis: { enabled: false },
            },
          ],
        },
        { home, timeoutMs: 60_000 },
      );
    });
    afterAll(async () => {
      await backend?.stop();
    });

    it('does not stop the backend: that camera shows its error and the others run', async () => {
      const get = async (): Promise<CameraStatus[]> =>
        (await (
          await fetch(`${backend.url}/api/cameras`, { headers: { authorization: `Bearer ${backend.token}` } })
        ).json()) as CameraStatus[];
      const pattern = await waitFor('the other camera streaming', async () =>
        (await get()).find((c) => c.id === 'pattern' && c.state === 'streaming'),
      );
      expect(pattern.name).toBe('Pattern');
      const bricked = (await get()).find((c) => c.id === 'bricked');
      expect(bricked?.state).toBe('failed');
      expect(bricked?.reason).toMatch(/main\.url: at most 2048 characters.*edit or remove the camera/);
      expect((await fetch(`${backend.url}/healthz`)).status).toBeLessThan(500);
      // It can be removed like any camera.
      const del = await fetch(`${backend.url}/api/cameras/bricked`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${backend.token}` },
      });
      expect(del.status).toBe(204);
    });
  });
});
