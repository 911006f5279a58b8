// A crafted backup on a shared target (a NAS, a bucket whose keys leaked, an HDFS folder) must not make a restore
// write anywhere but inside the data folder, nor change anything there. Each hostile manifest below points at real
// objects with the right size and SHA-256, so only the path checks stand between it and the disk.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3rver, type S3Fixture } from '../fixtures/s3.js';
import { startWebHdfsFixture, type WebHdfsFixture } from '../fixtures/webhdfs.js';
import { manifestKey, readManifest, restoreBackup, runBackup } from '../../backend/src/backup/engine.js';
import { UnsafeManifestError } from '../../backend/src/backup/manifest-check.js';
import { offlineRestore } from '../../backend/src/backup/offline-restore.js';
import { backupRoutes } from '../../backend/src/backup/routes.js';
import { BackupService } from '../../backend/src/backup/service.js';
import { putBuffer, type BackupTarget } from '../../backend/src/backup/target.js';
import { FolderTarget } from '../../backend/src/backup/targets/folder.js';
import { HdfsTarget } from '../../backend/src/backup/targets/hdfs.js';
import { S3Target } from '../../backend/src/backup/targets/s3.js';
import type { BackupManifest, BackupManifestFile, BackupSummary } from '../../backend/src/contract/backup.js';
import type { ApiError } from '../../backend/src/contract/api.js';
import { BackupConfig } from '../../backend/src/contract/config/backup.js';
import { ServerConfig } from '../../backend/src/contract/config/server.js';

