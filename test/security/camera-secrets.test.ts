import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VigilConfig } from '../../backend/src/contract/config.js';
import type { CameraDetail, CameraStatus } from '../../backend/src/contract/video-api.js';
import { runBackup, scanDataDir } from '../../backend/src/backup/engine.js';
import { FolderTarget } from '../../backend/src/backup/targets/folder.js';
import { inspectRuntime } from '../../backend/src/platform/binaries.js';
import { configureLogging } from '../../backend/src/platform/log.js';
import { startLocalApp, type RunningApp } from '../../backend/src/roles/local.js';
import { RecordingIndex } from '../../backend/src/video/recording-index.js';
import { skipWithout } from '../fixtures/require.js';
import { RTSP_INSTALL_HINT, RtspFixture, rtspFixtureAvailable } from '../fixtures/rtsp.js';
import { TOKEN, waitFor } from '../helpers/video.js';

// A camera password typed into the camera form or into its URL is kept in the secret store only: never answered by
// the API, never in recordings.sqlite (and so never in a backup), never in a log line.

const skip = skipWithout('RTSP server', rtspFixtureAvailable(), RTSP_INSTALL_HINT);
const PASSWORD = 'Pw#in url:42/x';
const OLD_PASSWORD = 'Old-version-pw-7788';
const forms = (pw: string): string[] => [pw, encodeURIComponent(pw)];

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Files under `dir` whose bytes contain any form of the password. */
function filesHolding(dir: string, pw: string): string[] {
  return filesUnder(dir).filter((f) => {
    const bytes = fs.readFileSync(f);
    return forms(pw).some((s) => bytes.includes(Buffer.from(s)));
  });
}

async function startApp(dataDir: string, port: number): Promise<RunningApp> {
  return startLocalApp({
    config: VigilConfig.parse({
      server: { port: 0 },
      detect: { enabled: false },
      video: { segmentSeconds: 2, networkSources: { loopbackPorts: [port] } },
      cameras: [],
    }),
    dataDir,
    runtime: inspectRuntime(),
    token: TOKEN,
  });
}

