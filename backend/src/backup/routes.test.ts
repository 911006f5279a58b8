import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../../test/fixtures/api.js';
import { realSegments } from '../../../test/fixtures/footage.js';
import type {
  BackupJobView,
  BackupRunRecord,
  BackupSummary,
  BackupVerifyReport,
} from '../contract/backup.js';
import { BackupConfig } from '../contract/config/backup.js';
import { backupRoutes } from './routes.js';
import { AuditRecorder, logWriter } from '../audit/recorder.js';
import { SqliteAuditLog } from '../audit/sqlite-audit-log.js';
import { BackupService } from './service.js';

describe('backup API', () => {
  let home: string;
  let service: BackupService;
  let auditLog: SqliteAuditLog;
  let api: TestApi;
  const call = <T>(method: string, url: string, body?: unknown) => api.call<T>(method, url, body);

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-backup-api-'));
    const dataDir = path.join(home, 'data');
    fs.mkdirSync(path.join(dataDir, 'recordings/cam'), { recursive: true });
    for (const [i, seg] of realSegments().slice(0, 3).entries())
      fs.copyFileSync(seg, path.join(dataDir, `recordings/cam/${i}.mp4`));
    service = new BackupService({
      config: BackupConfig.parse({ targets: [{ id: 'nas', kind: 'folder', path: path.join(home, 'nas') }] }),
      dataDir,
    });
    await service.start();
    // Outside the data folder: the audit log is not what this test backs up.
    auditLog = new SqliteAuditLog({ file: path.join(home, 'audit.db') });
    api = await startTestApi([backupRoutes(service, new AuditRecorder(logWriter(() => auditLog)))]);
  });
  afterAll(async () => {
    await api.dispose();
    await service.dispose();
    await auditLog.dispose();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('tests a target connection, and explains a bad one', async () => {
    expect((await call<{ ok: boolean }>('POST', '/api/backup/targets/nas/test')).body.ok).toBe(true);
    const bad = await call<{ ok: boolean; message: string }>('POST', '/api/backup/targets/test', {
      id: 'x',
      kind: 's3',
      bucket: 'nope',
      accessKeyIdEnv: 'VIGIL_TEST_UNSET_KEY',
      secretAccessKeyEnv: 'VIGIL_TEST_UNSET_SECRET',
    });
    expect(bad.body).toMatchObject({ ok: false, message: expect.stringMatching(/VIGIL_TEST_UNSET_KEY/) });
  });

  it('rejects a bad job with the field named, creates a job, runs it, shows history and verifies the backup', async () => {
    const bad = await call<{ error: string; field: string }>('POST', '/api/backup/jobs', {
      id: 'j',
      targetId: 'nas',
      schedule: { kind: 'daily', at: '25:00' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('schedule.at');

    const created = await call<BackupJobView>('POST', '/api/backup/jobs', {
      id: 'nightly',
      targetId: 'nas',
      schedule: { kind: 'daily', at: '02:30' },
    });
    expect(created.status).toBe(200);
    expect(new Date(created.body.nextRunAt ?? 0).getHours()).toBe(2);

    const run = await call<{ runId: string }>('POST', '/api/backup/jobs/nightly/run');
    expect(run.body.runId).toMatch(/^[0-9a-f]{12}$/);
    await service.waitFor('nightly');
    const history = await call<BackupRunRecord[]>('GET', '/api/backup/history');
    expect(history.body[0]).toMatchObject({ runId: run.body.runId, state: 'succeeded', filesUploaded: 3 });

    const backups = await call<BackupSummary[]>('GET', '/api/backup/targets/nas/backups');
    expect(backups.body).toHaveLength(1);
    const verify = await call<BackupVerifyReport>('POST', '/api/backup/verify', {
      targetId: 'nas',
      backupId: backups.body[0]?.id,
    });
    expect(verify.body).toMatchObject({ ok: true, filesChecked: 3 });
    const missing = await call<{ message: string }>('POST', '/api/backup/verify', {
      targetId: 'nas',
      backupId: 'nope',
    });
    expect(missing.status).toBe(404);
    expect(missing.body.message).toMatch(/no backup "nope"/);

    // The job saved, the run started and the verify are in the audit log, newest first.
    const audit = (await auditLog.list({ limit: 10 })).entries;
    expect(audit.map((e) => [e.action, e.target])).toEqual([
      ['verify', 'backup target nas'],
      ['backup', 'backup job nightly'],
      ['setting-change', 'backup job nightly'],
    ]);
    expect(audit[0]?.detail).toMatchObject({ backupId: backups.body[0]?.id, ok: true });
  });

  it('keeps jobs added in the UI across restarts', async () => {
    const again = new BackupService({
      config: BackupConfig.parse({ targets: [{ id: 'nas', kind: 'folder', path: path.join(home, 'nas') }] }),
      dataDir: path.join(home, 'data'),
    });
    await again.start();
    expect(again.jobs().map((j) => j.id)).toEqual(['nightly']);
    // The history also holds the verifies since; the run is kept too.
    expect(again.history().find((h) => (h.kind ?? 'backup') === 'backup')?.state).toBe('succeeded');
    await again.dispose();
  });
});
