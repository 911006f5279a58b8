import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { PassThrough, Transform, type TransformCallback } from 'node:stream';
import Database from 'better-sqlite3';
import type {
  BackupManifest,
  BackupManifestFile,
  BackupProgress,
  BackupRestoreReport,
  BackupRunRecord,
  BackupVerifyReport,
} from '../contract/backup.js';
import { createLogger } from '../platform/log.js';
import { SECRETS_DIR } from '../platform/secret-store.js';
import {
  checkDestinations,
  isInside,
  KNOWN_DATABASES,
  parseManifest,
  unrestorablePaths,
  UnsafeManifestError,
} from './manifest-check.js';
import {
  getBuffer,
  InvalidObjectKeyError,
  putBuffer,
  TargetNotFoundError,
  type BackupTarget,
} from './target.js';
import { HashingTransform, ThrottleTransform, TokenBucket } from './throttle.js';

const log = createLogger('backup.engine');

/** Folder inside the data folder holding backup state (journals, history); never itself backed up. */
export const BACKUP_STATE_DIR = 'backup-state';
/** Folders inside the data folder that backups skip. */
// The secret store (camera passwords and its key) never leaves the machine: a backup holds no secret, in clear or not.
const SKIPPED_DIRS = new Set([
  BACKUP_STATE_DIR,
  'exports',
  '.restore-staging',
  'recordings-staging',
  SECRETS_DIR,
]);
const DB_EXT = /\.(db|sqlite|sqlite3)$/i;
const DB_SIDE_FILE = /\.(db|sqlite|sqlite3)-(wal|shm|journal)$/i;

export const MANIFEST_PREFIX = 'backups/';
export const manifestKey = (id: string): string => `${MANIFEST_PREFIX}${id}.json`;
/** What a backup id may look like (ids are written as "<UTC time>-<random hex>"). */
export const BACKUP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** Raised when a run is cancelled; the journal stays so the next run resumes. */
export class BackupCancelledError extends Error {
  constructor() {
    super('the backup was cancelled');
    this.name = 'BackupCancelledError';
  }
}

export interface BackupRunOptions {
  dataDir: string;
  target: BackupTarget;
  jobId: string;
  targetId: string;
  metadata?: boolean;
  recordings?: boolean;
  /** Upload limit in bytes per second; 0 = unlimited. */
  bandwidthBps?: number;
  /** Parallel uploads (object stores like a few at once). */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (p: BackupProgress) => void;
  /** Id of this run (for progress and history); random when absent. */
  runId?: string;
  /** Test hook: called after each file is uploaded and journaled. */
  afterFile?: (path: string) => void | Promise<void>;
}

interface SourceFile {
  path: string;
  abs: string;
  size: number;
  mtimeMs: number;
  kind: 'database' | 'recording';
  sourceStamp?: string;
}

interface JournalHeader {
  backupId: string;
  runId: string;
  jobId: string;
  startedAt: number;
  target: string;
}

/** Lists every file to back up (databases and footage) with its size and time, skipping backup state. */
export async function scanDataDir(dataDir: string): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    let entries: fs.Dirent[];
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    let n = 0;
    for (const e of entries) {
      const relPath = rel ? `${rel}/${e.name}` : e.name;
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!rel && SKIPPED_DIRS.has(e.name)) continue;
        await walk(abs, relPath);
      } else if (e.isFile()) {
        if (DB_SIDE_FILE.test(e.name) || e.name.endsWith('.partial')) continue;
        // Stats are synchronous (far faster for 100,000 files); the loop yields now and then to stay responsive.
        let st: fs.Stats;
        try {
          st = fs.statSync(abs);
        } catch {
          continue; // removed by retention meanwhile
        }
        if (DB_EXT.test(e.name)) {
          let wal = '';
          try {
            // An empty WAL (left by a reader) holds no data: it must not count as a change.
            const w = fs.statSync(`${abs}-wal`);
            if (w.size > 0) wal = `:${w.size}:${Math.floor(w.mtimeMs)}`;
          } catch {
            /* no WAL */
          }
          out.push({
            path: relPath,
            abs,
            size: st.size,
            mtimeMs: Math.floor(st.mtimeMs),
            kind: 'database',
            sourceStamp: `${st.size}:${Math.floor(st.mtimeMs)}${wal}`,
          });
        } else {
          out.push({ path: relPath, abs, size: st.size, mtimeMs: Math.floor(st.mtimeMs), kind: 'recording' });
        }
        if (++n % 2000 === 0) await new Promise((r) => setImmediate(r));
      }
    }
  };
  await walk(dataDir, '');
  return out;
}

/** Newest backup manifest on the target, or undefined. */
export async function latestManifest(target: BackupTarget): Promise<BackupManifest | undefined> {
  const ids = await listBackupIds(target);
  const last = ids.at(-1);
  return last ? readManifest(target, last) : undefined;
}

