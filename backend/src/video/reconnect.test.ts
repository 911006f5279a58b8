import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraStatus, RecordingsResponse } from '../contract/video-api.js';
import { skipWithout } from '../../../test/fixtures/require.js';
import { RtspFixture, rtspFixtureAvailable, RTSP_INSTALL_HINT } from '../../../test/fixtures/rtsp.js';
import { corruptSample } from '../../../test/fixtures/media.js';
import { apiGet, startTestApp, waitFor } from '../../../test/helpers/video.js';

const skip = skipWithout('RTSP server', rtspFixtureAvailable(), RTSP_INSTALL_HINT);

describe.skipIf(skip)('camera health and reconnection (real RTSP server)', () => {
  let rtsp: RtspFixture;
  let app: Awaited<ReturnType<typeof startTestApp>>;
  const status = async (id: string): Promise<CameraStatus> => {
    const all = await apiGet<CameraStatus[]>(app, '/api/cameras');
    return all.find((c) => c.id === id)!;
  };

  beforeAll(async () => {
    rtsp = await RtspFixture.start();
    const wrongPort = rtsp.url.replace(`:${rtsp.port}/`, `:${rtsp.port === 1 ? 2 : 1}/`);
    app = await startTestApp({
      video: { segmentSeconds: 4, reconnect: { initialDelayMs: 500, maxDelayMs: 2000 } },
      cameras: [
        { id: 'gate', name: 'Gate', main: { kind: 'rtsp', url: rtsp.url }, analysis: { enabled: false } },
        {
          id: 'wrong-port',
          name: 'Wrong port',
          main: { kind: 'rtsp', url: wrongPort },
          analysis: { enabled: false },
        },
        {
          id: 'wrong-host',
          name: 'Wrong host',
          main: { kind: 'rtsp', url: 'rtsp://camera.invalid:554/live' },
          analysis: { enabled: false },
        },
        {
          id: 'wrong-creds',
          name: 'Wrong password',
          main: { kind: 'rtsp', url: rtsp.secureUrl('admin', 'badpass123') },
          analysis: { enabled: false },
        },
        {
          // The demo footage with damaged bytes and a truncated end, made by the fixture.
          id: 'corrupt',
          name: 'Corrupt file',
          main: { kind: 'file', path: corruptSample() },
          analysis: { fps: 2, width: 160 },
        },
      ],
    });
  });
  afterAll(async () => {
    await app?.cleanup();
    await rtsp?.dispose();
  });

  it('says why a camera cannot be reached, and the backend stays up', async () => {
    const refused = await waitFor('refused', async () => {
      const s = await status('wrong-port');
      return s.state === 'reconnecting' && s;
    });
    expect(refused.reason).toMatch(/connection refused at 127\.0\.0\.1:/);
    const host = await waitFor('unknown host', async () => {
      const s = await status('wrong-host');
      return s.state === 'failed' && s;
    });
    expect(host.reason).toMatch(/host name not found: camera\.invalid/);
    const creds = await waitFor('auth', async () => {
      const s = await status('wrong-creds');
      return s.state === 'failed' && s;
    });
    expect(creds.reason).toMatch(/authentication failed/);
    expect(JSON.stringify(creds)).not.toContain('badpass123');
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });

  it('keeps running on a corrupt file and says what is wrong with it', async () => {
    const s = await waitFor(
      'corrupt reason',
      async () => {
        const c = await status('corrupt');
        return c.state === 'streaming' && c.reason && c;
      },
      30_000,
    );
    expect(s.reason).toMatch(/damaged input|needs H\.264/);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });

  it('reconnects after the camera is down for 15 s and records a "camera down" gap of that length', async () => {
    await waitFor(
      'a first segment',
      () => app.video.index.segments('gate', 0, Date.now()).length >= 1,
      30_000,
    );
    await rtsp.stopServer();
    const downAt = Date.now();
    const down = await waitFor(
      'reconnecting',
      async () => {
        const s = await status('gate');
        return s.state === 'reconnecting' && s;
      },
      15_000,
    );
    expect(down.reason).toMatch(/lost the stream|connection refused|no video/);
    await new Promise((r) => setTimeout(r, 15_000 - (Date.now() - downAt)));
    await rtsp.startServer();
    const upAt = Date.now();
    await waitFor('streaming again', async () => (await status('gate')).state === 'streaming', 30_000);
    const streamingAt = Date.now();
    await waitFor(
      'a segment after the outage',
      () => app.video.index.segments('gate', upAt, Date.now()).length >= 1,
      20_000,
    );
    const { gaps } = await apiGet<RecordingsResponse>(app, `/api/recordings/gate?from=0&to=${Date.now()}`);
    expect(gaps).toHaveLength(1);
    const gap = gaps[0]!;
    expect(gap.cause).toBe('camera down');
    expect(gap.detail).toMatch(/127\.0\.0\.1/);
    // The gap runs from when the camera went away to when footage resumed (reconnection, with a backoff of at most
    // 2 s, takes longer on a busy machine; the gap must cover exactly that time, not a fixed figure).
    expect(gap.end - gap.start).toBeGreaterThan(13_000);
    expect(Math.abs(gap.start - downAt)).toBeLessThan(3000);
    expect(gap.end).toBeGreaterThan(upAt - 1000);
    expect(gap.end).toBeLessThan(streamingAt + 3000);
  });
});
