import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { probeDuration, vtestPath } from '../../../test/fixtures/footage.js';
import type {
  BackupRestoreReport,
  BackupRunRecord,
  BackupSummary,
  EvidenceExportResult,
} from '../contract/backup.js';
import { Topics } from '../contract/bus.js';
import type { VigilConfigInput } from '../contract/config.js';
import type { VigilEvent } from '../contract/events.js';
import { parseConfig } from '../platform/config-loader.js';
import { inspectRuntime } from '../platform/binaries.js';
import { startLocalApp, type RunningApp } from '../roles/local.js';
import { verifyEvidence } from '../export/verify.js';

const temps: string[] = [];
const tmp = (prefix: string): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(d);
  return d;
};

async function call<T>(
  app: RunningApp,
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const r = await fetch(`${app.url}${url}`, {
    method,
    headers: {
      authorization: `Bearer ${app.auth.token}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const type = r.headers.get('content-type') ?? '';
  return {
    status: r.status,
    body: (type.includes('json') ? await r.json() : Buffer.from(await r.arrayBuffer())) as T,
  };
}

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 40_000,
): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('backup of a running installation, restored into an empty one', () => {
  const apps: RunningApp[] = [];
  afterAll(async () => {
    for (const a of apps) await a.dispose().catch(() => {});
    for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
  });

  it('the restored installation finds the events (free text too) and plays the clips; exports verify', async () => {
    const nas = tmp('vigil-nas-');
    const backupConfig: VigilConfigInput['backup'] = {
      targets: [{ id: 'nas', kind: 'folder', path: nas }],
      jobs: [{ id: 'nightly', targetId: 'nas', schedule: { kind: 'manual' } }],
    };
    const homeA = tmp('vigil-site-a-');
    process.env.VIGIL_HOME = homeA;
    const runtime = inspectRuntime();
    const a = await startLocalApp({
      config: parseConfig({
        server: { port: 0 },
        video: { segmentSeconds: 2 },
        cameras: [{ id: 'plaza', name: 'Plaza', main: { kind: 'file', path: vtestPath(), loop: true } }],
        backup: backupConfig,
      }),
      dataDir: path.join(homeA, 'data'),
      runtime,
    });
    apps.push(a);
    const segments = await until('three recorded segments', async () => {
      const r = await call<{ segments: { start: number; end: number }[] }>(
        a,
        'GET',
        `/api/recordings/plaza?from=0&to=${Date.now() + 60_000}`,
      );
      return r.body.segments.length >= 3 && r.body.segments;
    });
    const from = segments[0]?.start ?? 0;
    const to = segments[2]?.end ?? 0;
    const event: VigilEvent = {
      id: 'ev-restore-1',
      cameraId: 'plaza',
      label: 'person',
      phase: 'end',
      startTs: from + 500,
      lastTs: from + 1500,
      endTs: from + 1500,
      topScore: 0.9,
      box: [0.1, 0.1, 0.3, 0.6],
      zones: ['entrance'],
      path: [],
    };
    await a.bus.publish(Topics.events, 'plaza', event);
    await until('the event in the store', async () => {
      const r = await call<{ items: unknown[] }>(
        a,
        'GET',
        `/api/events?from=0&to=${Date.now() + 60_000}&q=entrance`,
      );
      return r.body.items.length === 1;
    });

    // A signed export from the real recording index and event store verifies.
    const exp = await call<EvidenceExportResult>(a, 'POST', '/api/export', {
      cameraIds: ['plaza'],
      from,
      to,
      format: 'folder',
      reason: 'restored installation check',
      caseNumber: 'R-1',
    });
    expect(exp.status, JSON.stringify(exp.body)).toBe(200);
    expect((await verifyEvidence(exp.body.location)).intact).toBe(true);
    expect(exp.body.holds).toHaveLength(1);

    await call(a, 'POST', '/api/backup/jobs/nightly/run');
    const run = await until('the backup', async () => {
      const h = await call<BackupRunRecord[]>(a, 'GET', '/api/backup/history');
      return h.body[0]?.state !== undefined && h.body[0];
    });
    expect(run.state, run.errors.join('; ')).toBe('succeeded');
    await a.dispose();
    apps.pop();

    // A new, empty installation on another machine, with the same backup target.
    const homeB = tmp('vigil-site-b-');
    process.env.VIGIL_HOME = homeB;
    const b = await startLocalApp({
      config: parseConfig({ server: { port: 0 }, cameras: [], backup: backupConfig }),
      dataDir: path.join(homeB, 'data'),
      runtime,
    });
    apps.push(b);
    const backups = await call<BackupSummary[]>(b, 'GET', '/api/backup/targets/nas/backups');
    const restored = await call<BackupRestoreReport>(b, 'POST', '/api/backup/restore', {
      targetId: 'nas',
      backupId: backups.body[0]?.id,
    });
    expect(restored.body.ok, restored.body.message).toBe(true);

    const found = await call<{ items: { id: string; zones: string[] }[] }>(
      b,
      'GET',
      `/api/events?from=0&to=${Date.now() + 60_000}&q=entrance&cameras=plaza`,
    );
    expect(found.body.items.map((e) => e.id)).toEqual(['ev-restore-1']);
    expect(found.body.items[0]?.zones).toEqual(['entrance']);
    const rec = await call<{ segments: unknown[] }>(b, 'GET', `/api/recordings/plaza?from=${from}&to=${to}`);
    expect(rec.body.segments.length).toBeGreaterThanOrEqual(3);
    const clip = await call<Buffer>(b, 'GET', `/api/clips/plaza.mp4?from=${from}&to=${to}`);
    expect(clip.status).toBe(200);
    const clipFile = path.join(homeB, 'clip.mp4');
    fs.writeFileSync(clipFile, clip.body);
    expect(probeDuration(clipFile)).toBeGreaterThan(3);
  }, 120_000);
});