/** Ids of the complete backups on the target, oldest first (ids sort by time). */
export async function listBackupIds(target: BackupTarget): Promise<string[]> {
  const ids: string[] = [];
  for await (const o of target.list(MANIFEST_PREFIX)) {
    const m = /^backups\/([^/]+)\.json$/.exec(o.key);
    if (m?.[1] && BACKUP_ID.test(m[1])) ids.push(m[1]);
  }
  return ids.sort();
}

/** Largest manifest a restore reads into memory (two million entries of a few hundred bytes each). */
const MAX_MANIFEST_BYTES = 512 * 1024 * 1024;

/**
 * Reads and checks a manifest from the target (untrusted input: see manifest-check.ts). With `databases`, database
 * entries must name one of them, as a restore requires. Raises UnsafeManifestError for a manifest Vigil cannot have
 * written.
 */
export async function readManifest(
  target: BackupTarget,
  id: string,
  databases?: readonly string[],
): Promise<BackupManifest> {
  if (!BACKUP_ID.test(id)) throw new InvalidObjectKeyError(manifestKey(id));
  const key = manifestKey(id);
  const info = await target.head(key);
  if (!info) throw new Error(`there is no backup "${id}" on ${target.location}`);
  if (info.size > MAX_MANIFEST_BYTES)
    throw new UnsafeManifestError(
      `backups/${id}.json on ${target.location} is ${info.size} bytes, larger than any manifest Vigil writes`,
    );
  let raw: Buffer;
  try {
    raw = await getBuffer(target, key, MAX_MANIFEST_BYTES);
  } catch (err) {
    if (err instanceof TargetNotFoundError)
      throw new Error(`there is no backup "${id}" on ${target.location}`, { cause: err });
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new UnsafeManifestError(`backups/${id}.json on ${target.location} is not a Vigil backup manifest`);
  }
  try {
    return parseManifest(json, databases);
  } catch (err) {
    if (err instanceof UnsafeManifestError)
      throw new UnsafeManifestError(`backup ${id} on ${target.location}: ${err.message}`, err.entry);
    throw err;
  }
}

