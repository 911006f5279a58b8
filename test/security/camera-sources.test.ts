import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VideoConfig } from '../../backend/src/contract/config/video.js';
import type { ApiError } from '../../backend/src/contract/api.js';
import type { CameraStatus, ProbeResponse } from '../../backend/src/contract/video-api.js';
import { INSTALL_DIR } from '../../backend/src/platform/paths.js';
import { RecordingIndex } from '../../backend/src/video/recording-index.js';
import { OUTSIDE_MEDIA_FOLDERS, SourcePolicy } from '../../backend/src/video/source-policy.js';
import { spawnBackend, tempHome, type BackendProcess } from '../fixtures/backend.js';
import { startTestApp, TOKEN, waitFor } from '../helpers/video.js';

// File cameras play only files inside the configured media folders (the bundled demo footage by default), and
// network cameras reach only hosts the administrator allows: never link-local addresses (the cloud metadata service)
// nor ports of this machine other than the configured ones. Refusals never tell whether a file outside exists.

describe('which sources a camera added through the API may read (real backend, real ffmpeg)', () => {
  let app: Awaited<ReturnType<typeof startTestApp>>;
  let outside: string;
  let media: string;
  const call = async (method: string, p: string, body?: unknown): Promise<Response> =>
    fetch(`${app.url}${p}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const add = (id: string, main: unknown): Promise<Response> =>
    call('POST', '/api/cameras', { id, name: id, main, analysis: { enabled: false }, record: false });

  beforeAll(async () => {
    // A private folder outside every media folder, holding a real video, and a media folder with a link into it.
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-outside-'));
    fs.copyFileSync(path.join(INSTALL_DIR, 'assets/demo/vtest-h264.mp4'), path.join(outside, 'private.mp4'));
    media = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-media-'));
    fs.symlinkSync(path.join(outside, 'private.mp4'), path.join(media, 'link.mp4'));
    app = await startTestApp({
      cameras: [],
      video: { mediaFolders: ['assets/demo', media] },
    });
  });
  afterAll(async () => {
    await app?.cleanup();
    fs.rmSync(outside, { recursive: true, force: true });
    fs.rmSync(media, { recursive: true, force: true });
  });

  it('plays the bundled demo footage', async () => {
    const res = await add('demo', { kind: 'file', path: 'assets/demo/vtest-h264.mp4' });
    expect(res.status).toBe(201);
    await waitFor('demo streaming', async () => {
      const list = (await (await call('GET', '/api/cameras')).json()) as CameraStatus[];
      return list.find((c) => c.id === 'demo')?.state === 'streaming';
    });
  });

  it('refuses files outside the media folders with one message, whether they exist or not', async () => {
    const tries = [
      path.join(outside, 'private.mp4'), // exists
      path.join(outside, 'missing.mp4'), // does not
      '/etc/passwd',
      'assets/demo/../../package.json', // climbs out of the demo folder
      path.join(media, 'link.mp4'), // a link inside a media folder leading outside
    ];
    const answers: string[] = [];
    for (const [i, p] of tries.entries()) {
      const res = await add(`outside-${i}`, { kind: 'file', path: p });
      expect(res.status, p).toBe(400);
      const body = (await res.json()) as ApiError;
      expect(body.field).toBe('main.path');
      answers.push(body.message);
      const probe = await call('POST', '/api/cameras/probe', { source: { kind: 'file', path: p } });
      expect(probe.status, p).toBe(400);
      answers.push(((await probe.json()) as ApiError).message.replace(/^source\./, 'main.'));
    }
    expect(new Set(answers)).toEqual(new Set([`main.path: ${OUTSIDE_MEDIA_FOLDERS}`]));
    const list = (await (await call('GET', '/api/cameras')).json()) as CameraStatus[];
    expect(list.map((c) => c.id)).toEqual(['demo']);
  });

  it('inside a media folder, says plainly that a file is missing', async () => {
    const probe = (await (
      await call('POST', '/api/cameras/probe', {
        source: { kind: 'file', path: path.join(media, 'none.mp4') },
      })
    ).json()) as ProbeResponse;
    expect(probe).toEqual({ ok: false, reason: 'file not found: none.mp4' });
  });

  it('refuses the cloud metadata service, link-local addresses and local ports other than the configured ones', async () => {
    const apiPort = new URL(app.url).port;
    const refused: Array<[string, RegExp]> = [
      ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254:80 \(denied/],
      ['http://[fe80::1]/x', /fe80::1:80 \(denied/],
      [`http://127.0.0.1:${apiPort}/api/cameras`, new RegExp(`port ${apiPort} of this machine`)],
      ['tcp://127.0.0.1:6379', /port 6379 of this machine/],
      ['http://localhost:6379/', /port 6379 of this machine/],
      ['rtsp://0.0.0.0:6379/x', /denied by video\.networkSources\.deny/],
      // 2130706433 is 127.0.0.1 written as one number: resolved, then checked.
      ['rtsp://2130706433:6379/x', /port 6379 of this machine/],
    ];
    for (const [url, reason] of refused) {
      const kind = url.startsWith('rtsp') ? 'rtsp' : 'url';
      const res = await add('net', { kind, url });
      expect(res.status, url).toBe(400);
      const body = (await res.json()) as ApiError;
      expect(body.field, url).toBe('main.url');
      expect(body.message, url).toMatch(reason);
      const probe = await call('POST', '/api/cameras/probe', { source: { kind, url } });
      expect(probe.status, url).toBe(400);
    }
    // The default local RTSP relay port is allowed (nothing listens there: the probe says so).
    const relay = (await (
      await call('POST', '/api/cameras/probe', { source: { kind: 'rtsp', url: 'rtsp://127.0.0.1:8554/cam' } })
    ).json()) as ProbeResponse;
    expect(relay).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/connection refused at 127\.0\.0\.1:8554/),
    });
  });
});

