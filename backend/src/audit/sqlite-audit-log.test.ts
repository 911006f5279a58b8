import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditAction } from '../contract/audit.js';
import { loadOrCreateSigningKey, type SigningKey } from '../export/signing.js';
import { auditEntryHash, signCheckpoint } from './chain.js';
import { runAuditLogContractSuite } from '../../../test/contracts/audit-log.js';
import { SqliteAuditLog } from './sqlite-audit-log.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = path.join(ROOT, 'backend/src/roles/cli.ts');
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-audit-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

/** `vigil audit verify --data <dir>` in its own process, the installation's key found through VIGIL_HOME. */
async function vigilAuditVerify(dataDir: string, home: string): Promise<{ code: number; out: string }> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', CLI, 'audit', 'verify', '--data', dataDir], {
      cwd: ROOT,
      env: { ...process.env, VIGIL_HOME: home },
    });
    return { code: 0, out: r.stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

let home: string;
let dataDir: string;
let key: SigningKey;
const file = () => path.join(dataDir, 'audit.db');

beforeEach(() => {
  home = fs.mkdtempSync(path.join(tmpRoot, 'home-'));
  dataDir = fs.mkdtempSync(path.join(tmpRoot, 'data-'));
  key = loadOrCreateSigningKey(path.join(home, 'keys'));
});

/** A log of `n` entries by ann and bob on two cameras, checkpointed every 4 entries and at close. */
async function writeLog(n: number, checkpointEvery = 4): Promise<void> {
  const log = new SqliteAuditLog({ file: file(), key, checkpointEvery, checkpointIntervalMs: 0 });
  const actions: AuditAction[] = ['live-start', 'playback', 'search', 'export'];
  for (let i = 1; i <= n; i++)
    await log.append({
      ts: 1_000 * i,
      actor: i % 2 ? 'ann' : 'bob',
      action: actions[i % 4] as AuditAction,
      camera: i % 3 ? 'dock' : 'gate',
      target: `t${i}`,
      detail: { i, nested: { b: 2, a: [1, 'x'] } },
    });
  await log.dispose();
}

/** The file opened as an attacker with write access would: the append-only triggers dropped. */
function asAttacker(): Database.Database {
  const db = new Database(file());
  for (const t of [
    'entries_no_update',
    'entries_no_delete',
    'checkpoints_no_update',
    'checkpoints_no_delete',
  ])
    db.exec(`DROP TRIGGER ${t}`);
  return db;
}

runAuditLogContractSuite('SQLite', async () => {
  const dir = fs.mkdtempSync(path.join(tmpRoot, 'suite-'));
  return new SqliteAuditLog({
    file: path.join(dir, 'audit.db'),
    key: loadOrCreateSigningKey(path.join(dir, 'keys')),
    checkpointEvery: 1_000_000,
    checkpointIntervalMs: 0,
  });
});

describe('the audit log (SQLite, hash chain, signed checkpoints)', () => {
  it('lists newest first with filters, counts every match, pages with before, and refuses UPDATE and DELETE', async () => {
    await writeLog(10);
    const log = new SqliteAuditLog({ file: file(), key, checkpointIntervalMs: 0 });
    const page = await log.list({ limit: 3 });
    expect(page.entries.map((e) => e.seq)).toEqual([10, 9, 8]);
    expect(page.total).toBe(10);
    expect((await log.list({ limit: 3, before: 8 })).entries.map((e) => e.seq)).toEqual([7, 6, 5]);
    const ann = await log.list({ limit: 100, actor: 'ann', camera: 'dock' });
    expect(ann.entries.map((e) => e.seq)).toEqual([7, 5, 1]);
    expect(ann.total).toBe(3);
    expect((await log.list({ limit: 100, from: 3_000, to: 5_000 })).entries.map((e) => e.seq)).toEqual([
      4, 3,
    ]);
    expect((await log.list({ limit: 100, action: 'export' })).entries.map((e) => e.seq)).toEqual([7, 3]);
    // The team hook: only these actors, whatever else is asked.
    expect((await log.list({ limit: 100, actors: ['bob'], actor: 'ann' })).total).toBe(0);
    expect((await log.list({ limit: 100, actors: [] })).total).toBe(0);
    expect(page.entries[0]).toMatchObject({
      detail: { i: 10, nested: { a: [1, 'x'], b: 2 } },
      camera: 'dock',
    });
    expect(() => log.db.prepare("UPDATE entries SET actor = 'mallory'").run()).toThrow(/append-only/);
    expect(() => log.db.prepare('DELETE FROM entries').run()).toThrow(/append-only/);
    expect(() => log.db.prepare('DELETE FROM checkpoints').run()).toThrow(/append-only/);
    // Checkpoints after entries 4 and 8, and at close after 10.
    expect(log.checkpoints().map((c) => c.seq)).toEqual([4, 8, 10]);
    expect(await log.verify()).toMatchObject({ ok: true, entries: 10, lastSeq: 10, signedThrough: 10 });
    await log.dispose();
  });

  it('chains the old audit table of the event database once, oldest first', async () => {
    const events = path.join(dataDir, 'events.db');
    const old = new Database(events);
    old.exec(
      'CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT, detail TEXT)',
    );
    old
      .prepare('INSERT INTO audit (ts, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)')
      .run(5, 'local', 'search', null, '{"q":"van"}');
    old
      .prepare('INSERT INTO audit (ts, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)')
      .run(6, 'local', 'view', 'ev-1', null);
    old.close();
    for (let i = 0; i < 2; i++) {
      const log = new SqliteAuditLog({ file: file(), key, legacyEventsDb: events, checkpointIntervalMs: 0 });
      if (i === 1) await log.append({ ts: 7, actor: 'local', action: 'export', camera: 'dock' });
      await log.dispose();
    }
    const log = new SqliteAuditLog({ file: file(), key, checkpointIntervalMs: 0 });
    expect((await log.all({})).map((e) => [e.seq, e.action, e.target, e.detail])).toEqual([
      [1, 'search', undefined, { q: 'van' }],
      [2, 'view', 'ev-1', undefined],
      [3, 'export', undefined, undefined],
    ]);
    expect((await log.verify()).ok).toBe(true);
    await log.dispose();
  });

  it('`vigil audit verify` passes an untouched log (exit 0) and says when it cannot check signatures (exit 3)', async () => {
    await writeLog(6);
    const ok = await vigilAuditVerify(dataDir, home);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain('Audit log intact: 6 entries');
    const noKey = await vigilAuditVerify(dataDir, fs.mkdtempSync(path.join(tmpRoot, 'other-home-')));
    expect(noKey.code, noKey.out).toBe(3);
    expect(noKey.out).toContain('NOT checked');
    const missing = await vigilAuditVerify(path.join(dataDir, 'nowhere'), home);
    expect(missing.code, missing.out).toBe(2);
  });

  it('`vigil audit verify` catches an edited entry and names it', async () => {
    await writeLog(10);
    const db = asAttacker();
    db.prepare("UPDATE entries SET actor = 'mallory' WHERE seq = 6").run();
    db.close();
    const r = await vigilAuditVerify(dataDir, home);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/TAMPERED: entry 6 was changed .*first broken entry: 6/);
  });

  it('catches a deleted entry and names it', async () => {
    await writeLog(10);
    const db = asAttacker();
    db.prepare('DELETE FROM entries WHERE seq = 3').run();
    db.close();
    const r = await vigilAuditVerify(dataDir, home);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/entry 3 is missing .*first broken entry: 3/);
  });

  it('catches an inserted entry even when the attacker hashes it correctly, naming where the chain breaks', async () => {
    await writeLog(10);
    const db = asAttacker();
    // Make room after entry 5 and insert a well-formed entry linked to entry 5 (the hash recomputed as Vigil does).
    const rows = db.prepare('SELECT seq FROM entries WHERE seq > 5 ORDER BY seq DESC').all() as Array<{
      seq: number;
    }>;
    for (const { seq } of rows) db.prepare('UPDATE entries SET seq = ? WHERE seq = ?').run(seq + 1, seq);
    const prev = db.prepare('SELECT hash FROM entries WHERE seq = 5').get() as { hash: string };
    const forged = { seq: 6, ts: 5_500, actor: 'ann', action: 'view' as const, prevHash: prev.hash };
    db.prepare('INSERT INTO entries (seq, ts, actor, action, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)').run(
      6,
      5_500,
      'ann',
      'view',
      prev.hash,
      auditEntryHash(forged),
    );
    db.close();
    const r = await vigilAuditVerify(dataDir, home);
    expect(r.code, r.out).toBe(1);
    // Entry 7 (the old 6) links to entry 5, not to the forged 6.
    expect(r.out).toMatch(/entry 7 does not link to entry 6.*first broken entry: 7/);
  });

  it('catches a checkpoint signature that was changed or made with another key', async () => {
    await writeLog(10);
    const db = asAttacker();
    const other = loadOrCreateSigningKey(path.join(tmpRoot, `mallory-${Date.now()}`));
    const head = db.prepare('SELECT seq, hash FROM entries WHERE seq = 8').get() as {
      seq: number;
      hash: string;
    };
    const forged = signCheckpoint(head, other);
    db.prepare('UPDATE checkpoints SET signature = ? WHERE seq = 8').run(forged.signature);
    db.close();
    const r = await vigilAuditVerify(dataDir, home);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/signature of the checkpoint at entry 8 is not valid.*first broken entry: 8/);
  });

  it('catches a tail cut off after a checkpoint', async () => {
    await writeLog(10);
    const db = asAttacker();
    db.prepare('DELETE FROM entries WHERE seq > 7').run();
    db.close();
    const r = await vigilAuditVerify(dataDir, home);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(
      /entries 8 to 8 are missing: the log was cut off after entry 7.*first broken entry: 8/,
    );
  });

  it('catches a history rewritten from the start (every hash recomputed) at the first signed checkpoint', async () => {
    await writeLog(8);
    const db = asAttacker();
    const entries = db.prepare('SELECT * FROM entries ORDER BY seq').all() as Array<Record<string, unknown>>;
    let prevHash = '0'.repeat(64);
    for (const e of entries) {
      const actor = e.seq === 2 ? 'mallory' : (e.actor as string);
      const base = {
        seq: e.seq as number,
        ts: e.ts as number,
        actor,
        action: e.action as AuditAction,
        camera: e.camera as string,
        target: e.target as string,
        detail: JSON.parse(e.detail as string) as Record<string, unknown>,
        prevHash,
      };
      const hash = auditEntryHash(base);
      db.prepare('UPDATE entries SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?').run(
        actor,
        prevHash,
        hash,
        e.seq,
      );
      prevHash = hash;
    }
    db.close();
    const r = await vigilAuditVerify(dataDir, home);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/checkpoint at entry 4 signed another chain.*first broken entry: 4/);
  });
});