function newBackupId(now = new Date()): string {
  // Millisecond precision: ids sort in time order, which is how the newest backup is found.
  return `${now.toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
}

/** Keeps a rolling transfer rate for progress and ETA. */
class RateMeter {
  readonly #samples: { t: number; bytes: number }[] = [];
  add(total: number): void {
    const t = performance.now();
    this.#samples.push({ t, bytes: total });
    while (this.#samples.length > 2 && t - (this.#samples[0]?.t ?? t) > 5000) this.#samples.shift();
  }
  rate(): number {
    const a = this.#samples[0];
    const b = this.#samples.at(-1);
    if (!a || !b || b.t - a.t < 200) return 0;
    return ((b.bytes - a.bytes) / (b.t - a.t)) * 1000;
  }
}

/**
 * One backup run: snapshots the databases (SQLite online backup), uploads what the target lacks compared with the
 * newest backup there, journals each finished file locally (so an interrupted run resumes where it stopped), and
 * writes the manifest last. Nothing new since the newest backup → no new backup is written ("nothing-new").
 */
export async function runBackup(options: BackupRunOptions): Promise<BackupRunRecord> {
  const { dataDir, target, jobId, signal } = options;
  const stateDir = path.join(dataDir, BACKUP_STATE_DIR);
  await fsp.mkdir(stateDir, { recursive: true });
  const journalFile = path.join(stateDir, `journal-${jobId}.jsonl`);
  const startedAt = Date.now();
  const runId = options.runId ?? randomBytes(6).toString('hex');
  const errors: string[] = [];
  const record: BackupRunRecord = {
    runId,
    jobId,
    targetId: options.targetId,
    state: 'running',
    startedAt,
    finishedAt: 0,
    filesUploaded: 0,
    filesSkipped: 0,
    bytesUploaded: 0,
    errors,
  };
  const progress: BackupProgress = {
    jobId,
    runId,
    phase: 'scanning',
    filesDone: 0,
    filesTotal: 0,
    bytesDone: 0,
    bytesTotal: 0,
    rateBps: 0,
    startedAt,
  };
  const meter = new RateMeter();
  let lastReport = 0;
  const report = (force = false): void => {
    const now = performance.now();
    if (!force && now - lastReport < 250) return;
    lastReport = now;
    meter.add(progress.bytesDone);
    progress.rateBps = Math.round(meter.rate());
    progress.etaSeconds =
      progress.rateBps > 0
        ? Math.round((progress.bytesTotal - progress.bytesDone) / progress.rateBps)
        : undefined;
    options.onProgress?.({ ...progress });
  };
  const checkCancel = (): void => {
    if (signal?.aborted) throw new BackupCancelledError();
  };

  // Resume: the journal of an interrupted run names its backup id and the files already on the target.
  let header: JournalHeader | undefined;
  const journaled = new Map<string, BackupManifestFile>();
  try {
    const lines = (await fsp.readFile(journalFile, 'utf8')).split('\n').filter(Boolean);
    const first = lines.shift();
    if (first) {
      const h = JSON.parse(first) as JournalHeader;
      if (h.target === target.location) {
        header = h;
        for (const line of lines) {
          try {
            const f = JSON.parse(line) as BackupManifestFile;
            journaled.set(f.path, f);
          } catch {
            // A line cut short by the interruption: that file is simply uploaded again.
          }
        }
      }
    }
  } catch {
    /* no journal: a fresh run */
  }
  record.resumed = header !== undefined;
  const backupId = header?.backupId ?? newBackupId();
  if (!header) {
    header = { backupId, runId, jobId, startedAt, target: target.location };
    await fsp.writeFile(journalFile, `${JSON.stringify(header)}\n`);
  }
  const journal = await fsp.open(journalFile, 'a');

  try {
    // A newest manifest that a restore would refuse (written by hand, or by someone else) is not built upon:
    // everything is uploaded again, and the new backup stands on its own.
    const previous = await latestManifest(target).catch((err: unknown) => {
      if (!(err instanceof UnsafeManifestError)) throw err;
      log.warn({ target: target.location, reason: err.message }, 'the newest backup is not built upon');
      return undefined;
    });
    const prevByPath = new Map(previous?.files.map((f) => [f.path, f]));
    checkCancel();

    let sources = await scanDataDir(dataDir);
    if (options.metadata === false) sources = sources.filter((s) => s.kind !== 'database');
    if (options.recordings === false) sources = sources.filter((s) => s.kind !== 'recording');
    const unrestorable = unrestorablePaths(sources);
    if (unrestorable.size) {
      for (const [p, why] of unrestorable) errors.push(`"${p}" is not backed up: ${why}; rename it`);
      sources = sources.filter((s) => !unrestorable.has(s.path));
    }

    const files: BackupManifestFile[] = [];
    const todo: SourceFile[] = [];
    for (const s of sources) {
      const done = journaled.get(s.path);
      const prev = prevByPath.get(s.path);
      const same = (f: BackupManifestFile | undefined): boolean =>
        !!f &&
        (s.kind === 'database'
          ? f.sourceStamp === s.sourceStamp
          : f.size === s.size && f.mtimeMs === s.mtimeMs);
      if (same(done)) files.push(done as BackupManifestFile);
      else if (same(prev)) files.push(prev as BackupManifestFile);
      else todo.push(s);
    }
    record.filesSkipped = files.length;
    const removed = previous ? previous.files.length - files.length - todo.length : 0;
    if (previous && todo.length === 0 && removed <= 0 && files.length === previous.files.length) {
      const unchanged = files.every((f) => prevByPath.get(f.path) === f);
      if (unchanged && journaled.size === 0) {
        await journal.close();
        await fsp.rm(journalFile, { force: true });
        record.state = 'nothing-new';
        record.finishedAt = Date.now();
        return record;
      }
    }

    progress.phase = 'uploading';
    progress.filesTotal = todo.length;
    progress.bytesTotal = todo.reduce((a, s) => a + s.size, 0);
    report(true);
    const bucket = new TokenBucket(options.bandwidthBps ?? 0);
    const snapshotDir = path.join(stateDir, `snapshot-${runId}`);

    const uploadOne = async (s: SourceFile): Promise<void> => {
      checkCancel();
      let abs = s.abs;
      let object = `files/${s.path}~${s.mtimeMs}-${s.size}`;
      if (s.kind === 'database') {
        // A consistent copy of a live database: SQLite's online backup API, safe while other connections write.
        progress.phase = 'snapshot';
        await fsp.mkdir(snapshotDir, { recursive: true });
        abs = path.join(snapshotDir, s.path.replace(/\//g, '__'));
        const db = new Database(s.abs, { readonly: true, fileMustExist: true });
        try {
          await db.backup(abs);
        } finally {
          db.close();
        }
        object = `db/${backupId}/${s.path}`;
        progress.phase = 'uploading';
      }
      const size = (await fsp.stat(abs)).size;
      if (s.kind === 'database') progress.bytesTotal += size - s.size;
      const hasher = new HashingTransform((n) => {
        progress.bytesDone += n;
        report();
      });
      const body = new PassThrough();
      // Large reads keep the per-chunk overhead (hashing calls, stream hops) small next to the disk and network.
      const source = fs.createReadStream(abs, { highWaterMark: 1024 * 1024 });
      const reading =
        bucket.bytesPerSecond > 0
          ? pipeline(source, new ThrottleTransform(bucket, signal), hasher, body, { signal })
          : pipeline(source, hasher, body, { signal });
      try {
        await Promise.all([target.put(object, body, size, signal), reading]);
      } catch (err) {
        body.destroy();
        if (signal?.aborted) throw new BackupCancelledError();
        throw err;
      }
      if (hasher.bytes !== size) {
        await target.delete(object);
        throw new Error(`"${s.path}" changed size while it was being backed up; it is retried next run`);
      }
      const entry: BackupManifestFile = {
        path: s.path,
        size,
        sha256: hasher.digest(),
        mtimeMs: s.mtimeMs,
        kind: s.kind,
        object,
        ...(s.sourceStamp ? { sourceStamp: s.sourceStamp } : {}),
      };
      if (s.kind === 'database') await fsp.rm(abs, { force: true });
      await journal.appendFile(`${JSON.stringify(entry)}\n`);
      files.push(entry);
      record.filesUploaded++;
      record.bytesUploaded += size;
      progress.filesDone++;
      report();
      await options.afterFile?.(s.path);
    };

    const queue = [...todo];
    const workers = Array.from({ length: Math.max(1, options.concurrency ?? 2) }, async () => {
      for (let s = queue.shift(); s; s = queue.shift()) {
        try {
          await uploadOne(s);
        } catch (err) {
          if (err instanceof BackupCancelledError) throw err;
          const msg = err instanceof Error ? err.message : String(err);
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // deleted by retention meanwhile
          errors.push(`could not back up "${s.path}": ${msg}`);
          log.warn({ path: s.path, err: msg }, 'file not backed up');
        }
      }
    });
    try {
      await Promise.all(workers);
    } finally {
      await fsp.rm(snapshotDir, { recursive: true, force: true });
    }
    checkCancel();

    progress.phase = 'finishing';
    report(true);
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const manifest: BackupManifest = {
      format: 'vigil-backup/1',
      id: backupId,
      jobId,
      startedAt: header.startedAt,
      finishedAt: Date.now(),
      ...(previous ? { previousId: previous.id } : {}),
      files,
      totalBytes: files.reduce((a, f) => a + f.size, 0),
    };
    await putBuffer(target, manifestKey(backupId), Buffer.from(JSON.stringify(manifest)));
    await journal.close();
    await fsp.rm(journalFile, { force: true });
    record.backupId = backupId;
    record.state = errors.length ? 'failed' : 'succeeded';
    if (errors.length) errors.unshift(`${errors.length} file(s) could not be backed up; the others were`);
    record.finishedAt = Date.now();
    return record;
  } catch (err) {
    await journal.close().catch(() => {});
    record.finishedAt = Date.now();
    if (err instanceof BackupCancelledError) {
      record.state = 'cancelled';
      errors.push('cancelled; the next run carries on where this one stopped');
    } else {
      record.state = 'failed';
      errors.push(describeTargetError(err, target));
    }
    return record;
  }
}

/** Words for a target failure that tell what to check. */
export function describeTargetError(err: unknown, target: BackupTarget): string {
  const e = err as NodeJS.ErrnoException & { name?: string };
  const msg = e instanceof Error ? e.message : String(err);
  if (e.code === 'ENOSPC') return `the backup target ${target.location} is full`;
  if (e.code === 'EACCES' || e.code === 'EPERM') return `no permission to write to ${target.location}`;
  if (e.code === 'ECONNREFUSED')
    return `the backup target ${target.location} refused the connection (is it running?)`;
  if (e.name === 'NoSuchBucket') return `the bucket of ${target.location} does not exist`;
  if (e.name === 'InvalidAccessKeyId' || e.name === 'SignatureDoesNotMatch')
    return `${target.location} rejected the credentials; check the access key environment variables`;
  return `backup to ${target.location} failed: ${msg}`;
}

/** Fails a download that brings more bytes than the manifest declared (a hostile target could send endless data). */
class SizeLimitTransform extends Transform {
  #bytes = 0;
  constructor(readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#bytes += chunk.length;
    if (this.#bytes > this.limit) done(new OversizeObjectError());
    else done(null, chunk);
  }
}
class OversizeObjectError extends Error {}

/** Streams one backed-up file, checking size and SHA-256; writes it to `dest` when given. */
async function checkObject(
  target: BackupTarget,
  f: BackupManifestFile,
  dest?: string,
  signal?: AbortSignal,
): Promise<'ok' | 'missing' | 'corrupt'> {
  let body;
  try {
    body = await target.get(f.object, signal);
  } catch (err) {
    if (err instanceof TargetNotFoundError) return 'missing';
    throw err;
  }
  const hasher = new HashingTransform();
  const limit = new SizeLimitTransform(f.size);
  try {
    if (dest) {
      await fsp.mkdir(path.dirname(dest), { recursive: true });
      await pipeline(body, limit, hasher, fs.createWriteStream(dest, { flags: 'wx' }), { signal });
    } else {
      await pipeline(
        body,
        limit,
        hasher,
        async (src: AsyncIterable<unknown>) => {
          for await (const _ of src) void _;
        },
        { signal },
      );
    }
  } catch (err) {
    if (err instanceof OversizeObjectError) return 'corrupt';
    throw err;
  }
  return hasher.bytes === f.size && hasher.digest() === f.sha256 ? 'ok' : 'corrupt';
}

/** Checks the files of a manifest already read (and checked); writes them under `stagingDir` when given. */
async function verifyFiles(
  target: BackupTarget,
  manifest: BackupManifest,
  options: { signal?: AbortSignal; stagingDir?: string; only?: (f: BackupManifestFile) => boolean },
): Promise<BackupVerifyReport> {
  const report: BackupVerifyReport = {
    backupId: manifest.id,
    ok: true,
    filesChecked: 0,
    missing: [],
    corrupt: [],
  };
  for (const f of manifest.files) {
    if (options.only && !options.only(f)) continue;
    const dest = options.stagingDir ? path.join(options.stagingDir, ...f.path.split('/')) : undefined;
    const r = await checkObject(target, f, dest, options.signal);
    report.filesChecked++;
    if (r === 'missing') report.missing.push(f.path);
    if (r === 'corrupt') report.corrupt.push(f.path);
  }
  report.ok = report.missing.length === 0 && report.corrupt.length === 0;
  return report;
}

/** Reads every file of a backup and compares it with the manifest; names the missing and corrupt ones. */
export async function verifyBackup(
  target: BackupTarget,
  backupId: string,
  options: { signal?: AbortSignal; only?: (f: BackupManifestFile) => boolean } = {},
): Promise<BackupVerifyReport> {
  const manifest = await readManifest(target, backupId);
  return { ...(await verifyFiles(target, manifest, options)), backupId };
}

/**
 * A table, index or trigger name as SQLite stores it in a schema: plain or quoted (full-text shadow tables are
 * 'single-quoted'), in the main schema only.
 */
const NAME = String.raw`(?:main\.)?(?:"(?:[^"]|"")+"|'(?:[^']|'')+'|\[[^\]]+\]|\x60[^\x60]+\x60|[\w$]+)`;
const SCHEMA_STATEMENT = {
  // A column list or a full-text module: never "AS SELECT" (SQLite stores such a table by its columns, so only a
  // crafted file holds one, and its query could run for ever).
  table: new RegExp(
    String.raw`^\s*CREATE\s+(?:TABLE\s+${NAME}\s*\(|VIRTUAL\s+TABLE\s+${NAME}\s+USING\s+fts[345]\s*\()`,
    'i',
  ),
  index: new RegExp(String.raw`^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+${NAME}\s+ON\s+${NAME}\s*\(`, 'i'),
  trigger: new RegExp(String.raw`^\s*CREATE\s+TRIGGER\s+${NAME}\s`, 'i'),
};

