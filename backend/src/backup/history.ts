import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { BackupRunRecord, BackupVerifyReport } from '../contract/backup.js';
import { BACKUP_STATE_DIR } from './engine.js';

/** Records kept in the history (newest first). */
export const HISTORY_LIMIT = 500;

/** The history file of an installation: runs, verifies and restores, also those of `vigil restore`. */
export function historyFile(dataDir: string): string {
  return path.join(dataDir, BACKUP_STATE_DIR, 'history.json');
}

export async function readHistory(file: string): Promise<BackupRunRecord[]> {
  try {
    const raw = JSON.parse(await fsp.readFile(file, 'utf8')) as unknown;
    return Array.isArray(raw) ? (raw as BackupRunRecord[]) : [];
  } catch {
    return [];
  }
}

/** Writes the history (cut to HISTORY_LIMIT) through a temporary file, so a crash never leaves half of it. */
export async function writeHistory(file: string, records: BackupRunRecord[]): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await fsp.writeFile(tmp, JSON.stringify(records.slice(0, HISTORY_LIMIT)));
  await fsp.rename(tmp, file);
}

/** Adds one record to the history file (a restore from the command line, while the backend is stopped). */
export async function appendHistory(dataDir: string, record: BackupRunRecord): Promise<void> {
  const file = historyFile(dataDir);
  await writeHistory(file, [record, ...(await readHistory(file))]);
}

/** A verify or restore as a history record. */
export function checkRecord(c: {
  kind: 'verify' | 'restore';
  jobId: string;
  targetId: string;
  backupId: string;
  ok: boolean;
  startedAt: number;
  summary?: string;
  errors: string[];
}): BackupRunRecord {
  return {
    runId: randomBytes(6).toString('hex'),
    kind: c.kind,
    jobId: c.jobId,
    targetId: c.targetId,
    backupId: c.backupId,
    state: c.ok ? 'succeeded' : 'failed',
    startedAt: c.startedAt,
    finishedAt: Date.now(),
    filesUploaded: 0,
    filesSkipped: 0,
    bytesUploaded: 0,
    errors: c.errors,
    ...(c.summary ? { summary: c.summary } : {}),
  };
}

/** A verification in words for the history. */
export function verifyOutcome(r: BackupVerifyReport): { ok: boolean; summary: string; errors: string[] } {
  if (r.ok)
    return {
      ok: true,
      summary: `${r.filesChecked} file${r.filesChecked === 1 ? '' : 's'} checked, all intact`,
      errors: [],
    };
  const list = (what: string, paths: string[]) =>
    paths.length ? [`${what}: ${paths.slice(0, 10).join(', ')}${paths.length > 10 ? ' …' : ''}`] : [];
  return {
    ok: false,
    summary: `${r.missing.length} missing and ${r.corrupt.length} damaged of ${r.filesChecked} files`,
    errors: [...list('missing', r.missing), ...list('damaged', r.corrupt)],
  };
}
