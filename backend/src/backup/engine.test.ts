import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeDuration, realSegments } from '../../../test/fixtures/footage.js';
import { startS3rver, type S3Fixture } from '../../../test/fixtures/s3.js';
import { startWebHdfsFixture, type WebHdfsFixture } from '../../../test/fixtures/webhdfs.js';
import {
  applyRetention,
  BACKUP_STATE_DIR,
  listBackupIds,
  manifestKey,
  readManifest,
  restoreBackup,
  runBackup,
  verifyBackup,
} from './engine.js';
import { getBuffer, putBuffer } from './target.js';
import { FolderTarget } from './targets/folder.js';
import { HdfsTarget } from './targets/hdfs.js';
import { S3Target } from './targets/s3.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const sha = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const temps: string[] = [];
const tmp = (prefix: string): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(d);
  return d;
};

/** An installation's data folder: a live WAL-mode event database and recordings of two cameras. */
function makeInstallation(segmentsPerCamera = 4): { dataDir: string; db: Database.Database } {
  const dataDir = tmp('vigil-backup-data-');
  const segs = realSegments();
  for (const cam of ['front', 'yard']) {
    fs.mkdirSync(path.join(dataDir, 'recordings', cam), { recursive: true });
    for (let i = 0; i < segmentsPerCamera; i++) {
      fs.copyFileSync(
        segs[i % segs.length] as string,
        path.join(dataDir, 'recordings', cam, `${1_700_000_000_000 + i * 10_000}.mp4`),
      );
    }
  }
  const db = new Database(path.join(dataDir, 'events.db'));
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE events (id TEXT PRIMARY KEY, camera TEXT, label TEXT, ts INTEGER)');
  const ins = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?)');
  for (let i = 0; i < 50; i++) ins.run(`e${i}`, i % 2 ? 'front' : 'yard', 'person', 1_700_000_000_000 + i);
  // Like the recording index: row numbers plus a unique key.
  db.exec('CREATE TABLE segments (id INTEGER PRIMARY KEY, camera TEXT, key TEXT NOT NULL UNIQUE)');
  for (const key of ['front/a', 'front/b', 'yard/a'])
    db.prepare('INSERT INTO segments (camera, key) VALUES (?, ?)').run(key.split('/')[0], key);
  return { dataDir, db };
}