/**
 * Runs one CREATE statement taken from a backed-up database's schema. The schema text of a crafted database file
 * can say anything (a second statement, an ATTACH that creates a file elsewhere): only a single statement of the
 * expected kind is run; prepare() refuses more than one statement.
 */
function runSchemaStatement(db: Database.Database, sql: string, kind: keyof typeof SCHEMA_STATEMENT): void {
  if (!SCHEMA_STATEMENT[kind].test(sql))
    throw new UnsafeManifestError(
      `the backed-up database holds a ${kind} definition that is not a plain CREATE statement of its kind`,
    );
  db.prepare(sql).run();
}

/**
 * Replays the schema of a backed-up database in an empty in-memory database, refusing definitions that are not a
 * single CREATE statement of their kind (what mergeDatabase would run). Other replay errors do not matter here.
 */
function checkBackedUpSchema(file: string, entry: string): void {
  let rows: { type: string; name: string; sql: string }[];
  try {
    const bak = new Database(file, { readonly: true, fileMustExist: true });
    try {
      rows = bak
        .prepare(
          "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'",
        )
        .all() as typeof rows;
    } finally {
      bak.close();
    }
  } catch (err) {
    throw new UnsafeManifestError(
      `"${entry}" is not a readable SQLite database: ${(err as Error).message}`,
      entry,
    );
  }
  const scratch = new Database(':memory:');
  try {
    for (const kind of ['table', 'index', 'trigger'] as const) {
      for (const r of rows.filter((x) => x.type === kind)) {
        try {
          runSchemaStatement(scratch, r.sql, kind);
        } catch (err) {
          if (err instanceof UnsafeManifestError || /more than one statement/.test((err as Error).message))
            throw new UnsafeManifestError(
              `"${entry}" was refused: the definition of ${kind} "${r.name}" ${
                err instanceof UnsafeManifestError
                  ? 'is not a plain CREATE statement of its kind'
                  : 'holds more than one statement'
              }`,
              entry,
            );
        }
      }
    }
  } finally {
    scratch.close();
  }
}

