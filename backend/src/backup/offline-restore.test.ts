import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realSegments } from '../../../test/fixtures/footage.js';
import { freeTcpPort } from '../../../test/fixtures/ports.js';
import type { BackupRunRecord } from '../contract/backup.js';
import { historyFile } from './history.js';
import { listBackupIds, readManifest, runBackup } from './engine.js';
import { FolderTarget } from './targets/folder.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = path.join(ROOT, 'backend/src/roles/cli.ts');
const sha = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const temps: string[] = [];
const tmp = (prefix: string): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(d);
  return d;
};

/** Runs the real `vigil` command; resolves with its exit code and output. */
async function vigil(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe('vigil restore (offline, into a stopped installation)', () => {
  const source = tmp('vigil-offline-src-');
  const backups = tmp('vigil-offline-target-');
  const fresh = tmp('vigil-offline-fresh-');
  const segment = 'recordings/front/1700000000000.mp4';
  let config: string;
  let port: number;
  let backupId: string;

  beforeAll(async () => {
    fs.mkdirSync(path.join(source, 'recordings/front'), { recursive: true });
    fs.copyFileSync(realSegments()[0] as string, path.join(source, segment));
    const db = new Database(path.join(source, 'events.db'));
    db.exec('CREATE TABLE events (id TEXT PRIMARY KEY, label TEXT)');
    for (let i = 0; i < 20; i++) db.prepare('INSERT INTO events VALUES (?, ?)').run(`e${i}`, 'person');
    db.close();
    const r = await runBackup({
      dataDir: source,
      target: new FolderTarget(backups),
      jobId: 'nightly',
      targetId: 'nas',
    });
    expect(r.state, r.errors.join('; ')).toBe('succeeded');
    backupId = r.backupId as string;
    port = await freeTcpPort();
    config = path.join(tmp('vigil-offline-cfg-'), 'config.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        dataDir: fresh,
        server: { port },
        logging: { level: 'warn' },
        backup: { targets: [{ id: 'nas', kind: 'folder', path: backups }] },
      }),
    );
  });
  afterAll(() => {
    for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
  });

  it('lists the backups of a target, and names the known targets for an unknown one', async () => {
    const [list, unknown] = await Promise.all([
      vigil(['restore', '--target', 'nas', '--config', config]),
      vigil(['restore', '--target', 'tape', 'latest', '--config', config]),
    ]);
    expect(list.code, list.out).toBe(0);
    expect(list.out).toContain(backupId);
    expect(unknown.code).toBe(2);
    expect(unknown.out).toContain('Known targets: nas');
  });

  it('refuses while the installation is running, then restores once it is stopped', async () => {
    const running = net.createServer().listen(port, '127.0.0.1');
    await new Promise((r) => running.once('listening', r));
    const refused = await vigil(['restore', '--target', 'nas', 'latest', '--config', config]);
    await new Promise((r) => running.close(r));
    expect(refused.code, refused.out).toBe(75);
    expect(refused.out).toMatch(/appears to be running/);
    expect(fs.existsSync(path.join(fresh, segment))).toBe(false);

    const done = await vigil(['restore', '--target', 'nas', 'latest', '--config', config]);
    expect(done.code, done.out).toBe(0);
    expect(done.out).toContain(`Restored backup ${backupId}`);
    expect(sha(path.join(fresh, segment))).toBe(sha(path.join(source, segment)));
    const db = new Database(path.join(fresh, 'events.db'), { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: 20 });
    db.close();
    // The restore is in the installation's backup history, as one made on the Backup page.
    const history = JSON.parse(fs.readFileSync(historyFile(fresh), 'utf8')) as BackupRunRecord[];
    expect(history[0]).toMatchObject({ kind: 'restore', state: 'succeeded', backupId, targetId: 'nas' });
    expect(history[0]?.summary).toMatch(/\(vigil restore\)$/);
  });

  it('a corrupted byte: --verify-only names the file, restore writes nothing', async () => {
    const target = new FolderTarget(backups);
    const id = (await listBackupIds(target)).at(-1) as string;
    const victim = (await readManifest(target, id)).files.find((f) => f.path === segment);
    const objectFile = path.join(backups, ...(victim?.object as string).split('/'));
    const bytes = fs.readFileSync(objectFile);
    bytes[100] = (bytes[100] ?? 0) ^ 0xff;
    fs.writeFileSync(objectFile, bytes);

    const empty = tmp('vigil-offline-empty-');
    const cfg2 = path.join(path.dirname(config), 'empty.json');
    const cfg = JSON.parse(fs.readFileSync(config, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(cfg2, JSON.stringify({ ...cfg, dataDir: empty }));
    const [check, refused] = await Promise.all([
      vigil(['restore', '--target', 'nas', id, '--verify-only', '--config', config]),
      vigil(['restore', '--target', 'nas', id, '--config', cfg2]),
    ]);
    expect(check.code).toBe(1);
    expect(check.out).toContain(`corrupt: ${segment}`);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain(`${segment} (corrupt)`);
    expect(fs.readdirSync(empty)).toEqual([]);
  });
});
