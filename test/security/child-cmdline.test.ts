import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraStatus, ProbeResponse } from '../../backend/src/contract/video-api.js';
import { spawnBackend, type BackendProcess } from '../fixtures/backend.js';
import { skipWithout } from '../fixtures/require.js';
import { RTSP_INSTALL_HINT, RtspFixture, rtspFixtureAvailable } from '../fixtures/rtsp.js';
import { waitFor } from '../helpers/video.js';

// Camera passwords must never be readable by other local users: /proc/<pid>/cmdline is world-readable on Linux
// (proc(5)), and /proc/<pid>/environ to the same user and root. Every process the backend starts is checked while
// cameras with passwords stream, while the "test" button probes a camera, and while clips and evidence exports run.

const skip = skipWithout('RTSP server', rtspFixtureAvailable(), RTSP_INSTALL_HINT);
const PASSWORD = 'Cmd-line/Pw:7391';
const ENV_PASSWORD = PASSWORD; // the fixture has one account; the passwordEnv camera uses it too

interface Seen {
  pid: number;
  cmdline: string;
  environ: string;
}

/** Every descendant of `root`, with its command line and environment as another local user would read them. */
function descendants(root: number): Seen[] {
  const parentOf = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Ended while we looked.
    }
  }
  const found: number[] = [];
  let frontier = [root];
  while (frontier.length) {
    const next = [...parentOf].filter(([, ppid]) => frontier.includes(ppid)).map(([pid]) => pid);
    found.push(...next);
    frontier = next;
  }
  const out: Seen[] = [];
  const rootCmdline = fs.readFileSync(`/proc/${root}/cmdline`, 'utf8');
  for (const pid of found) {
    try {
      // Between fork and exec a new child is still a copy of the backend (its command line and environment); what
      // it then runs is seen on the next poll.
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8') === rootCmdline) continue;
      // The test runs the backend from TypeScript through tsx, whose esbuild service is a child of the backend with
      // the backend's environment. It belongs to the development loader, not to Vigil: the packaged app runs the
      // compiled JavaScript and has no such child.
      if (fs.readlinkSync(`/proc/${pid}/exe`).includes('/node_modules/@esbuild/')) continue;
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').replace(/\0/g, '\n');
      out.push({ pid, cmdline, environ });
    } catch {
      // Ended while we looked.
    }
  }
  return out;
}