/**
 * Merges the rows of a backed-up database into an existing one; rows already there (newer data) win.
 *
 * Tables numbered by an INTEGER PRIMARY KEY take the backup's rows under new numbers: both installations counted
 * from 1, so equal numbers say nothing about equal rows. A row already present is recognised by the table's unique
 * columns (else by all its values). References to renumbered rows (foreign keys, and the rowids of a full-text
 * table named `<table>_fts`) are translated to the new numbers.
 */
function mergeDatabase(existing: string, backup: string, rebuild?: FullTextRebuild): void {
  const db = new Database(existing);
  const quote = (n: string): string => `"${n.replace(/"/g, '""')}"`;
  try {
    db.pragma('busy_timeout = 10000');
    db.prepare('ATTACH DATABASE ? AS bak').run(backup);
    const objects = db
      .prepare(
        "SELECT type, name, tbl_name, sql FROM bak.sqlite_master WHERE name NOT LIKE 'sqlite_%' AND sql IS NOT NULL",
      )
      .all() as { type: string; name: string; tbl_name: string; sql: string }[];
    const have = new Set(
      (db.prepare('SELECT name FROM main.sqlite_master').all() as { name: string }[]).map((r) => r.name),
    );
    const tables = objects.filter((o) => o.type === 'table');
    const virtual = tables.filter((t) => /^CREATE\s+VIRTUAL/i.test(t.sql)).map((t) => t.name);
    // Shadow tables of full-text indexes (events_fts_data …) belong to their virtual table.
    const isShadow = (name: string): boolean => virtual.some((v) => name.startsWith(`${v}_`));
    const mapped = new Map<string, string>(); // table → temp map table (old rowid → new rowid, fresh)

    db.transaction(() => {
      for (const t of tables) {
        if (virtual.includes(t.name) || isShadow(t.name)) continue;
        if (!have.has(t.name)) runSchemaStatement(db, t.sql, 'table');
        const q = quote(t.name);
        const info = db.prepare(`PRAGMA main.table_info(${q})`).all() as {
          name: string;
          type: string;
          pk: number;
        }[];
        const bakCols = new Set(
          (db.prepare(`PRAGMA bak.table_info(${q})`).all() as { name: string }[]).map((c) => c.name),
        );
        const pkCols = info.filter((c) => c.pk > 0);
        const rowNumber =
          pkCols.length === 1 && /^INTEGER$/i.test(pkCols[0]?.type ?? '') ? pkCols[0]?.name : undefined;
        const cols = info.map((c) => c.name).filter((c) => bakCols.has(c) && c !== rowNumber);
        if (!cols.length) continue;
        // Values, with references to renumbered parents translated.
        const fks = db.prepare(`PRAGMA bak.foreign_key_list(${q})`).all() as {
          table: string;
          from: string;
        }[];
        const expr = (c: string): string => {
          const fk = fks.find((f) => f.from === c && mapped.has(f.table));
          return fk
            ? `(SELECT new FROM temp.${quote(mapped.get(fk.table) as string)} WHERE old = b.${quote(c)})`
            : `b.${quote(c)}`;
        };
        const list = cols.map(quote).join(', ');
        const values = cols.map(expr).join(', ');
        const uniqueIndex = (
          db.prepare(`PRAGMA main.index_list(${q})`).all() as {
            name: string;
            unique: number;
            origin: string;
          }[]
        ).find((i) => i.unique && i.origin !== 'pk');
        const uniqueCols = uniqueIndex
          ? (
              db.prepare(`PRAGMA main.index_info(${quote(uniqueIndex.name)})`).all() as { name: string }[]
            ).map((c) => c.name)
          : [];
        const matchCols = uniqueCols.length ? uniqueCols : cols;
        const same = matchCols.map((c) => `m.${quote(c)} IS b.${quote(c)}`).join(' AND ');
        let freshTable: string | undefined;
        if (rowNumber) {
          freshTable = `vigil_fresh_${mapped.size}`;
          db.exec(
            `CREATE TEMP TABLE ${quote(freshTable)} AS SELECT b.${quote(rowNumber)} AS old FROM bak.${q} b WHERE NOT EXISTS (SELECT 1 FROM main.${q} m WHERE ${same})`,
          );
        }
        if (!rowNumber || uniqueCols.length) {
          db.exec(`INSERT OR IGNORE INTO main.${q} (${list}) SELECT ${values} FROM bak.${q} b`);
        } else {
          db.exec(
            `INSERT INTO main.${q} (${list}) SELECT ${values} FROM bak.${q} b WHERE NOT EXISTS (SELECT 1 FROM main.${q} m WHERE ${same})`,
          );
        }
        if (rowNumber && freshTable) {
          const map = `vigil_map_${mapped.size}`;
          db.exec(
            `CREATE TEMP TABLE ${quote(map)} AS SELECT b.${quote(rowNumber)} AS old, (SELECT m.${quote(rowNumber)} FROM main.${q} m WHERE ${same} LIMIT 1) AS new, b.${quote(rowNumber)} IN (SELECT old FROM temp.${quote(freshTable)}) AS fresh FROM bak.${q} b`,
          );
          db.exec(`CREATE INDEX temp.${quote(`${map}_old`)} ON ${quote(map)} (old)`);
          mapped.set(t.name, map);
        }
      }
      // Full-text rows of the rows just added, under their new numbers.
      for (const v of virtual) {
        const parent = v.replace(/_fts$/, '');
        const map = mapped.get(parent);
        const def = tables.find((t) => t.name === v);
        if (!map || parent === v || !def) continue;
        if (!have.has(v)) runSchemaStatement(db, def.sql, 'table');
        if (/content\s*=\s*''/i.test(def.sql)) {
          // A contentless index cannot be read back: its owner rebuilds the text of the rows just added.
          // Called even when no row is new: rows merged into existing ones may change what the owner derives.
          const rowids = (
            db.prepare(`SELECT new FROM temp.${quote(map)} WHERE fresh AND new IS NOT NULL`).all() as {
              new: number;
            }[]
          ).map((r) => r.new);
          rebuild?.(db, v, parent, rowids);
          continue;
        }
        const cols = (db.prepare(`PRAGMA bak.table_info(${quote(v)})`).all() as { name: string }[]).map((c) =>
          quote(c.name),
        );
        db.exec(
          `INSERT INTO main.${quote(v)} (rowid, ${cols.join(', ')}) SELECT m.new, ${cols.map((c) => `b.${c}`).join(', ')} FROM bak.${quote(v)} b JOIN temp.${quote(map)} m ON m.old = b.rowid WHERE m.fresh AND m.new IS NOT NULL`,
        );
      }
      // Indices and triggers come only with the tables they belong to: a table the installation already has keeps
      // its own schema, which may be newer than the backup's (a trigger a later version dropped stays dropped).
      for (const o of objects.filter((x) => x.type === 'index' || x.type === 'trigger')) {
        if (have.has(o.name) || have.has(o.tbl_name)) continue;
        try {
          runSchemaStatement(db, o.sql, o.type as 'index' | 'trigger');
        } catch {
          /* an index or trigger of a table that was skipped */
        }
      }
    })();
    db.exec('DETACH DATABASE bak');
  } finally {
    db.close();
  }
}

