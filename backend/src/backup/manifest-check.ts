import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { BackupManifest, BackupManifestFile } from '../contract/backup.js';

/**
 * A backup target is storage someone else may control (a shared NAS, a bucket with leaked keys), so a manifest read
 * from it is untrusted input. These checks run before a restore writes anything: every destination must stay inside
 * its own folder, database entries may only name the installation's databases, and the sizes must fit on the disk.
 */

/** Folders of the data folder that backups never contain: a manifest naming them is not one Vigil wrote. */
export const RESERVED_DIRS = ['backup-state', 'exports', '.restore-staging', 'recordings-staging'] as const;
/**
 * The databases a restore may merge into, relative to the data folder (the event store, the recording index, the
 * audit log, people, shift handovers, and the appearance descriptors of events).
 */
export const KNOWN_DATABASES = [
  'events.db',
  'recordings.sqlite',
  'audit.db',
  'people.db',
  'handovers.db',
  'appearance.db',
] as const;

const DB_EXT = /\.(db|sqlite|sqlite3)$/i;
const DB_SIDE_FILE = /\.(db|sqlite|sqlite3)-(wal|shm|journal)$/i;
const MAX_FILES = 2_000_000;
const MAX_PATH = 1024;
const MAX_KEY = 2048;

/** A manifest (or one of its entries) that a restore refuses; nothing has been written when it is raised. */
export class UnsafeManifestError extends Error {
  constructor(
    message: string,
    /** The entry's path as the manifest spells it, when one entry is at fault. */
    readonly entry?: string,
  ) {
    super(message);
    this.name = 'UnsafeManifestError';
  }
}

const ManifestFile = z.object({
  path: z.string().min(1).max(MAX_PATH),
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 hexadecimal digits'),
  mtimeMs: z.number().finite(),
  kind: z.enum(['database', 'recording']),
  object: z.string().min(1).max(MAX_KEY),
  sourceStamp: z.string().max(200).optional(),
});

const Manifest = z.object({
  format: z.literal('vigil-backup/1'),
  id: z.string().min(1).max(200),
  jobId: z.string().max(200),
  startedAt: z.number().finite(),
  finishedAt: z.number().finite(),
  previousId: z.string().max(200).optional(),
  files: z.array(z.unknown()).max(MAX_FILES),
  totalBytes: z.number().nonnegative(),
});

/** Shows a manifest's path in a message without letting control characters through. */
function shown(p: string): string {
  return JSON.stringify(p.length > 200 ? `${p.slice(0, 200)}…` : p);
}

/** Why a relative path may not be restored, or undefined when it is a clean relative path. */
function pathProblem(p: string): string | undefined {
  if (p.includes('\0')) return 'it contains a NUL character';
  // eslint-disable-next-line no-control-regex
  if (/[\x01-\x1f\x7f]/.test(p)) return 'it contains control characters';
  if (p.includes('\\')) return 'it contains a backslash (paths in a backup use "/")';
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) return 'it is an absolute path';
  const parts = p.split('/');
  if (parts.includes('..')) return 'it climbs out of its folder with ".."';
  if (parts.some((s) => s === '' || s === '.')) return 'it has empty or "." segments';
  return undefined;
}

/** Whether a target object key is one Vigil writes: relative, no dot segments, under files/ or db/. */
function keyProblem(key: string, kind: BackupManifestFile['kind']): string | undefined {
  const p = pathProblem(key);
  if (p) return `its object key ${shown(key)} is not valid: ${p}`;
  const prefix = kind === 'database' ? 'db/' : 'files/';
  if (!key.startsWith(prefix)) return `its object key ${shown(key)} does not start with "${prefix}"`;
  return undefined;
}

/** Why an entry's path may not be restored (without looking at the disk), or undefined. */
function entryPathProblem(
  p: string,
  kind: BackupManifestFile['kind'],
  known?: ReadonlySet<string>,
): string | undefined {
  const problem = pathProblem(p);
  if (problem) return `${problem}; every file must stay inside the data folder`;
  const first = p.split('/')[0] ?? '';
  if ((RESERVED_DIRS as readonly string[]).includes(first))
    return `"${first}" holds the installation's own state and is never part of a backup`;
  const base = path.posix.basename(p);
  if (base.endsWith('.partial')) return 'unfinished ".partial" files are never part of a backup';
  if (kind === 'database') {
    if (!DB_EXT.test(base)) return 'a database entry must name a .db, .sqlite or .sqlite3 file';
    if (known && !known.has(p))
      return `a database may only restore into ${[...known].join(' or ')} (this one names another file)`;
  } else if (DB_EXT.test(base) || DB_SIDE_FILE.test(base)) {
    return 'a database file listed as footage (databases are only merged, never copied in)';
  }
  return undefined;
}

/**
 * Files of a data folder that a restore would refuse (a backslash or control character in the name, names that
 * differ only in case …), with the reason: a backup leaves them out, so that every backup it writes can be restored.
 */
export function unrestorablePaths(
  files: readonly { path: string; kind: BackupManifestFile['kind'] }[],
): Map<string, string> {
  const out = new Map<string, string>();
  const seen = new Map<string, string>();
  const folders = new Set<string>();
  for (const f of files) {
    const problem = entryPathProblem(f.path, f.kind);
    const folded = f.path.toLowerCase();
    const twin = seen.get(folded);
    if (problem) out.set(f.path, problem);
    else if (twin !== undefined) out.set(f.path, `its name differs only in case from ${shown(twin)}`);
    else {
      seen.set(folded, f.path);
      const parts = folded.split('/');
      for (let n = 1; n < parts.length; n++) folders.add(parts.slice(0, n).join('/'));
    }
  }
  for (const f of files)
    if (!out.has(f.path) && folders.has(f.path.toLowerCase()))
      out.set(f.path, 'a folder of the same name (differing only in case) exists');
  return out;
}