afterAll(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

describe('backup to a folder target', () => {
  let inst: ReturnType<typeof makeInstallation>;
  let target: FolderTarget;
  let firstId: string;

  beforeAll(() => {
    inst = makeInstallation();
    target = new FolderTarget(tmp('vigil-backup-target-'));
  });
  afterAll(() => inst.db.close());

  it('backs up the live database and every segment, with a manifest of sizes and SHA-256', async () => {
    const r = await runBackup({ dataDir: inst.dataDir, target, jobId: 'nightly', targetId: 'folder' });
    expect(r.state, r.errors.join('; ')).toBe('succeeded');
    expect(r.filesUploaded).toBe(9);
    firstId = r.backupId as string;
    const m = await readManifest(target, firstId);
    const seg = m.files.find((f) => f.path === 'recordings/front/1700000010000.mp4');
    expect(seg?.sha256).toBe(sha(path.join(inst.dataDir, 'recordings/front/1700000010000.mp4')));
    expect(m.files.find((f) => f.path === 'events.db')?.kind).toBe('database');
    expect(fs.existsSync(path.join(inst.dataDir, BACKUP_STATE_DIR, 'journal-nightly.jsonl'))).toBe(false);
  });

  it('a second run with nothing new decides so and writes nothing; a new segment alone is uploaded next', async () => {
    const again = await runBackup({ dataDir: inst.dataDir, target, jobId: 'nightly', targetId: 'folder' });
    expect(again.state).toBe('nothing-new');
    expect(await listBackupIds(target)).toEqual([firstId]);

    fs.copyFileSync(
      realSegments()[5] as string,
      path.join(inst.dataDir, 'recordings/front/1700000099000.mp4'),
    );
    const inc = await runBackup({ dataDir: inst.dataDir, target, jobId: 'nightly', targetId: 'folder' });
    expect(inc.state).toBe('succeeded');
    expect(inc.filesUploaded).toBe(1);
    expect(inc.filesSkipped).toBe(9);
    const m = await readManifest(target, inc.backupId as string);
    expect(m.previousId).toBe(firstId);
    expect(m.files).toHaveLength(10);
  });

  it('a changed database is snapshotted again while it stays open for writing', async () => {
    inst.db.prepare('INSERT INTO events VALUES (?, ?, ?, ?)').run('late', 'front', 'car', 1_700_000_100_000);
    const r = await runBackup({ dataDir: inst.dataDir, target, jobId: 'nightly', targetId: 'folder' });
    expect(r.state).toBe('succeeded');
    expect(r.filesUploaded).toBe(1);
    const verify = await verifyBackup(target, r.backupId as string);
    expect(verify).toMatchObject({ ok: true, missing: [], corrupt: [] });
  });

  it('corrupting one byte of a backed-up segment: verify names that file and restore refuses, writing nothing', async () => {
    const id = (await listBackupIds(target)).at(-1) as string;
    const m = await readManifest(target, id);
    const victim = m.files.find((f) => f.path === 'recordings/yard/1700000020000.mp4');
    const objectFile = path.join(target.location, ...(victim?.object ?? '').split('/'));
    const bytes = fs.readFileSync(objectFile);
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
    fs.writeFileSync(objectFile, bytes);

    const verify = await verifyBackup(target, id);
    expect(verify.ok).toBe(false);
    expect(verify.corrupt).toEqual(['recordings/yard/1700000020000.mp4']);

    const empty = tmp('vigil-restore-refused-');
    const restore = await restoreBackup(target, id, empty);
    expect(restore.ok).toBe(false);
    expect(restore.message).toContain('recordings/yard/1700000020000.mp4 (corrupt)');
    expect(fs.readdirSync(empty)).toEqual([]);

    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
    fs.writeFileSync(objectFile, bytes);
  });

  it('restores into an empty installation: events are there and the segments play', async () => {
    const id = (await listBackupIds(target)).at(-1) as string;
    const fresh = tmp('vigil-restore-empty-');
    const r = await restoreBackup(target, id, fresh);
    expect(r.ok, r.message).toBe(true);
    expect(r.restoredFiles).toBe(10);
    const db = new Database(path.join(fresh, 'events.db'), { readonly: true });
    expect(db.prepare("SELECT count(*) AS n FROM events WHERE label = 'person'").get()).toEqual({ n: 50 });
    expect(db.prepare("SELECT camera FROM events WHERE id = 'late'").get()).toEqual({ camera: 'front' });
    db.close();
    const seg = path.join(fresh, 'recordings/front/1700000010000.mp4');
    expect(sha(seg)).toBe(sha(path.join(inst.dataDir, 'recordings/front/1700000010000.mp4')));
    expect(probeDuration(seg)).toBeGreaterThan(9);
  });

  it('restores into an existing installation without overwriting newer data', async () => {
    const id = (await listBackupIds(target)).at(-1) as string;
    const existing = tmp('vigil-restore-existing-');
    fs.mkdirSync(path.join(existing, 'recordings/front'), { recursive: true });
    const newer = path.join(existing, 'recordings/front/1700000000000.mp4');
    fs.writeFileSync(newer, 'newer footage');
    const db = new Database(path.join(existing, 'events.db'));
    db.exec('CREATE TABLE events (id TEXT PRIMARY KEY, camera TEXT, label TEXT, ts INTEGER)');
    db.prepare('INSERT INTO events VALUES (?, ?, ?, ?)').run('e1', 'front', 'edited later', 1);
    db.exec('CREATE TABLE segments (id INTEGER PRIMARY KEY, camera TEXT, key TEXT NOT NULL UNIQUE)');
    db.prepare('INSERT INTO segments (camera, key) VALUES (?, ?)').run(
      'front',
      'front/recorded-after-reinstall',
    );
    db.prepare('INSERT INTO segments (camera, key) VALUES (?, ?)').run('front', 'front/b');
    db.close();

    const r = await restoreBackup(target, id, existing);
    expect(r.ok, r.message).toBe(true);
    expect(r.keptExisting).toBe(1);
    expect(r.mergedDatabases).toEqual(['events.db']);
    expect(fs.readFileSync(newer, 'utf8')).toBe('newer footage');
    const merged = new Database(path.join(existing, 'events.db'), { readonly: true });
    expect(merged.prepare("SELECT label FROM events WHERE id = 'e1'").get()).toEqual({
      label: 'edited later',
    });
    expect(merged.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: 51 });
    // Row 1 exists in both with different content: both rows survive, the shared key once.
    const keys = merged.prepare('SELECT key FROM segments ORDER BY key').all();
    expect(keys).toEqual([
      { key: 'front/a' },
      { key: 'front/b' },
      { key: 'front/recorded-after-reinstall' },
      { key: 'yard/a' },
    ]);
    merged.close();
  });

  it('interrupted by SIGKILL halfway, the next run resumes where it stopped and the result verifies', async () => {
    const fresh = makeInstallation(6);
    fresh.db.close();
    const folder = tmp('vigil-backup-killed-');
    // ~2.5 MB/s: each 1.3 MB segment takes about half a second, so the kill lands mid-run.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'test/fixtures/backup-child.ts'), fresh.dataDir, folder, '2500000'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const killedAfter = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const n = out.split('\n').filter((l) => l.startsWith('file ')).length;
        if (n >= 4 && child.exitCode === null) {
          child.kill('SIGKILL');
          resolve(n);
        }
      });
      child.once('exit', (code, sig) => {
        if (sig !== 'SIGKILL')
          reject(new Error(`backup child ended by itself (${code}) before the kill:\n${out}${err}`));
      });
    });
    await new Promise((r) => (child.exitCode !== null || child.signalCode ? r(null) : child.once('exit', r)));
    expect(out).not.toContain('done ');
    const target2 = new FolderTarget(folder);
    expect(await listBackupIds(target2)).toEqual([]);

    const resumed = await runBackup({
      dataDir: fresh.dataDir,
      target: target2,
      jobId: 'nightly',
      targetId: 'folder',
    });
    expect(resumed.state, resumed.errors.join('; ')).toBe('succeeded');
    expect(resumed.resumed).toBe(true);
    // Files finished between the 4th report and the kill landing are also kept.
    expect(resumed.filesSkipped).toBeGreaterThanOrEqual(killedAfter);
    expect(resumed.filesUploaded).toBeGreaterThan(0);
    expect(resumed.filesUploaded + resumed.filesSkipped).toBe(13);
    const verify = await verifyBackup(target2, resumed.backupId as string);
    expect(verify).toMatchObject({ ok: true, filesChecked: 13 });
  });

  it('backup retention keeps the last N and the newest per day and per week, and removes objects no kept backup uses', async () => {
    const t = new FolderTarget(tmp('vigil-backup-retention-'));
    const day = 86_400_000;
    const now = Date.now();
    const mk = async (id: string, finishedAt: number, object: string): Promise<void> => {
      await putBuffer(t, object, Buffer.from(id));
      const files = [
        { path: 'x.mp4', size: 1, sha256: '0'.repeat(64), mtimeMs: 0, kind: 'recording' as const, object },
      ];
      await putBuffer(
        t,
        manifestKey(id),
        Buffer.from(
          JSON.stringify({
            format: 'vigil-backup/1',
            id,
            jobId: 'j',
            startedAt: finishedAt,
            finishedAt,
            files,
            totalBytes: 1,
          }),
        ),
      );
    };
    await mk('a-today', now, 'files/a');
    await mk('b-today-earlier', now - 60_000, 'files/b');
    await mk('c-yesterday', now - day, 'files/c');
    await mk('d-40-days-ago', now - 40 * day, 'files/d');
    // Keep last 1 and two days: b (today, but not the newest of today) and d (40 days ago) go.
    const r = await applyRetention(t, { keepLast: 1, keepDaily: 2, keepWeekly: 0 }, { jobId: 'j' });
    expect(r.deletedBackups.sort()).toEqual(['b-today-earlier', 'd-40-days-ago']);
    expect(await listBackupIds(t)).toEqual(['a-today', 'c-yesterday']);
    expect(await t.head('files/b')).toBeUndefined();
    expect(await t.head('files/a')).toBeDefined();
  });
});