/**
 * Refills a contentless full-text table for rows a restore added to its parent table (their new rowids; possibly
 * none), inside the restore's transaction, along with anything else the owner derives from those rows. Supplied
 * by the owner of the database, who knows what text it indexes.
 */
export type FullTextRebuild = (
  db: Database.Database,
  ftsTable: string,
  parentTable: string,
  rowids: number[],
) => void;

export interface RestoreOptions {
  fullTextRebuild?: FullTextRebuild;
  metadata?: boolean;
  recordings?: boolean;
  signal?: AbortSignal;
  /** Databases (relative to the data folder) a restore may merge into; default KNOWN_DATABASES. */
  databases?: readonly string[];
}

/**
 * Restores a backup into a data folder (empty or in use). The manifest is checked first (every destination inside
 * the data folder, through no symbolic link, databases only the installation's own, sizes that fit on the disk):
 * a manifest that fails is refused as a whole with UnsafeManifestError before anything is written. Then every file
 * is downloaded and checked against the manifest; when any is missing or corrupt nothing is written. Footage
 * already present is kept; databases that exist are merged row by row, existing rows winning, so newer data is
 * never overwritten.
 */
export async function restoreBackup(
  target: BackupTarget,
  backupId: string,
  dataDir: string,
  options: RestoreOptions = {},
): Promise<BackupRestoreReport> {
  // One read of the manifest serves both the checks and the restore: a target cannot swap it in between.
  const manifest = await readManifest(target, backupId, options.databases ?? KNOWN_DATABASES);
  const only = (f: BackupManifestFile): boolean =>
    f.kind === 'database' ? options.metadata !== false : options.recordings !== false;
  const chosen = manifest.files.filter(only);
  let root: string;
  try {
    root = await checkDestinations(chosen, dataDir);
  } catch (err) {
    if (err instanceof UnsafeManifestError)
      throw new UnsafeManifestError(`backup ${backupId} on ${target.location}: ${err.message}`, err.entry);
    throw err;
  }
  const stagingRoot = path.join(root, '.restore-staging');
  const staging = path.join(stagingRoot, randomBytes(4).toString('hex'));
  if ((await fsp.lstat(stagingRoot).catch(() => undefined))?.isSymbolicLink())
    throw new UnsafeManifestError(`${stagingRoot} is a symbolic link; nothing was restored`);
  await fsp.mkdir(staging, { recursive: true });
  try {
    if (!isInside(root, await fsp.realpath(staging)))
      throw new UnsafeManifestError(
        `${stagingRoot} leads out of the data folder (a symbolic link?); nothing was restored`,
      );
    const verify = {
      ...(await verifyFiles(target, manifest, { stagingDir: staging, signal: options.signal, only })),
      backupId,
    };
    const report = {
      backupId,
      ok: verify.ok,
      verify,
      restoredFiles: 0,
      keptExisting: 0,
      mergedDatabases: [] as string[],
      message: '',
    };
    if (!verify.ok) {
      const named = [
        ...verify.corrupt.map((p) => `${p} (corrupt)`),
        ...verify.missing.map((p) => `${p} (missing)`),
      ];
      report.message = `Nothing was restored: ${named.length} file(s) of backup ${backupId} failed verification: ${named.join(', ')}`;
      return report;
    }
    // A crafted database is refused here, before the first file is moved into place.
    for (const f of chosen.filter((x) => x.kind === 'database'))
      checkBackedUpSchema(path.join(staging, ...f.path.split('/')), f.path);
    for (const f of chosen) {
      const staged = path.join(staging, ...f.path.split('/'));
      const dest = path.join(root, ...f.path.split('/'));
      await fsp.mkdir(path.dirname(dest), { recursive: true });
      // Checked again just before the write: a link planted since the checks above must not be followed.
      if (!isInside(root, await fsp.realpath(path.dirname(dest))))
        throw new UnsafeManifestError(`the folder of "${f.path}" now leads out of the data folder`, f.path);
      const st = await fsp.lstat(dest).catch(() => undefined);
      if (st && !st.isFile())
        throw new UnsafeManifestError(`"${f.path}" in the data folder is not a regular file`, f.path);
      if (f.kind === 'database' && st) {
        mergeDatabase(dest, staged, options.fullTextRebuild);
        report.mergedDatabases.push(f.path);
        report.restoredFiles++;
      } else if (st) {
        report.keptExisting++;
      } else {
        await fsp.rename(staged, dest);
        report.restoredFiles++;
      }
    }
    report.message = `Restored ${report.restoredFiles} file(s) from backup ${backupId}; kept ${report.keptExisting} already present${report.mergedDatabases.length ? `; merged ${report.mergedDatabases.join(', ')}` : ''}.`;
    log.info({ backupId, restored: report.restoredFiles, kept: report.keptExisting }, 'backup restored');
    return report;
  } finally {
    await fsp.rm(stagingRoot, { recursive: true, force: true });
  }
}