/**
 * Parses a manifest read from a target and checks what can be checked without the disk: its shape, every path
 * relative and clean, object keys of the right kind, databases only the known ones (when `databases` is given: a
 * restore always gives them), no path twice (also not differing
 * only in case, which collide on case-insensitive disks), no file where another entry needs a folder.
 */
export function parseManifest(raw: unknown, databases?: readonly string[]): BackupManifest {
  const top = Manifest.safeParse(raw);
  if (!top.success) {
    const issue = top.error.issues[0];
    throw new UnsafeManifestError(
      `the manifest is not a valid Vigil backup manifest (${issue?.path.join('.') || 'manifest'}: ${issue?.message})`,
    );
  }
  const known = databases ? new Set(databases) : undefined;
  const files: BackupManifestFile[] = [];
  const seen = new Map<string, string>();
  const folders = new Set<string>();
  for (const [i, entry] of top.data.files.entries()) {
    const label = (p: unknown): string => (typeof p === 'string' ? `entry ${shown(p)}` : `entry ${i + 1}`);
    const parsed = ManifestFile.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const p = (entry as { path?: unknown } | null)?.path;
      throw new UnsafeManifestError(
        `${label(p)} of the manifest is not valid (${issue?.path.join('.') || 'entry'}: ${issue?.message})`,
        typeof p === 'string' ? p : undefined,
      );
    }
    const f = parsed.data as BackupManifestFile;
    const refuse = (why: string): never => {
      throw new UnsafeManifestError(`${label(f.path)} of the manifest was refused: ${why}`, f.path);
    };
    const problem = entryPathProblem(f.path, f.kind, known);
    if (problem) refuse(problem);
    const keyIssue = keyProblem(f.object, f.kind);
    if (keyIssue) refuse(keyIssue);
    const folded = f.path.toLowerCase();
    const twin = seen.get(folded);
    if (twin !== undefined)
      refuse(twin === f.path ? 'the path is listed twice' : `it differs only in case from ${shown(twin)}`);
    seen.set(folded, f.path);
    const parts = folded.split('/');
    for (let n = 1; n < parts.length; n++) folders.add(parts.slice(0, n).join('/'));
    files.push(f);
  }
  for (const f of files) {
    if (folders.has(f.path.toLowerCase()))
      throw new UnsafeManifestError(
        `entry ${shown(f.path)} of the manifest was refused: another entry needs a folder of that name`,
        f.path,
      );
  }
  return { ...top.data, files };
}

/** True when `child` is `root` or below it. */
export function isInside(root: string, child: string): boolean {
  const rel = path.relative(root, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Checks every destination of a restore against the disk: no existing parent may be a symbolic link or a file,
 * an existing destination must be a regular file, and the declared sizes must fit in the free space (every file is
 * staged inside the data folder before anything is moved into place). Returns the data folder's real path.
 */
export async function checkDestinations(files: BackupManifestFile[], dataDir: string): Promise<string> {
  await fsp.mkdir(dataDir, { recursive: true });
  const root = await fsp.realpath(dataDir);
  const kinds = new Map<string, 'dir' | 'file' | 'link' | 'other' | 'absent'>();
  const kindOf = (rel: string): 'dir' | 'file' | 'link' | 'other' | 'absent' => {
    let k = kinds.get(rel);
    if (k) return k;
    try {
      const st = fs.lstatSync(path.join(root, ...rel.split('/')));
      k = st.isSymbolicLink() ? 'link' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
    } catch {
      k = 'absent';
    }
    kinds.set(rel, k);
    return k;
  };
  let total = 0;
  for (const f of files) {
    total += f.size;
    const parts = f.path.split('/');
    for (let n = 1; n <= parts.length; n++) {
      const rel = parts.slice(0, n).join('/');
      const k = kindOf(rel);
      if (k === 'absent') break;
      const last = n === parts.length;
      const refuse = (why: string): never => {
        throw new UnsafeManifestError(`entry ${shown(f.path)} of the manifest was refused: ${why}`, f.path);
      };
      if (k === 'link')
        refuse(`${shown(rel)} in the data folder is a symbolic link; a restore never writes through one`);
      if (!last && k !== 'dir') refuse(`${shown(rel)} in the data folder is not a folder`);
      if (last && k !== 'file') refuse(`${shown(rel)} in the data folder exists and is not a regular file`);
    }
  }
  const fsStat = await fsp.statfs(root).catch(() => undefined);
  if (fsStat) {
    const free = Number(fsStat.bavail) * Number(fsStat.bsize);
    if (total > free)
      throw new UnsafeManifestError(
        `the backup declares ${formatBytes(total)} but the data folder's disk has ${formatBytes(free)} free; ` +
          'nothing was restored',
      );
  }
  return root;
}

function formatBytes(n: number): string {
  if (n >= 1e12) return `${(n / 1e12).toFixed(1)} TB`;
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  return `${n} bytes`;
}

/**
 * The databases of an installation, relative to its data folder: the recording index and the event store (its
 * configured file when that lies inside the data folder, else the default one).
 */
export function installationDatabases(dataDir: string, eventStoreFile = ''): string[] {
  const store = eventStoreFile ? path.resolve(dataDir, eventStoreFile) : path.join(dataDir, 'events.db');
  const rel = path.relative(dataDir, store).split(path.sep).join('/');
  const dbs: string[] = [...KNOWN_DATABASES];
  if (isInside(dataDir, store) && !dbs.includes(rel)) dbs.push(rel);
  return dbs;
}