describe('backup to S3 against s3rver (a lightweight stand-in for an S3 server)', () => {
  let s3: S3Fixture;
  let target: S3Target;
  let inst: ReturnType<typeof makeInstallation>;
  beforeAll(async () => {
    s3 = await startS3rver();
    target = new S3Target({ ...s3, region: 'us-east-1', prefix: 'site/' });
    inst = makeInstallation(3);
  });
  afterAll(async () => {
    inst.db.close();
    target.dispose();
    await s3.close();
  });

  it('backs up, decides a repeat run has nothing new, verifies and restores', async () => {
    const r = await runBackup({
      dataDir: inst.dataDir,
      target,
      jobId: 'cloud',
      targetId: 's3',
      concurrency: 3,
    });
    expect(r.state, r.errors.join('; ')).toBe('succeeded');
    expect(r.filesUploaded).toBe(7);
    expect((await runBackup({ dataDir: inst.dataDir, target, jobId: 'cloud', targetId: 's3' })).state).toBe(
      'nothing-new',
    );
    expect((await verifyBackup(target, r.backupId as string)).ok).toBe(true);
    const fresh = tmp('vigil-restore-s3-');
    const restored = await restoreBackup(target, r.backupId as string, fresh);
    expect(restored.ok, restored.message).toBe(true);
    expect(sha(path.join(fresh, 'recordings/yard/1700000020000.mp4'))).toBe(
      sha(path.join(inst.dataDir, 'recordings/yard/1700000020000.mp4')),
    );
  });
});