/** Collects every descendant seen while `work` runs (polling /proc), so short-lived children are caught too. */
async function watch<T>(root: number, work: Promise<T>): Promise<{ result: T; seen: Seen[] }> {
  const seen = new Map<string, Seen>();
  let done = false;
  const poll = (async () => {
    while (!done) {
      for (const s of descendants(root)) seen.set(`${s.pid}:${s.cmdline}`, s);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  try {
    const result = await work;
    return { result, seen: [...seen.values()] };
  } finally {
    done = true;
    await poll;
  }
}

const secretForms = [PASSWORD, encodeURIComponent(PASSWORD), ENV_PASSWORD];

function expectNoSecret(seen: Seen[]): void {
  for (const s of seen)
    for (const secret of secretForms) {
      expect(s.cmdline, `command line of ${s.pid}: ${s.cmdline}`).not.toContain(secret);
      expect(s.environ, `environment of ${s.pid} (${s.cmdline})`).not.toContain(secret);
    }
}

describe.skipIf(skip)('no camera password on any child process (real ffmpeg, real RTSP server)', () => {
  let rtsp: RtspFixture;
  let backend: BackendProcess;
  const call = async (method: string, p: string, body?: unknown): Promise<Response> =>
    fetch(`${backend.url}${p}`, {
      method,
      headers: {
        authorization: `Bearer ${backend.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const status = async (id: string): Promise<CameraStatus | undefined> =>
    ((await (await call('GET', '/api/cameras')).json()) as CameraStatus[]).find((c) => c.id === id);

  beforeAll(async () => {
    rtsp = await RtspFixture.start({ user: 'admin', password: PASSWORD });
    const secure = `rtsp://127.0.0.1:${rtsp.port}/secure`;
    backend = await spawnBackend(
      {
        logging: { level: 'warn' },
        video: { segmentSeconds: 2, networkSources: { loopbackPorts: 'any' } },
        detect: { enabled: false },
        cameras: [
          // A password typed into the configuration file's URL (moved to the secret store at start).
          {
            id: 'cfg-url',
            name: 'Config URL',
            main: { kind: 'rtsp', url: rtsp.secureUrl() },
            analysis: { enabled: false },
          },
          // A password named by passwordEnv: it lives in the backend's environment, never in ffmpeg's.
          {
            id: 'env-cam',
            name: 'Env password',
            main: { kind: 'rtsp', url: secure, username: 'admin', passwordEnv: 'VIGIL_TEST_CAM_PASSWORD' },
            analysis: { enabled: false },
            record: false,
          },
          // The fixture really checks the password.
          {
            id: 'bad-pw',
            name: 'Wrong password',
            main: { kind: 'rtsp', url: rtsp.secureUrl('admin', 'not-the-password') },
            analysis: { enabled: false },
            record: false,
          },
        ],
      },
      { env: { VIGIL_TEST_CAM_PASSWORD: ENV_PASSWORD } },
    );
    // A password entered through the API (the camera form).
    const added = await call('POST', '/api/cameras', {
      id: 'api-cam',
      name: 'API password',
      main: { kind: 'rtsp', url: secure, username: 'admin', password: PASSWORD },
      analysis: { fps: 2, width: 160 },
      record: false,
    });
    expect(added.status).toBe(201);
  });

  afterAll(async () => {
    await backend?.stop();
    await rtsp?.dispose();
  });

  it('streams every camera with a password while no child carries it in its arguments or environment', async () => {
    for (const id of ['cfg-url', 'env-cam', 'api-cam'])
      await waitFor(`${id} streaming`, async () => (await status(id))?.state === 'streaming', 60_000);
    const refused = await waitFor('wrong password refused', async () => {
      const s = await status('bad-pw');
      return s?.state === 'failed' && s;
    });
    expect(refused.reason).toMatch(/authentication failed/);

    const own = fs.readFileSync(`/proc/${backend.proc.pid}/cmdline`, 'utf8');
    for (const secret of secretForms) expect(own).not.toContain(secret);
    const children = descendants(backend.proc.pid!);
    const ffmpegs = children.filter((c) => c.cmdline.includes('ffmpeg'));
    // Three cameras with a password, each with its own ffmpeg reading the camera through a pipe.
    expect(ffmpegs.filter((c) => c.cmdline.includes('pipe:5')).length).toBeGreaterThanOrEqual(3);
    expectNoSecret(children);
  });

  it('probes (typed password and stored password) without the password on the probe’s command line', async () => {
    const secure = `rtsp://127.0.0.1:${rtsp.port}/secure`;
    const typed = await watch(
      backend.proc.pid!,
      call('POST', '/api/cameras/probe', {
        source: { kind: 'rtsp', url: secure, username: 'admin', password: PASSWORD },
      }).then(async (r) => (await r.json()) as ProbeResponse),
    );
    expect(typed.result.ok).toBe(true);
    const stored = await watch(
      backend.proc.pid!,
      call('POST', '/api/cameras/probe', {
        source: { kind: 'rtsp', url: secure, username: 'admin' },
        cameraId: 'api-cam',
      }).then(async (r) => (await r.json()) as ProbeResponse),
    );
    expect(stored.result.ok).toBe(true);
    const probes = [...typed.seen, ...stored.seen].filter((s) => s.cmdline.includes('image2pipe'));
    expect(probes.length).toBeGreaterThanOrEqual(1);
    expectNoSecret([...typed.seen, ...stored.seen]);
  });

  it('assembles clips and evidence exports without any secret in their processes', async () => {
    await waitFor(
      'recorded segments',
      async () => {
        const r = (await (await call('GET', `/api/recordings/cfg-url?from=0&to=${Date.now()}`)).json()) as {
          segments: Array<{ start: number; end: number }>;
        };
        return r.segments.length >= 2 && r.segments;
      },
      60_000,
    );
    const { segments } = (await (
      await call('GET', `/api/recordings/cfg-url?from=0&to=${Date.now()}`)
    ).json()) as {
      segments: Array<{ start: number; end: number }>;
    };
    const from = segments[0]!.start;
    const to = segments[segments.length - 1]!.end;
    const clip = await watch(
      backend.proc.pid!,
      call('GET', `/api/clips/cfg-url.mp4?from=${from}&to=${to}`).then(async (r) => {
        expect(r.status).toBe(200);
        return (await r.arrayBuffer()).byteLength;
      }),
    );
    expect(clip.result).toBeGreaterThan(1000);
    const exported = await watch(
      backend.proc.pid!,
      call('POST', '/api/export', {
        cameraIds: ['cfg-url'],
        from,
        to,
        format: 'zip',
        reason: 'camera URL check',
        caseNumber: 'T-1',
      }).then(async (r) => ({
        status: r.status,
        body: await r.text(),
      })),
    );
    expect(exported.result.status, exported.result.body).toBe(200);
    const assembled = [...clip.seen, ...exported.seen].filter(
      (s) => s.cmdline.includes('ffmpeg') && !s.cmdline.includes('pipe:5'),
    );
    expect(assembled.length).toBeGreaterThanOrEqual(1);
    expectNoSecret([...clip.seen, ...exported.seen]);
  });
});