/** How many of a job's backups stay on its target. */
export interface BackupRetention {
  /** The last N backups of the job, whatever their age. */
  keepLast: number;
  /** And the newest backup of each of the last N days that have one. */
  keepDaily: number;
  /** And the newest backup of each of the last N weeks that have one. */
  keepWeekly: number;
}

/**
 * Backup retention of one job: keeps its last `keepLast` backups, the newest of each of the last `keepDaily` days
 * and of each of the last `keepWeekly` weeks, and every backup in `protect` (the one just made, the newest one that
 * verified); deletes the job's other manifests, then the objects no remaining backup (of any job) refers to.
 * Backups of other jobs, and manifests that cannot be read, are never touched.
 */
export async function applyRetention(
  target: BackupTarget,
  retention: BackupRetention,
  scope: { jobId: string; protect?: Iterable<string> },
): Promise<{ deletedBackups: string[]; deletedObjects: number }> {
  const ids = await listBackupIds(target);
  const read = await Promise.allSettled(ids.map((id) => readManifest(target, id)));
  const all = read.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const unreadable = read.length - all.length;
  const newestFirst = all.filter((m) => m.jobId === scope.jobId).sort((a, b) => b.finishedAt - a.finishedAt);
  const keep = new Set<string>(scope.protect ?? []);
  const days = new Set<string>();
  const weeks = new Set<string>();
  for (const [i, m] of newestFirst.entries()) {
    if (i < retention.keepLast) keep.add(m.id);
    const d = new Date(m.finishedAt);
    const day = `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
    const monday = new Date(d.getFullYear(), d.getMonth(), d.getDate() - ((d.getDay() + 6) % 7));
    const week = monday.toDateString();
    if (!days.has(day) && days.size < retention.keepDaily) {
      days.add(day);
      keep.add(m.id);
    }
    if (!weeks.has(week) && weeks.size < retention.keepWeekly) {
      weeks.add(week);
      keep.add(m.id);
    }
  }
  if (newestFirst[0]) keep.add(newestFirst[0].id);
  const deletedBackups = newestFirst.filter((m) => !keep.has(m.id)).map((m) => m.id);
  for (const id of deletedBackups) await target.delete(manifestKey(id));
  const gone = new Set(deletedBackups);
  const referenced = new Set(all.filter((m) => !gone.has(m.id)).flatMap((m) => m.files.map((f) => f.object)));
  let deletedObjects = 0;
  // An unreadable manifest may still refer to objects: then no object is deleted, only the manifests.
  if (deletedBackups.length && unreadable === 0) {
    for (const prefix of ['files/', 'db/']) {
      for await (const o of target.list(prefix)) {
        if (!referenced.has(o.key)) {
          await target.delete(o.key);
          deletedObjects++;
        }
      }
    }
  }
  return { deletedBackups, deletedObjects };
}