describe.skipIf(skip)('camera passwords (real RTSP server with authentication, real backend)', () => {
  let rtsp: RtspFixture;
  let app: RunningApp;
  let dataDir: string;
  let logText = '';
  const call = async (method: string, p: string, body?: unknown): Promise<Response> =>
    fetch(`${app.url}${p}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const status = async (id: string): Promise<CameraStatus | undefined> =>
    ((await (await call('GET', '/api/cameras')).json()) as CameraStatus[]).find((c) => c.id === id);

  beforeAll(async () => {
    configureLogging({
      level: 'debug',
      destination: new Writable({
        write(chunk: Buffer, _enc, cb) {
          logText += chunk.toString();
          cb();
        },
      }),
    });
    rtsp = await RtspFixture.start({ user: 'admin', password: PASSWORD });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-secrets-'));
    app = await startApp(dataDir, rtsp.port);
  });
  afterAll(async () => {
    await app?.dispose();
    await rtsp?.dispose();
    configureLogging();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('splits a password typed into the URL out on save: the API answers the user name and "set", never the password', async () => {
    const created = await call('POST', '/api/cameras', {
      id: 'gate',
      name: 'Gate',
      main: { kind: 'rtsp', url: rtsp.secureUrl() },
      analysis: { enabled: false },
    });
    const createdText = await created.text();
    expect(created.status, createdText).toBe(201);
    await waitFor(
      'streaming with the stored password',
      async () => (await status('gate'))?.state === 'streaming',
    );
    const res = await call('GET', '/api/cameras/gate');
    const text = await res.text();
    for (const s of forms(PASSWORD)) {
      expect(text).not.toContain(s);
      expect(createdText).not.toContain(s);
    }
    const detail = JSON.parse(text) as CameraDetail;
    expect(detail.config.main).toMatchObject({
      kind: 'rtsp',
      url: `rtsp://127.0.0.1:${rtsp.port}/secure`,
      username: 'admin',
      passwordSet: true,
    });
  });

  it('keeps the password when the form leaves it blank, and drops it when the URL points at another server', async () => {
    const detail = (await (await call('GET', '/api/cameras/gate')).json()) as CameraDetail;
    // What the form sends back: the configuration as shown, password blank.
    const kept = await call('PUT', '/api/cameras/gate', { ...detail.config, name: 'Gate 2' });
    expect(kept.status).toBe(200);
    expect(((await kept.json()) as CameraDetail).config.main).toMatchObject({ passwordSet: true });
    await waitFor('streaming again', async () => (await status('gate'))?.state === 'streaming');

    const wrong = await call('PUT', '/api/cameras/gate', {
      ...detail.config,
      main: { ...detail.config.main, password: 'not-it' },
    });
    expect(wrong.status).toBe(200);
    const refused = await waitFor('refused', async () => {
      const s = await status('gate');
      return s?.state === 'failed' && s;
    });
    expect(refused.reason).toMatch(/authentication failed/);
    const fixed = await call('PUT', '/api/cameras/gate', {
      ...detail.config,
      main: { ...detail.config.main, password: PASSWORD },
    });
    expect(fixed.status).toBe(200);
    await waitFor('streaming after the fix', async () => (await status('gate'))?.state === 'streaming');

    // Same camera id, another server: the stored password does not follow the URL there.
    const moved = await call('POST', '/api/cameras', {
      id: 'moving',
      name: 'Moving',
      main: { kind: 'rtsp', url: rtsp.secureUrl() },
      enabled: false,
    });
    expect(moved.status).toBe(201);
    const elsewhere = await call('PUT', '/api/cameras/moving', {
      id: 'moving',
      name: 'Moving',
      enabled: false,
      main: {
        kind: 'rtsp',
        url: `rtsp://localhost:${rtsp.port}/secure`,
        username: 'admin',
        passwordSet: true,
      },
    });
    expect(((await elsewhere.json()) as CameraDetail).config.main).toMatchObject({ passwordSet: false });
  });

  it('keeps the password out of recordings.sqlite and in a private, encrypted secret file', async () => {
    await waitFor('a recorded segment', () => app.video.index.segments('gate', 0, Date.now()).length > 0);
    const leaking = filesHolding(dataDir, PASSWORD);
    expect(leaking).toEqual([]);
    const secretsDir = path.join(dataDir, 'secrets');
    expect(fs.statSync(secretsDir).mode & 0o777).toBe(0o700);
    for (const f of fs.readdirSync(secretsDir))
      expect(fs.statSync(path.join(secretsDir, f)).mode & 0o777, f).toBe(0o600);
  });

  it('never puts the password in a backup, in clear or otherwise', async () => {
    const listed = (await scanDataDir(dataDir)).map((f) => f.path);
    expect(listed.some((p) => p.startsWith('secrets/'))).toBe(false);
    expect(listed).toContain('recordings.sqlite');
    const targetDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-secrets-backup-'));
    try {
      const run = await runBackup({
        dataDir,
        target: new FolderTarget(targetDir),
        jobId: 'job',
        targetId: 'folder',
      });
      expect(run.state, run.errors.join('; ')).toBe('succeeded');
      expect(filesUnder(targetDir).length).toBeGreaterThan(0);
      expect(filesHolding(targetDir, PASSWORD)).toEqual([]);
    } finally {
      fs.rmSync(targetDir, { recursive: true, force: true });
    }
  });

  it('never writes the password to the log, even when ffmpeg quotes the URL', () => {
    expect(logText.length).toBeGreaterThan(0);
    for (const s of forms(PASSWORD)) expect(logText).not.toContain(s);
  });

  it('moves passwords that an older version stored inside URLs to the secret store on start', async () => {
    const oldDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-secrets-old-'));
    const old = `rtsp://admin:${encodeURIComponent(PASSWORD)}@127.0.0.1:${rtsp.port}/secure`;
    const index = new RecordingIndex(path.join(oldDir, 'recordings.sqlite'));
    const row = (id: string, url: string) =>
      JSON.stringify({
        id,
        name: id,
        enabled: true,
        main: { kind: 'rtsp', url, transport: 'tcp' },
        record: false,
        analysis: { enabled: false, fps: 5, width: 640 },
        tags: [],
        location: '',
      });
    index.db
      .prepare('INSERT INTO cameras (id, json, deleted) VALUES (?, ?, 0)')
      .run('legacy', row('legacy', old));
    index.db
      .prepare('INSERT INTO cameras (id, json, deleted) VALUES (?, ?, 1)')
      .run('removed', row('removed', `rtsp://admin:${OLD_PASSWORD}@10.0.0.9/x`));
    index.close();
    expect(filesHolding(oldDir, PASSWORD).length).toBeGreaterThan(0); // the problem as it was

    const second = await startApp(oldDir, rtsp.port);
    try {
      const headers = { authorization: `Bearer ${TOKEN}` };
      await waitFor('the migrated camera streaming', async () => {
        const list = (await (await fetch(`${second.url}/api/cameras`, { headers })).json()) as CameraStatus[];
        return list.find((c) => c.id === 'legacy')?.state === 'streaming';
      });
      const detail = (await (
        await fetch(`${second.url}/api/cameras/legacy`, { headers })
      ).json()) as CameraDetail;
      expect(detail.config.main).toMatchObject({ username: 'admin', passwordSet: true });
      expect(JSON.stringify(detail)).not.toContain(PASSWORD);
      expect(filesHolding(oldDir, PASSWORD)).toEqual([]);
      expect(filesHolding(oldDir, OLD_PASSWORD)).toEqual([]);
    } finally {
      await second.dispose();
      fs.rmSync(oldDir, { recursive: true, force: true });
    }
  });
});
