// Backup retention an administrator can see and predict (keep the last N of a job, then one per day and per week;
// never the backup just made or the newest one that verified), and every verify and restore in the history.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../../test/fixtures/api.js';
import { realSegments } from '../../../test/fixtures/footage.js';
import type { BackupJobView, BackupRunRecord, BackupSummary } from '../contract/backup.js';
import { BackupConfig } from '../contract/config/backup.js';
import { backupRoutes } from './routes.js';
import { BackupService } from './service.js';

describe('backup retention and history (folder target, real footage)', () => {
  let home: string;
  let dataDir: string;
  let service: BackupService;
  let added = 0;
  let api: TestApi;
  const call = <T>(method: string, url: string, body?: unknown) => api.call<T>(method, url, body);
  /** New footage arrives, then the job runs: one more backup on the target. */
  const backUp = async (jobId: string): Promise<BackupRunRecord> => {
    const seg = realSegments()[added % realSegments().length]!;
    fs.copyFileSync(seg, path.join(dataDir, `recordings/cam/new-${added++}.mp4`));
    const { runId } = (await call<{ runId: string }>('POST', `/api/backup/jobs/${jobId}/run`)).body;
    await service.waitFor(jobId);
    const record = (await call<BackupRunRecord[]>('GET', '/api/backup/history')).body.find(
      (h) => h.runId === runId,
    )!;
    expect(record.state).toBe('succeeded');
    return record;
  };
  const backups = async (jobId: string): Promise<string[]> =>
    (await call<BackupSummary[]>('GET', '/api/backup/targets/nas/backups')).body
      .filter((b) => b.jobId === jobId)
      .map((b) => b.id);

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-backup-retention-'));
    dataDir = path.join(home, 'data');
    fs.mkdirSync(path.join(dataDir, 'recordings/cam'), { recursive: true });
    fs.copyFileSync(realSegments()[0]!, path.join(dataDir, 'recordings/cam/0.mp4'));
    service = new BackupService({
      config: BackupConfig.parse({ targets: [{ id: 'nas', kind: 'folder', path: path.join(home, 'nas') }] }),
      dataDir,
    });
    await service.start();
    api = await startTestApi([backupRoutes(service)]);
  });
  afterAll(async () => {
    await api.dispose();
    await service.dispose();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('a second backup on the same day keeps the first: by default a job keeps its last 3', async () => {
    const job = await call<BackupJobView>('POST', '/api/backup/jobs', { id: 'daily', targetId: 'nas' });
    expect(job.body).toMatchObject({ keepLast: 3, keepDaily: 7, keepWeekly: 4 });
    const first = await backUp('daily');
    const second = await backUp('daily');
    expect(second.deletedBackups ?? []).toEqual([]);
    expect(await backups('daily')).toEqual(expect.arrayContaining([first.backupId, second.backupId]));
  });

  it('keeps the last N of the job, says in the history which backups it removed, and leaves other jobs alone', async () => {
    await call('POST', '/api/backup/jobs', {
      id: 'hourly',
      targetId: 'nas',
      keepLast: 2,
      keepDaily: 1,
      keepWeekly: 0,
    });
    const others = await backups('daily');
    const made = [await backUp('hourly'), await backUp('hourly'), await backUp('hourly')];
    expect(made[2]!.deletedBackups).toEqual([made[0]!.backupId]);
    expect(await backups('hourly')).toEqual([made[2]!.backupId, made[1]!.backupId]);
    // The other job's backups on the same target are untouched, and still verify.
    expect(await backups('daily')).toEqual(others);
    for (const id of others)
      expect(
        (await call<{ ok: boolean }>('POST', '/api/backup/verify', { targetId: 'nas', backupId: id })).body
          .ok,
      ).toBe(true);
  });

  it('never removes the newest backup that verified, while the newer ones are unverified', async () => {
    await call('POST', '/api/backup/jobs', {
      id: 'lean',
      targetId: 'nas',
      keepLast: 1,
      keepDaily: 1,
      keepWeekly: 0,
    });
    const a = await backUp('lean');
    await call('POST', '/api/backup/verify', { targetId: 'nas', backupId: a.backupId });
    const b = await backUp('lean');
    expect(b.deletedBackups ?? []).toEqual([]);
    expect(new Set(await backups('lean'))).toEqual(new Set([a.backupId, b.backupId]));
    await call('POST', '/api/backup/verify', { targetId: 'nas', backupId: b.backupId });
    const c = await backUp('lean');
    expect(c.deletedBackups).toEqual([a.backupId]);
    expect(new Set(await backups('lean'))).toEqual(new Set([b.backupId, c.backupId]));
  });

  it('every verify and restore is in the backup history with its result', async () => {
    const [id] = await backups('hourly');
    const verify = await call<{ ok: boolean }>('POST', '/api/backup/verify', {
      targetId: 'nas',
      backupId: id,
    });
    expect(verify.body.ok).toBe(true);
    const restore = await call<{ ok: boolean }>('POST', '/api/backup/restore', {
      targetId: 'nas',
      backupId: id,
    });
    expect(restore.body.ok).toBe(true);
    const missing = await call('POST', '/api/backup/verify', { targetId: 'nas', backupId: 'nope' });
    expect(missing.status).toBe(404);
    const history = (await call<BackupRunRecord[]>('GET', '/api/backup/history')).body;
    expect(history[0]).toMatchObject({ kind: 'verify', state: 'failed', backupId: 'nope', targetId: 'nas' });
    expect(history[0]!.errors.join(' ')).toMatch(/no backup "nope"/);
    expect(history[1]).toMatchObject({ kind: 'restore', state: 'succeeded', backupId: id, jobId: 'hourly' });
    expect(history[1]!.summary).toMatch(/^Restored \d+ file/);
    expect(history[2]).toMatchObject({ kind: 'verify', state: 'succeeded', backupId: id, jobId: 'hourly' });
    expect(history[2]!.summary).toMatch(/\d+ files? checked, all intact/);
    // Kept across a restart, like the runs.
    const again = new BackupService({
      config: BackupConfig.parse({ targets: [{ id: 'nas', kind: 'folder', path: path.join(home, 'nas') }] }),
      dataDir,
    });
    await again.start();
    expect(
      again
        .history()
        .slice(0, 3)
        .map((h) => h.kind),
    ).toEqual(['verify', 'restore', 'verify']);
    await again.dispose();
  });
});
