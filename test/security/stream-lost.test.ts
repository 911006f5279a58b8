import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraStatus } from '../../backend/src/contract/video-api.js';
import { skipWithout } from '../fixtures/require.js';
import { RTSP_INSTALL_HINT, RtspFixture, rtspFixtureAvailable } from '../fixtures/rtsp.js';
import { apiGet, startTestApp, waitFor } from '../helpers/video.js';

// When an RTSP camera goes away, the operator reads that the stream was lost (or that the camera cannot be reached),
// not that its video is corrupt: the camera is to be checked, not its recordings.

const skip = skipWithout('RTSP server', rtspFixtureAvailable(), RTSP_INSTALL_HINT);
const CORRUPT_WORDS = /corrupt|invalid data|damaged/i;

describe.skipIf(skip)('a lost RTSP feed (real RTSP server, real ffmpeg)', () => {
  let rtsp: RtspFixture;
  let app: Awaited<ReturnType<typeof startTestApp>>;
  const reasons: string[] = [];
  let sampling: NodeJS.Timeout | undefined;
  let phase = 'up';

  beforeAll(async () => {
    rtsp = await RtspFixture.start();
    app = await startTestApp({
      video: { stallSeconds: 5, reconnect: { initialDelayMs: 500, maxDelayMs: 1000 } },
      detect: { enabled: false },
      cameras: [
        { id: 'tcp', name: 'TCP', main: { kind: 'rtsp', url: rtsp.url, transport: 'tcp' }, record: false },
        { id: 'udp', name: 'UDP', main: { kind: 'rtsp', url: rtsp.url, transport: 'udp' }, record: false },
        {
          id: 'secure',
          name: 'With password',
          main: { kind: 'rtsp', url: rtsp.secureUrl() },
          record: false,
          analysis: { enabled: false },
        },
      ],
    });
  });
  afterAll(async () => {
    if (sampling) clearInterval(sampling);
    await app?.cleanup();
    await rtsp?.dispose();
  });

  it('says the stream was lost, never that the input is corrupt', async () => {
    const ids = ['tcp', 'udp', 'secure'];
    // From the first connection on: every live session starts with timestamp warnings that are not damage.
    sampling = setInterval(() => {
      void apiGet<CameraStatus[]>(app, '/api/cameras')
        .then((list) => {
          for (const c of list) if (c.reason) reasons.push(`${phase} ${c.id} ${c.state}: ${c.reason}`);
        })
        .catch(() => undefined);
    }, 100);
    await waitFor(
      'every camera streaming',
      async () => (await apiGet<CameraStatus[]>(app, '/api/cameras')).every((c) => c.state === 'streaming'),
      60_000,
    );
    // Streaming for a while, as a camera does before it goes away.
    await new Promise((r) => setTimeout(r, 5000));
    phase = 'stopping';
    await rtsp.stopServer();
    phase = 'down';
    for (const id of ids) {
      const down = await waitFor(
        `${id} down`,
        async () => {
          const s = (await apiGet<CameraStatus[]>(app, '/api/cameras')).find((c) => c.id === id);
          return s && s.state !== 'streaming' && s;
        },
        30_000,
      );
      expect(down.reason).toMatch(/lost the stream|no video for|connection refused/);
    }
    await new Promise((r) => setTimeout(r, 3000));
    clearInterval(sampling);
    expect(reasons.some((r) => r.startsWith('down'))).toBe(true);
    expect(reasons.filter((r) => CORRUPT_WORDS.test(r))).toEqual([]);
  }, 240_000);
});