describe('backup to HDFS against the WebHDFS fixture (an in-process namenode and datanode)', () => {
  let hdfs: WebHdfsFixture;
  let target: HdfsTarget;
  let inst: ReturnType<typeof makeInstallation>;
  beforeAll(async () => {
    hdfs = await startWebHdfsFixture();
    target = new HdfsTarget({ namenodeUrl: hdfs.namenodeUrl, user: 'vigil', root: '/backups/site' });
    inst = makeInstallation(3);
  });
  afterAll(async () => {
    inst.db.close();
    target.dispose();
    await hdfs.close();
  });

  it('backs up, decides a repeat run has nothing new, verifies and restores byte for byte', async () => {
    const r = await runBackup({
      dataDir: inst.dataDir,
      target,
      jobId: 'hdfs',
      targetId: 'hdfs',
      concurrency: 2,
    });
    expect(r.state, r.errors.join('; ')).toBe('succeeded');
    expect(r.filesUploaded).toBe(7);
    // Uploads are staged and renamed: nothing is left in the staging folder.
    expect(await target.client.listStatus('/backups/site/.staging')).toEqual([]);
    expect(hdfs.requests.some((l) => l.startsWith('datanode PUT CREATE /backups/site/.staging/'))).toBe(true);
    expect((await runBackup({ dataDir: inst.dataDir, target, jobId: 'hdfs', targetId: 'hdfs' })).state).toBe(
      'nothing-new',
    );
    expect((await verifyBackup(target, r.backupId as string)).ok).toBe(true);
    const fresh = tmp('vigil-restore-hdfs-');
    const restored = await restoreBackup(target, r.backupId as string, fresh);
    expect(restored.ok, restored.message).toBe(true);
    for (const f of ['recordings/yard/1700000020000.mp4', 'recordings/front/1700000000000.mp4']) {
      expect(sha(path.join(fresh, f))).toBe(sha(path.join(inst.dataDir, f)));
    }
    const db = new Database(path.join(fresh, 'events.db'), { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: 50 });
    db.close();
  });

  it('one corrupted byte in HDFS: verify names the file and restore refuses', async () => {
    const id = (await listBackupIds(target)).at(-1) as string;
    const m = await readManifest(target, id);
    const victim = m.files.find((f) => f.path === 'recordings/front/1700000010000.mp4');
    const bytes = await getBuffer(target, victim?.object as string);
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
    await putBuffer(target, victim?.object as string, bytes);
    const verify = await verifyBackup(target, id);
    expect(verify.ok).toBe(false);
    expect(verify.corrupt).toEqual(['recordings/front/1700000010000.mp4']);
    const empty = tmp('vigil-restore-hdfs-refused-');
    expect((await restoreBackup(target, id, empty)).ok).toBe(false);
    expect(fs.readdirSync(empty)).toEqual([]);
  });
});
