import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RecordingsResponse } from '../backend/src/contract/video-api.js';
import { spawnBackend, tempHome } from './fixtures/backend.js';
import { childPids } from './helpers/leaks.js';
import { waitFor } from './helpers/video.js';

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

const comm = (pid: number): string => {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};

const config = {
  video: { segmentSeconds: 2 },
  cameras: [
    { id: 'demo-plaza', name: 'Demo', main: { kind: 'file' as const, path: 'assets/demo/vtest-h264.mp4' } },
  ],
};

describe.skipIf(process.platform !== 'linux')('no orphaned ffmpeg (real backend process)', () => {
  it('kill -9 of the backend while recording leaves no ffmpeg running; the restart records a "backend stopped" gap', async () => {
    const home = tempHome();
    const backend = await spawnBackend(config, { home });
    const pid = backend.proc.pid!;
    const ffmpegs = await waitFor('ffmpeg running', () => {
      const list = childPids(pid).filter((p) => comm(p) === 'ffmpeg');
      return list.length > 0 && list;
    });
    const headers = { authorization: `Bearer ${backend.token}` };
    await waitFor('a recorded segment', async () => {
      const r = (await (
        await fetch(`${backend.url}/api/recordings/demo-plaza`, { headers })
      ).json()) as RecordingsResponse;
      return r.segments.length >= 1;
    });
    const killedAt = Date.now();
    backend.proc.kill('SIGKILL');
    await waitFor('ffmpeg gone', () => ffmpegs.every((p) => !alive(p)), 5000, 100);

    // Start again on the same data: the time the backend was down is a gap with its cause.
    await new Promise((r) => setTimeout(r, 3000));
    const again = await spawnBackend(config, { home });
    try {
      const h2 = { authorization: `Bearer ${again.token}` };
      const rec = await waitFor('a segment after the restart', async () => {
        const r = (await (
          await fetch(`${again.url}/api/recordings/demo-plaza?from=0&to=${Date.now()}`, { headers: h2 })
        ).json()) as RecordingsResponse;
        return r.segments.some((s) => s.start > killedAt) && r;
      });
      const gap = rec.gaps.find((g) => g.cause === 'backend stopped');
      expect(gap).toBeDefined();
      expect(gap!.start).toBeLessThanOrEqual(killedAt);
      expect(gap!.end - gap!.start).toBeGreaterThan(2500);
    } finally {
      await again.stop();
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