const temps: string[] = [];
const tmp = (prefix: string): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(d);
  return d;
};
afterAll(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

/** Every entry under `dir` (not following links): type, size, SHA-256 of files, where links point. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (abs: string, rel: string): void => {
    for (const e of fs.readdirSync(abs, { withFileTypes: true })) {
      const a = path.join(abs, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      const st = fs.lstatSync(a);
      if (st.isSymbolicLink()) out[r] = `link → ${fs.readlinkSync(a)}`;
      else if (st.isDirectory()) {
        out[r] = 'dir';
        walk(a, r);
      } else
        out[r] =
          `file ${st.size} ${st.mtimeMs} ${createHash('sha256').update(fs.readFileSync(a)).digest('hex')}`;
    }
  };
  walk(dir, '');
  return out;
}

/** A small installation: an event database and footage of one camera. */
function makeSource(): string {
  const dataDir = tmp('vigil-sec-source-');
  fs.mkdirSync(path.join(dataDir, 'recordings/front'), { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'recordings/front/1.mp4'), randomBytes(40_000));
  fs.writeFileSync(path.join(dataDir, 'recordings/front/2.mp4'), randomBytes(30_000));
  const db = new Database(path.join(dataDir, 'events.db'));
  db.exec(
    "CREATE TABLE events (id TEXT PRIMARY KEY, label TEXT); INSERT INTO events VALUES ('e1', 'person')",
  );
  db.close();
  return dataDir;
}

/**
 * The installation a restore is aimed at: its own database and footage, a camera folder that is a symbolic link to
 * a folder outside (as an administrator might put footage on another disk), and that outside folder, empty.
 */
function makeVictim(): { home: string; dataDir: string; outside: string } {
  const home = tmp('vigil-sec-victim-');
  const dataDir = path.join(home, 'site', 'data');
  const outside = path.join(home, 'outside');
  fs.mkdirSync(path.join(dataDir, 'recordings/front'), { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(dataDir, 'recordings/front/1.mp4'), 'footage already here');
  fs.symlinkSync(outside, path.join(dataDir, 'recordings/yard'));
  const db = new Database(path.join(dataDir, 'events.db'));
  db.exec("CREATE TABLE events (id TEXT PRIMARY KEY, label TEXT); INSERT INTO events VALUES ('v1', 'car')");
  db.close();
  return { home, dataDir, outside };
}

interface HostileCase {
  name: string;
  /** Builds the hostile manifest from a genuine one; `escape` is a unique name for files planted outside. */
  craft: (m: BackupManifest, escape: string) => BackupManifest;
  /** What the refusal must say (it names the entry). */
  says: RegExp;
}

const recording = (m: BackupManifest): BackupManifestFile =>
  m.files.find((f) => f.kind === 'recording') as BackupManifestFile;
const database = (m: BackupManifest): BackupManifestFile =>
  m.files.find((f) => f.kind === 'database') as BackupManifestFile;
const withEntry = (m: BackupManifest, entry: BackupManifestFile): BackupManifest => ({
  ...m,
  files: [...m.files, entry],
});

const CASES: HostileCase[] = [
  {
    name: 'a path climbing out of the data folder',
    craft: (m, escape) => withEntry(m, { ...recording(m), path: `../../../${escape}` }),
    says: /"\.\.\/\.\.\/\.\.\/vigil-escape-[0-9a-f]+".*climbs out/,
  },
  {
    name: 'a path climbing out from inside the recordings folder',
    craft: (m, escape) => withEntry(m, { ...recording(m), path: `recordings/../../${escape}` }),
    says: /"recordings\/\.\.\/\.\.\/vigil-escape-[0-9a-f]+".*climbs out/,
  },
  {
    name: 'an absolute path',
    craft: (m, escape) => withEntry(m, { ...recording(m), path: `/tmp/${escape}` }),
    says: /"\/tmp\/vigil-escape-[0-9a-f]+".*absolute path/,
  },
  {
    name: 'a path through a symbolic link in the data folder',
    craft: (m) => withEntry(m, { ...recording(m), path: 'recordings/yard/planted.mp4' }),
    says: /"recordings\/yard\/planted\.mp4".*"recordings\/yard".*symbolic link/,
  },
  {
    name: 'a NUL character in a path',
    craft: (m) => withEntry(m, { ...recording(m), path: 'recordings/front/x.mp4\u0000.txt' }),
    says: /NUL/,
  },
  {
    name: 'a database entry aimed at another file',
    craft: (m) => withEntry(m, { ...database(m), path: 'ui/notes.db' }),
    says: /"ui\/notes\.db".*may only restore into events\.db/,
  },
  {
    name: 'a database entry aimed at a settings file',
    craft: (m) => withEntry(m, { ...database(m), path: 'detect/settings.json' }),
    says: /"detect\/settings\.json"/,
  },
  {
    name: 'a database smuggled in as footage',
    craft: (m) => withEntry(m, { ...recording(m), path: 'recordings.sqlite' }),
    says: /"recordings\.sqlite".*database file listed as footage/,
  },
  {
    name: "a file planted in the installation's backup state (a new backup target)",
    craft: (m) => withEntry(m, { ...recording(m), path: 'backup-state/settings.json' }),
    says: /"backup-state\/settings\.json".*never part of a backup/,
  },
  {
    name: 'the same path listed twice',
    craft: (m) => withEntry(m, { ...recording(m), path: 'recordings/front/new.mp4' }),
    says: /listed twice/,
  },
  {
    name: 'two paths that differ only in case',
    craft: (m) => withEntry(m, { ...recording(m), path: recording(m).path.toUpperCase() }),
    says: /differs only in case/,
  },
  {
    name: 'a file where another entry needs a folder',
    craft: (m) => withEntry(m, { ...recording(m), path: 'recordings' }),
    says: /"recordings".*needs a folder/,
  },
  {
    name: 'an object key that leaves the target',
    craft: (m) => withEntry(m, { ...recording(m), path: 'recordings/front/k.mp4', object: '../../outside' }),
    says: /"recordings\/front\/k\.mp4".*object key "\.\.\/\.\.\/outside"/,
  },
  {
    name: 'a declared size larger than the disk',
    craft: (m) => withEntry(m, { ...recording(m), path: 'recordings/front/huge.mp4', size: 2 ** 52 }),
    says: /declares .*TB but the data folder's disk has .* free/,
  },
];

/** The hostile-manifest table against one target kind. */
function hostileRestores(kind: string, open: () => Promise<BackupTarget>, close: () => Promise<void>): void {
  describe(`a restore from a hostile ${kind} target`, () => {
    let target: BackupTarget;
    let genuine: BackupManifest;
    beforeAll(async () => {
      target = await open();
      const r = await runBackup({ dataDir: makeSource(), target, jobId: 'nightly', targetId: 't' });
      expect(r.state, r.errors.join('; ')).toBe('succeeded');
      genuine = await readManifest(target, r.backupId as string);
      // Entries of the genuine backup: the "same path twice" case duplicates recordings/front/new.mp4.
      genuine = withEntry(genuine, { ...recording(genuine), path: 'recordings/front/new.mp4' });
      await putBuffer(target, manifestKey(`${genuine.id}-plus`), Buffer.from(JSON.stringify(genuine)));
      genuine = { ...genuine, id: `${genuine.id}-plus` };
    });
    afterAll(async () => {
      await target.dispose();
      await close();
    });

    it('restores the genuine backup (the checks let a real one through)', async () => {
      const fresh = path.join(tmp('vigil-sec-fresh-'), 'data');
      const r = await restoreBackup(target, genuine.id, fresh);
      expect(r.ok, r.message).toBe(true);
      expect(fs.readdirSync(path.join(fresh, 'recordings/front')).sort()).toEqual([
        '1.mp4',
        '2.mp4',
        'new.mp4',
      ]);
      expect(fs.existsSync(path.join(fresh, '.restore-staging'))).toBe(false);
    });

    it.each(CASES)('refuses $name as a whole, before writing anything', async ({ craft, says }) => {
      const victim = makeVictim();
      const before = snapshot(victim.home);
      const escape = `vigil-escape-${randomBytes(6).toString('hex')}`;
      const id = `20260101T000000000Z-${randomBytes(3).toString('hex')}`;
      const hostile = craft({ ...genuine, id }, escape);
      await putBuffer(target, manifestKey(id), Buffer.from(JSON.stringify(hostile)));

      const err = await restoreBackup(target, id, victim.dataDir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnsafeManifestError);
      expect((err as Error).message).toMatch(says);

      // Nothing inside changed (not even the genuine entries listed before the hostile one were restored) …
      expect(snapshot(victim.home)).toEqual(before);
      // … and nothing was created outside: not the escape names, not in the linked folder.
      for (const p of [
        path.join(victim.dataDir, '../../..', escape),
        path.join(victim.dataDir, '..', escape),
        path.join(victim.home, escape),
        path.join('/tmp', escape),
      ])
        expect(fs.existsSync(p), p).toBe(false);
      expect(fs.readdirSync(victim.outside)).toEqual([]);
    });
  });
}

hostileRestores(
  'folder',
  async () => new FolderTarget(tmp('vigil-sec-nas-')),
  async () => {},
);

let s3: S3Fixture | undefined;
hostileRestores(
  'S3 (s3rver, a lightweight stand-in for an S3 server)',
  async () => {
    s3 = await startS3rver();
    return new S3Target({ ...s3, region: 'us-east-1', prefix: 'site-a/' });
  },
  async () => s3?.close(),
);

let hdfs: WebHdfsFixture | undefined;
hostileRestores(
  'HDFS (the WebHDFS fixture of test/fixtures/webhdfs.ts)',
  async () => {
    hdfs = await startWebHdfsFixture();
    return new HdfsTarget({ namenodeUrl: hdfs.namenodeUrl, user: 'vigil', root: '/vigil-backups' });
  },
  async () => hdfs?.close(),
);

describe('a crafted backup, beyond its paths', () => {
  let target: FolderTarget;
  let genuine: BackupManifest;
  beforeAll(async () => {
    target = new FolderTarget(tmp('vigil-sec-nas-'));
    const r = await runBackup({ dataDir: makeSource(), target, jobId: 'nightly', targetId: 't' });
    genuine = await readManifest(target, r.backupId as string);
  });

  it('an object larger than its declared size is cut off and reported corrupt; nothing is restored', async () => {
    const rec = recording(genuine);
    // The target serves 64 MB under a key the manifest says holds 10 bytes.
    const big = Buffer.alloc(64 * 1024 * 1024, 1);
    await putBuffer(target, 'files/endless', big);
    const id = `20260101T000000000Z-${randomBytes(3).toString('hex')}`;
    const m = withEntry(
      { ...genuine, id },
      { ...rec, path: 'recordings/front/endless.mp4', object: 'files/endless', size: 10 },
    );
    await putBuffer(target, manifestKey(id), Buffer.from(JSON.stringify(m)));
    const victim = makeVictim();
    const before = snapshot(victim.home);
    const r = await restoreBackup(target, id, victim.dataDir);
    expect(r.ok).toBe(false);
    expect(r.verify.corrupt).toEqual(['recordings/front/endless.mp4']);
    expect(snapshot(victim.home)).toEqual(before);
  });

  /** Plants a backup whose events.db has the schema text `sql` for its table "extra"; returns its id. */
  const plantDatabase = async (sql: string): Promise<string> => {
    const crafted = path.join(tmp('vigil-sec-craft-'), 'events.db');
    const db = new Database(crafted);
    db.exec("CREATE TABLE extra (a TEXT); INSERT INTO extra VALUES ('x')");
    db.unsafeMode(true); // better-sqlite3 runs SQLite in defensive mode, which forbids editing the schema
    db.pragma('writable_schema = ON');
    db.prepare("UPDATE sqlite_master SET sql = ? WHERE name = 'extra'").run(sql);
    db.pragma('writable_schema = OFF');
    db.close();
    const bytes = fs.readFileSync(crafted);
    const id = `20260101T000000000Z-${randomBytes(3).toString('hex')}`;
    await putBuffer(target, `db/${id}/events.db`, bytes);
    const m: BackupManifest = {
      ...genuine,
      id,
      files: [
        ...genuine.files.filter((f) => f.kind !== 'database'),
        {
          ...database(genuine),
          object: `db/${id}/events.db`,
          size: bytes.length,
          sha256: createHash('sha256').update(bytes).digest('hex'),
        },
      ],
    };
    await putBuffer(target, manifestKey(id), Buffer.from(JSON.stringify(m)));
    return id;
  };

  it('a database whose schema smuggles a second statement (an ATTACH writing elsewhere) is not run', async () => {
    const victim = makeVictim();
    const planted = path.join(victim.home, `planted-${randomBytes(4).toString('hex')}.db`);
    // SQLite loads only the first statement of the schema text when it opens the file, but running the text as it
    // stands would attach (and create) a file outside the data folder.
    const id = await plantDatabase(
      `CREATE TABLE extra (a TEXT); ATTACH DATABASE '${planted}' AS evil; CREATE TABLE evil.t (a)`,
    );
    const before = snapshot(victim.home);
    const err = await restoreBackup(target, id, victim.dataDir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsafeManifestError);
    expect((err as Error).message).toMatch(
      /"events\.db" was refused.*table "extra" holds more than one statement/,
    );
    expect(fs.existsSync(planted)).toBe(false);
    // Refused before the first file was moved into place.
    expect(snapshot(victim.home)).toEqual(before);
    const check = new Database(path.join(victim.dataDir, 'events.db'), { readonly: true });
    expect(check.prepare("SELECT name FROM sqlite_master WHERE name = 'extra'").all()).toEqual([]);
    check.close();
  });

  it('a database with a malformed schema (an endless query) is refused before anything moves', async () => {
    const victim = makeVictim();
    const id = await plantDatabase(
      'CREATE TABLE extra AS WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT n FROM c',
    );
    const before = snapshot(victim.home);
    const err = await restoreBackup(target, id, victim.dataDir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsafeManifestError);
    expect((err as Error).message).toMatch(/"events\.db" is not a readable SQLite database/);
    expect(snapshot(victim.home)).toEqual(before);
  });
});

describe('every backup Vigil writes can be restored', () => {
  it('leaves out files a restore would refuse, says so, and a planted newest manifest blocks no backup', async () => {
    const source = makeSource();
    // Legal names on Linux that a restore refuses: a backslash, and a name differing from another only in case.
    fs.writeFileSync(path.join(source, 'recordings/front/a\\b.mp4'), 'x');
    fs.writeFileSync(path.join(source, 'recordings/front/1.MP4'), 'y');
    const target = new FolderTarget(tmp('vigil-sec-nas-'));
    // Someone planted a hostile manifest that sorts as the newest backup.
    await putBuffer(
      target,
      manifestKey('99999999T999999999Z-000000'),
      Buffer.from(JSON.stringify({ format: 'vigil-backup/1', id: 'x', files: [{ path: '../../x' }] })),
    );
    const r = await runBackup({ dataDir: source, target, jobId: 'nightly', targetId: 't' });
    expect(r.backupId).toBeDefined();
    expect(r.errors.join('\n')).toMatch(/"recordings\/front\/a\\b\.mp4" is not backed up: .*backslash/);
    expect(r.errors.join('\n')).toMatch(
      /"recordings\/front\/1\.(MP4|mp4)" is not backed up: .*differs only in case/,
    );
    const fresh = path.join(tmp('vigil-sec-fresh-'), 'data');
    const restored = await restoreBackup(target, r.backupId as string, fresh);
    expect(restored.ok, restored.message).toBe(true);
    expect(fs.existsSync(path.join(fresh, 'recordings/front/2.mp4'))).toBe(true);
  });
});

describe('`vigil restore` (offline) with a hostile backup', () => {
  it('refuses, names the entry, exits 1 and writes nothing', async () => {
    const nas = tmp('vigil-sec-nas-');
    const target = new FolderTarget(nas);
    const r = await runBackup({ dataDir: makeSource(), target, jobId: 'nightly', targetId: 'nas' });
    const genuine = await readManifest(target, r.backupId as string);
    const id = `20260101T000000000Z-${randomBytes(3).toString('hex')}`;
    const hostile = withEntry(
      { ...genuine, id },
      { ...recording(genuine), path: 'recordings/../../cli.mp4' },
    );
    await putBuffer(target, manifestKey(id), Buffer.from(JSON.stringify(hostile)));
    const victim = makeVictim();
    const before = snapshot(victim.home);
    const lines: string[] = [];
    const code = await offlineRestore({
      config: BackupConfig.parse({ targets: [{ id: 'nas', kind: 'folder', path: nas }] }),
      server: ServerConfig.parse({ port: 0 }),
      dataDir: victim.dataDir,
      targetId: 'nas',
      backupId: id,
      print: (line) => lines.push(line),
    });
    expect(code).toBe(1);
    expect(lines.join('\n')).toMatch(
      /Nothing was restored: .*"recordings\/\.\.\/\.\.\/cli\.mp4".*climbs out/,
    );
    expect(snapshot(victim.home)).toEqual(before);
    expect(fs.existsSync(path.join(victim.home, 'site/cli.mp4'))).toBe(false);
  });
});

describe('POST /api/backup/restore with a hostile backup', () => {
  let app: FastifyInstance;
  let service: BackupService;
  let victim: ReturnType<typeof makeVictim>;
  let target: FolderTarget;
  let genuine: BackupManifest;
  beforeAll(async () => {
    const nas = tmp('vigil-sec-nas-');
    target = new FolderTarget(nas);
    const r = await runBackup({ dataDir: makeSource(), target, jobId: 'nightly', targetId: 'nas' });
    genuine = await readManifest(target, r.backupId as string);
    victim = makeVictim();
    service = new BackupService({
      config: BackupConfig.parse({ targets: [{ id: 'nas', kind: 'folder', path: nas }] }),
      dataDir: victim.dataDir,
    });
    await service.start();
    // The backup routes alone on a bare server: authentication is not what is tested here.
    app = Fastify();
    await backupRoutes(service).register(app);
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await service.dispose();
  });
  const restore = async (backupId: string): Promise<{ status: number; body: ApiError }> => {
    const r = await app.inject({
      method: 'POST',
      url: '/api/backup/restore',
      payload: { targetId: 'nas', backupId },
    });
    return { status: r.statusCode, body: r.json() as ApiError };
  };
  const plant = async (m: BackupManifest): Promise<string> => {
    const id = `20260101T000000000Z-${randomBytes(3).toString('hex')}`;
    await putBuffer(target, manifestKey(id), Buffer.from(JSON.stringify({ ...m, id })));
    return id;
  };

  it('answers 400 naming the entry, and writes nothing', async () => {
    const before = snapshot(victim.home);
    const id = await plant(
      withEntry(genuine, { ...recording(genuine), path: 'recordings/../../escaped.mp4' }),
    );
    const r = await restore(id);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'bad_request', field: 'backupId' });
    expect(r.body.message).toMatch(/Nothing was restored.*"recordings\/\.\.\/\.\.\/escaped\.mp4"/);
    // Nothing but the backup history's record of the refused restore changed.
    const history = 'site/data/backup-state/history.json';
    const after = snapshot(victim.home);
    expect(fs.readFileSync(path.join(victim.home, history), 'utf8')).toContain(id);
    delete after[history];
    delete before[history];
    expect(after).toEqual(before);
    expect(fs.existsSync(path.join(victim.home, 'site/escaped.mp4'))).toBe(false);
  });

  it('an object key that escapes the target answers 400, not 500', async () => {
    const id = await plant(
      withEntry(genuine, { ...recording(genuine), path: 'recordings/front/k.mp4', object: 'files/../../x' }),
    );
    const r = await restore(id);
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/object key "files\/\.\.\/\.\.\/x"/);
  });

  it('the list of backups still answers, naming a refused one as such', async () => {
    const id = await plant(withEntry(genuine, { ...recording(genuine), path: '../listed.mp4' }));
    const r = await app.inject({ method: 'GET', url: '/api/backup/targets/nas/backups' });
    expect(r.statusCode).toBe(200);
    const list = r.json() as BackupSummary[];
    expect(list.find((b) => b.id === id)?.problem).toMatch(/"\.\.\/listed\.mp4".*climbs out/);
    expect(list.find((b) => b.id === genuine.id)?.problem).toBeUndefined();
  });

  it('a backup id that is a path answers 400 naming the field; verify too', async () => {
    const r = await restore('../../etc/passwd');
    expect(r.status).toBe(400);
    expect(r.body.field).toBe('backupId');
    const v = await app.inject({
      method: 'POST',
      url: '/api/backup/verify',
      payload: { targetId: 'nas', backupId: 'a/../../b' },
    });
    expect(v.statusCode).toBe(400);
  });

  it('a manifest that is not JSON answers 400, and verify of a hostile manifest says why', async () => {
    const id = `20260101T000000000Z-${randomBytes(3).toString('hex')}`;
    await putBuffer(target, manifestKey(id), Buffer.from('{"format": "vigil-backup/1", "files": ['));
    const r = await restore(id);
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/not a Vigil backup manifest/);
    const bad = await plant(withEntry(genuine, { ...recording(genuine), path: '/etc/cron.d/x' }));
    const v = await app.inject({
      method: 'POST',
      url: '/api/backup/verify',
      payload: { targetId: 'nas', backupId: bad },
    });
    expect(v.statusCode).toBe(400);
    expect((v.json() as ApiError).message).toMatch(/"\/etc\/cron\.d\/x".*absolute path/);
  });
});
