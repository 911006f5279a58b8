import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { BackupTargetConfig, type BackupConfig } from '../contract/config/backup.js';
import type { ServerConfig } from '../contract/config/server.js';
import { BACKUP_STATE_DIR, listBackupIds, readManifest, restoreBackup, verifyBackup } from './engine.js';
import type { FullTextRebuild } from './engine.js';
import { appendHistory, checkRecord, historyFile, verifyOutcome } from './history.js';
import { KNOWN_DATABASES, UnsafeManifestError } from './manifest-check.js';
import { InvalidObjectKeyError, type BackupTarget } from './target.js';
import { createTarget } from './targets/index.js';

export interface OfflineRestoreOptions {
  config: BackupConfig;
  server: ServerConfig;
  dataDir: string;
  targetId: string;
  /** A backup id, or "latest"; absent: list the target's backups. */
  backupId?: string;
  /** Only check the backup against its manifest; write nothing. */
  verifyOnly?: boolean;
  /** Restore although the installation's port answers (it may be another program). */
  force?: boolean;
  fullTextRebuild?: FullTextRebuild;
  /** Databases (relative to the data folder) a restore may merge into; default KNOWN_DATABASES. */
  databases?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Where the lines for the person at the terminal go. */
  print: (line: string) => void;
}

/** Targets of the config file plus those added on the Backup page (kept in the data folder). */
async function knownTargets(config: BackupConfig, dataDir: string): Promise<BackupTargetConfig[]> {
  const targets = [...config.targets];
  try {
    const file = path.join(dataDir, BACKUP_STATE_DIR, 'settings.json');
    const raw = JSON.parse(await fsp.readFile(file, 'utf8')) as { targets?: unknown[] };
    for (const t of raw.targets ?? []) {
      const r = BackupTargetConfig.safeParse(t);
      if (r.success) targets.push(r.data);
    }
  } catch {
    // No targets added in the UI.
  }
  return targets;
}

/** True when something accepts connections on the installation's API port. */
function portAnswers(host: string, port: number): Promise<boolean> {
  if (port === 0) return Promise.resolve(false);
  return new Promise((resolve) => {
    const socket = net.connect({ host: host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host, port });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * `vigil restore`: restores a backup into a stopped installation from the command line. Every file is checked
 * against the manifest first and nothing is written when any is missing or corrupt, or when the manifest is refused
 * (a path leaving the data folder …). Returns the exit code: 0 done, 1 verification failed or manifest refused,
 * 2 bad arguments, 75 the installation is running.
 */
export async function offlineRestore(o: OfflineRestoreOptions): Promise<number> {
  const targets = await knownTargets(o.config, o.dataDir);
  const config = targets.find((t) => t.id === o.targetId);
  if (!config) {
    o.print(
      targets.length
        ? `No backup target "${o.targetId}". Known targets: ${targets.map((t) => t.id).join(', ')}.`
        : `No backup target "${o.targetId}": this installation has no backup targets.`,
    );
    return 2;
  }
  let target;
  try {
    target = createTarget(config, o.env);
  } catch (err) {
    o.print((err as Error).message);
    return 2;
  }
  try {
    return await restoreFromTarget(o, target);
  } catch (err) {
    if (err instanceof UnsafeManifestError || err instanceof InvalidObjectKeyError) {
      o.print(`Nothing was restored: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    await target.dispose();
  }
}

async function restoreFromTarget(o: OfflineRestoreOptions, target: BackupTarget): Promise<number> {
  const ids = await listBackupIds(target);
  if (!o.backupId) {
    o.print(
      ids.length
        ? `Backups on ${target.location} (oldest first):\n${ids.map((id) => `  ${id}`).join('\n')}`
        : `There are no backups on ${target.location}.`,
    );
    return 0;
  }
  const backupId = o.backupId === 'latest' ? ids.at(-1) : o.backupId;
  if (!backupId || !ids.includes(backupId)) {
    o.print(`No backup "${o.backupId}" on ${target.location}. Run without a backup id to list them.`);
    return 2;
  }
  const startedAt = Date.now();
  /**
   * The verify or restore goes into the installation's backup history, as one made on the Backup page. Into a data
   * folder without a history yet, only a restore that wrote something is recorded: a refused one writes nothing.
   */
  const remember = async (kind: 'verify' | 'restore', ok: boolean, summary: string, errors: string[]) => {
    if (!(kind === 'restore' && ok) && !fs.existsSync(path.dirname(historyFile(o.dataDir)))) return;
    const jobId = await readManifest(target, backupId).then(
      (m) => m.jobId,
      () => '',
    );
    await appendHistory(
      o.dataDir,
      checkRecord({ kind, jobId, targetId: o.targetId, backupId, ok, startedAt, summary, errors }),
    );
  };
  if (o.verifyOnly) {
    const v = await verifyBackup(target, backupId);
    const words = verifyOutcome(v);
    await remember('verify', v.ok, `${words.summary} (vigil restore --verify-only)`, words.errors);
    o.print(
      v.ok
        ? `Backup ${backupId} is intact: ${v.filesChecked} file(s) match the manifest.`
        : `Backup ${backupId} is damaged:\n${[
            ...v.corrupt.map((p) => `  corrupt: ${p}`),
            ...v.missing.map((p) => `  missing: ${p}`),
          ].join('\n')}`,
    );
    return v.ok ? 0 : 1;
  }
  if (!o.force && (await portAnswers(o.server.host, o.server.port))) {
    o.print(
      `Port ${o.server.port} of ${o.server.host} answers: Vigil appears to be running on this installation. ` +
        'Stop it first, or restore from the Backup page. (--force restores anyway.)',
    );
    return 75; // EX_TEMPFAIL
  }
  const databases = o.databases ?? KNOWN_DATABASES;
  const manifest = await readManifest(target, backupId, databases);
  o.print(`Checking ${manifest.files.length} file(s) of backup ${backupId} on ${target.location}…`);
  const r = await restoreBackup(target, backupId, o.dataDir, {
    databases,
    ...(o.fullTextRebuild ? { fullTextRebuild: o.fullTextRebuild } : {}),
  });
  await remember('restore', r.ok, `${r.message} (vigil restore)`, r.ok ? [] : verifyOutcome(r.verify).errors);
  if (!r.ok) {
    o.print(r.message);
    return 1;
  }
  o.print(
    `Restored backup ${backupId} into ${o.dataDir}: ${r.restoredFiles} file(s) restored, ` +
      `${r.keptExisting} kept (already present)` +
      (r.mergedDatabases.length ? `, databases merged: ${r.mergedDatabases.join(', ')}` : '') +
      '.',
  );
  return 0;
}