describe('host rules an administrator sets', () => {
  const policy = (networkSources: object) =>
    new SourcePolicy(VideoConfig.parse({ networkSources }), [], async (host) => {
      // Name resolution as a site's DNS would answer (the real resolver is used by the backend).
      const names: Record<string, string[]> = {
        'cam1.site.lan': ['10.1.2.3'],
        'rebind.example': ['169.254.169.254'],
      };
      const found = names[host];
      if (!found) throw new Error('ENOTFOUND');
      return found;
    });
  const src = (url: string) => ({ kind: 'rtsp' as const, url, transport: 'tcp' as const });

  it('admits only the allowed hosts and ranges when an allow list is set', async () => {
    const p = policy({ allow: ['10.0.0.0/8', '*.cams.example'] });
    expect(await p.refusal(src('rtsp://10.9.9.9/x'))).toBeUndefined();
    expect(await p.refusal(src('rtsp://cam1.site.lan/x'))).toBeUndefined(); // resolves into 10.0.0.0/8
    expect(await p.refusal(src('rtsp://192.168.1.20/x'))).toMatch(/not in video\.networkSources\.allow/);
  });

  it('denies by name, range and port, and checks the addresses a name resolves to', async () => {
    const p = policy({ deny: ['192.168.7.0/24', 'nvr.example:8080', '169.254.0.0/16'] });
    expect(await p.refusal(src('rtsp://192.168.7.4/x'))).toMatch(/denied/);
    expect(await p.refusal(src('rtsp://rebind.example/x'))).toMatch(/denied/);
    expect(await p.refusal(src('rtsp://192.168.8.4/x'))).toBeUndefined();
  });
});

describe('a stored file camera an older version accepted outside the media folders', () => {
  let backend: BackendProcess;
  let outside: string;
  beforeAll(async () => {
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-outside-old-'));
    fs.copyFileSync(path.join(INSTALL_DIR, 'assets/demo/vtest-h264.mp4'), path.join(outside, 'private.mp4'));
    const home = tempHome('vigil-old-file-');
    fs.mkdirSync(path.join(home, 'data'));
    const index = new RecordingIndex(path.join(home, 'data', 'recordings.sqlite'));
    index.db.prepare('INSERT INTO cameras (id, json, deleted) VALUES (?, ?, 0)').run(
      'snoop',
      JSON.stringify({
        id: 'snoop',
        name: 'Snoop',
        enabled: true,
        main: { kind: 'file', path: path.join(outside, 'private.mp4'), loop: true },
        record: true,
        analysis: { enabled: false, fps: 5, width: 640 },
        tags: [],
        location: '',
      }),
    );
    index.close();
    backend = await spawnBackend({ detect: { enabled: false } }, { home, timeoutMs: 60_000 });
  });
  afterAll(async () => {
    await backend?.stop();
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('is not started: it shows why, while the demo camera plays', async () => {
    const get = async (): Promise<CameraStatus[]> =>
      (await (
        await fetch(`${backend.url}/api/cameras`, { headers: { authorization: `Bearer ${backend.token}` } })
      ).json()) as CameraStatus[];
    await waitFor('the demo camera streaming', async () =>
      (await get()).find((c) => c.id === 'demo-plaza' && c.state === 'streaming'),
    );
    const snoop = (await get()).find((c) => c.id === 'snoop');
    expect(snoop).toMatchObject({ state: 'failed', reason: OUTSIDE_MEDIA_FOLDERS });
    expect(snoop?.fpsIn).toBe(0);
  });
});
