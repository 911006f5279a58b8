import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Cron } from 'croner';
import { Counter, Gauge, register } from 'prom-client';
import type {
  BackupJobView,
  BackupProgress,
  BackupRestoreReport,
  BackupRunRecord,
  BackupSummary,
  BackupTargetTestResult,
  BackupTargetView,
  BackupVerifyReport,
} from '../contract/backup.js';
import {
  BackupJobConfig,
  BackupTargetConfig,
  type BackupConfig,
  type BackupJobConfigInput,
  type BackupTargetConfigInput,
} from '../contract/config/backup.js';
import type { Service, ServiceHealth } from '../platform/lifecycle.js';
import { createLogger } from '../platform/log.js';
import {
  applyRetention,
  type FullTextRebuild,
  BACKUP_STATE_DIR,
  listBackupIds,
  readManifest,
  restoreBackup,
  runBackup,
  verifyBackup,
} from './engine.js';
import {
  checkRecord,
  HISTORY_LIMIT,
  historyFile,
  readHistory,
  verifyOutcome,
  writeHistory,
} from './history.js';
import { KNOWN_DATABASES, UnsafeManifestError } from './manifest-check.js';
import { InvalidObjectKeyError, type BackupTarget } from './target.js';
import { createTarget, testTarget } from './targets/index.js';

/** A request the user can fix: answered with 4xx and these words. */
export class BackupRequestError extends Error {
  constructor(
    message: string,
    readonly status = 400,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'BackupRequestError';
  }
}

/**
 * A refused manifest or object key as a 400 that names the backup and the entry; other errors are returned as they
 * are.
 */
export function asRequestError(err: unknown): unknown {
  if (err instanceof UnsafeManifestError)
    return new BackupRequestError(`Nothing was restored or verified: ${err.message}`, 400, 'backupId');
  if (err instanceof InvalidObjectKeyError) return new BackupRequestError(err.message, 400, 'backupId');
  return err;
}

function metric<T>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

const runsTotal = metric(
  'vigil_backup_runs_total',
  () =>
    new Counter({
      name: 'vigil_backup_runs_total',
      help: 'Backup runs by job and result',
      labelNames: ['job', 'state'],
    }),
);
const bytesTotal = metric(
  'vigil_backup_uploaded_bytes_total',
  () =>
    new Counter({
      name: 'vigil_backup_uploaded_bytes_total',
      help: 'Bytes uploaded to backup targets',
      labelNames: ['job'],
    }),
);
const lastSuccess = metric(
  'vigil_backup_last_success_timestamp_seconds',
  () =>
    new Gauge({
      name: 'vigil_backup_last_success_timestamp_seconds',
      help: 'When each job last completed a backup (or found nothing new)',
      labelNames: ['job'],
    }),
);

interface Settings {
  targets: BackupTargetConfig[];
  jobs: BackupJobConfig[];
}

interface ActiveRun {
  runId: string;
  controller: AbortController;
  progress?: BackupProgress;
  done: Promise<BackupRunRecord>;
}

export interface BackupServiceOptions {
  config: BackupConfig;
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  /** Refills contentless full-text indexes of databases merged by a restore. */
  fullTextRebuild?: FullTextRebuild;
  /** Databases (relative to the data folder) a restore may merge into; default KNOWN_DATABASES. */
  databases?: readonly string[];
}

/**
 * Backup jobs of the installation: targets and jobs from the config file plus those added in the UI (kept in the
 * data folder), schedules, run now / cancel, live progress, history, backup retention, verify and restore.
 */
export class BackupService implements Service {
  readonly name = 'backup';
  readonly #log = createLogger('backup.service');
  readonly #stateDir: string;
  readonly #settingsFile: string;
  readonly #historyFile: string;
  #ui: Settings = { targets: [], jobs: [] };
  #history: BackupRunRecord[] = [];
  readonly #active = new Map<string, ActiveRun>();
  readonly #timers = new Map<string, { stop(): void; next(): number | undefined }>();
  #lastError: string | undefined;
  #disposed = false;

  constructor(private readonly options: BackupServiceOptions) {
    this.#stateDir = path.join(options.dataDir, BACKUP_STATE_DIR);
    this.#settingsFile = path.join(this.#stateDir, 'settings.json');
    this.#historyFile = historyFile(options.dataDir);
  }

  async start(): Promise<void> {
    await fsp.mkdir(this.#stateDir, { recursive: true });
    try {
      const raw = JSON.parse(await fsp.readFile(this.#settingsFile, 'utf8')) as Settings;
      this.#ui = {
        targets: raw.targets.flatMap((t) => {
          const r = BackupTargetConfig.safeParse(t);
          return r.success ? [r.data] : [];
        }),
        jobs: raw.jobs.flatMap((j) => {
          const r = BackupJobConfig.safeParse(j);
          return r.success ? [r.data] : [];
        }),
      };
    } catch {
      /* no UI settings yet */
    }
    this.#history = await readHistory(this.#historyFile);
    for (const job of this.jobsConfig()) this.#schedule(job);
    // A journal left by a run that was interrupted (crash, power cut) is carried on now rather than at the next slot.
    for (const job of this.jobsConfig()) {
      if (fs.existsSync(path.join(this.#stateDir, `journal-${job.id}.jsonl`))) {
        this.#log.info({ job: job.id }, 'resuming an interrupted backup');
        this.runNow(job.id);
      }
    }
  }

  health(): ServiceHealth {
    return this.#lastError ? { status: 'degraded', detail: this.#lastError } : { status: 'ok' };
  }

  // ---- targets and jobs ----

  targetsConfig(): BackupTargetConfig[] {
    return [...this.options.config.targets, ...this.#ui.targets];
  }

  jobsConfig(): BackupJobConfig[] {
    return [...this.options.config.jobs, ...this.#ui.jobs];
  }

  #fromConfig(id: string, kind: 'targets' | 'jobs'): boolean {
    return (this.options.config[kind] as { id: string }[]).some((x) => x.id === id);
  }

  targets(): BackupTargetView[] {
    return this.targetsConfig().map((t) => ({
      id: t.id,
      name: t.name || t.id,
      kind: t.kind,
      location:
        t.kind === 'folder'
          ? t.path
          : t.kind === 's3'
            ? `s3://${t.bucket}/${t.prefix}${t.endpoint ? ` at ${t.endpoint}` : ''}`
            : `hdfs ${t.root} at ${new URL(t.namenodeUrl).origin}`,
      source: this.#fromConfig(t.id, 'targets') ? 'config' : 'ui',
    }));
  }

  jobs(): BackupJobView[] {
    return this.jobsConfig().map((j) => ({
      id: j.id,
      name: j.name || j.id,
      targetId: j.targetId,
      schedule: j.schedule,
      metadata: j.metadata,
      recordings: j.recordings,
      bandwidthMBps: j.bandwidthMBps,
      keepLast: j.keepLast,
      keepDaily: j.keepDaily,
      keepWeekly: j.keepWeekly,
      source: this.#fromConfig(j.id, 'jobs') ? 'config' : 'ui',
      nextRunAt: this.#timers.get(j.id)?.next(),
      running: this.#active.has(j.id),
    }));
  }

  #target(id: string): BackupTargetConfig {
    const t = this.targetsConfig().find((x) => x.id === id);
    if (!t) throw new BackupRequestError(`there is no backup target "${id}"`, 404, 'targetId');
    return t;
  }

  #job(id: string): BackupJobConfig {
    const j = this.jobsConfig().find((x) => x.id === id);
    if (!j) throw new BackupRequestError(`there is no backup job "${id}"`, 404, 'jobId');
    return j;
  }

  #open(config: BackupTargetConfig): BackupTarget {
    try {
      return createTarget(config, this.options.env);
    } catch (err) {
      throw new BackupRequestError((err as Error).message, 400, 'targetId');
    }
  }

  async #save(): Promise<void> {
    const temp = `${this.#settingsFile}.tmp`;
    await fsp.writeFile(temp, JSON.stringify(this.#ui, null, 2));
    await fsp.rename(temp, this.#settingsFile);
  }

  async putTarget(input: BackupTargetConfigInput, id?: string): Promise<BackupTargetView> {
    const parsed = BackupTargetConfig.safeParse(id ? { ...input, id } : input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new BackupRequestError(
        `${issue?.path.join('.') || 'target'}: ${issue?.message}`,
        400,
        issue?.path.join('.'),
      );
    }
    const t = parsed.data;
    if (this.#fromConfig(t.id, 'targets'))
      throw new BackupRequestError(
        `target "${t.id}" is defined in the config file; change it there`,
        409,
        'id',
      );
    if (!id && this.#ui.targets.some((x) => x.id === t.id))
      throw new BackupRequestError(`a target "${t.id}" already exists`, 409, 'id');
    this.#ui.targets = [...this.#ui.targets.filter((x) => x.id !== t.id), t];
    await this.#save();
    return this.targets().find((x) => x.id === t.id) as BackupTargetView;
  }

  async deleteTarget(id: string): Promise<void> {
    if (this.#fromConfig(id, 'targets'))
      throw new BackupRequestError(`target "${id}" is defined in the config file; remove it there`, 409);
    const users = this.jobsConfig().filter((j) => j.targetId === id);
    if (users.length)
      throw new BackupRequestError(
        `target "${id}" is used by job(s) ${users.map((j) => j.id).join(', ')}`,
        409,
      );
    this.#target(id);
    this.#ui.targets = this.#ui.targets.filter((x) => x.id !== id);
    await this.#save();
  }

  async putJob(input: BackupJobConfigInput, id?: string): Promise<BackupJobView> {
    const parsed = BackupJobConfig.safeParse(id ? { ...input, id } : input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new BackupRequestError(
        `${issue?.path.join('.') || 'job'}: ${issue?.message}`,
        400,
        issue?.path.join('.'),
      );
    }
    const j = parsed.data;
    this.#target(j.targetId);
    if (this.#fromConfig(j.id, 'jobs'))
      throw new BackupRequestError(`job "${j.id}" is defined in the config file; change it there`, 409, 'id');
    if (!id && this.#ui.jobs.some((x) => x.id === j.id))
      throw new BackupRequestError(`a job "${j.id}" already exists`, 409, 'id');
    this.#ui.jobs = [...this.#ui.jobs.filter((x) => x.id !== j.id), j];
    await this.#save();
    this.#schedule(j);
    return this.jobs().find((x) => x.id === j.id) as BackupJobView;
  }

  async deleteJob(id: string): Promise<void> {
    if (this.#fromConfig(id, 'jobs'))
      throw new BackupRequestError(`job "${id}" is defined in the config file; remove it there`, 409);
    this.#job(id);
    this.cancel(id);
    this.#timers.get(id)?.stop();
    this.#timers.delete(id);
    this.#ui.jobs = this.#ui.jobs.filter((x) => x.id !== id);
    await this.#save();
  }

  async testTarget(idOrConfig: string | BackupTargetConfigInput): Promise<BackupTargetTestResult> {
    let config: BackupTargetConfig;
    if (typeof idOrConfig === 'string') config = this.#target(idOrConfig);
    else {
      const parsed = BackupTargetConfig.safeParse(idOrConfig);
      if (!parsed.success)
        return {
          ok: false,
          message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
        };
      config = parsed.data;
    }
    let target: BackupTarget;
    try {
      target = createTarget(config, this.options.env);
    } catch (err) {
      return { ok: false, message: (err as Error).message };
    }
    try {
      return await testTarget(target);
    } finally {
      await target.dispose();
    }
  }

  async listBackups(targetId: string): Promise<BackupSummary[]> {
    const target = this.#open(this.#target(targetId));
    try {
      const ids = await listBackupIds(target);
      const out: BackupSummary[] = [];
      for (const id of ids.reverse()) {
        let m;
        try {
          m = await readManifest(target, id);
        } catch (err) {
          if (!(err instanceof UnsafeManifestError)) throw err;
          // Listed with no files: the person sees it exists, and a restore of it explains why it is refused.
          this.#log.warn(
            { target: targetId, backup: id, reason: err.message },
            'a backup manifest was refused',
          );
          out.push({
            id,
            jobId: '',
            startedAt: 0,
            finishedAt: 0,
            files: 0,
            totalBytes: 0,
            problem: err.message,
          });
          continue;
        }
        out.push({
          id,
          jobId: m.jobId,
          startedAt: m.startedAt,
          finishedAt: m.finishedAt,
          files: m.files.length,
          totalBytes: m.totalBytes,
        });
      }
      return out;
    } finally {
      await target.dispose();
    }
  }

  // ---- runs ----

  #schedule(job: BackupJobConfig): void {
    this.#timers.get(job.id)?.stop();
    this.#timers.delete(job.id);
    const s = job.schedule;
    if (s.kind === 'daily') {
      const [hh, mm] = s.at.split(':');
      const cron = new Cron(`${Number(mm)} ${Number(hh)} * * *`, { protect: true }, () => {
        this.runNow(job.id);
      });
      this.#timers.set(job.id, { stop: () => cron.stop(), next: () => cron.nextRun()?.getTime() });
    } else if (s.kind === 'every') {
      const period = s.hours * 3_600_000;
      let nextAt = Date.now() + period;
      const timer = setInterval(() => {
        nextAt = Date.now() + period;
        this.runNow(job.id);
      }, period);
      timer.unref();
      this.#timers.set(job.id, { stop: () => clearInterval(timer), next: () => nextAt });
    }
  }

  /** Starts a job unless it already runs; returns its run's id. */
  runNow(jobId: string): { runId: string; alreadyRunning: boolean } {
    const job = this.#job(jobId);
    const active = this.#active.get(jobId);
    if (active) return { runId: active.runId, alreadyRunning: true };
    if (this.#disposed) throw new BackupRequestError('the backend is shutting down', 503);
    const targetConfig = this.#target(job.targetId);
    const controller = new AbortController();
    const runId = randomBytes(6).toString('hex');
    const entry: ActiveRun = {
      runId,
      controller,
      done: Promise.resolve(undefined as unknown as BackupRunRecord),
    };
    entry.done = (async () => {
      let target: BackupTarget | undefined;
      let record: BackupRunRecord;
      try {
        target = createTarget(targetConfig, this.options.env, { stateDir: this.#stateDir });
        record = await runBackup({
          dataDir: this.options.dataDir,
          target,
          jobId: job.id,
          targetId: job.targetId,
          metadata: job.metadata,
          recordings: job.recordings,
          bandwidthBps: job.bandwidthMBps * 1_000_000,
          concurrency: targetConfig.kind === 's3' ? 4 : 2,
          signal: controller.signal,
          runId,
          onProgress: (p) => {
            entry.progress = p;
          },
        });
        if (record.state === 'succeeded') {
          try {
            const protect = [record.backupId, this.#newestVerified(job.id)].filter(
              (id): id is string => id !== undefined,
            );
            const r = await applyRetention(target, job, { jobId: job.id, protect });
            record.deletedBackups = r.deletedBackups;
            if (r.deletedBackups.length) this.#log.info({ job: job.id, ...r }, 'old backups removed');
          } catch (err) {
            record.errors.push(`old backups could not be removed: ${(err as Error).message}`);
          }
        }
      } catch (err) {
        const now = Date.now();
        record = {
          runId,
          jobId: job.id,
          targetId: job.targetId,
          state: 'failed',
          startedAt: now,
          finishedAt: now,
          filesUploaded: 0,
          filesSkipped: 0,
          bytesUploaded: 0,
          errors: [(err as Error).message],
        };
      } finally {
        await target?.dispose();
        this.#active.delete(job.id);
      }
      runsTotal.inc({ job: job.id, state: record.state });
      bytesTotal.inc({ job: job.id }, record.bytesUploaded);
      if (record.state === 'succeeded' || record.state === 'nothing-new') {
        lastSuccess.set({ job: job.id }, Math.round(record.finishedAt / 1000));
        this.#lastError = undefined;
      } else if (record.state === 'failed') {
        this.#lastError = `backup job "${job.id}" failed: ${record.errors.join('; ')}`;
      }
      this.#log[record.state === 'failed' ? 'warn' : 'info'](
        {
          job: job.id,
          state: record.state,
          files: record.filesUploaded,
          bytes: record.bytesUploaded,
          errors: record.errors,
        },
        'backup run finished',
      );
      await this.#remember(record);
      return record;
    })();
    this.#active.set(jobId, entry);
    return { runId, alreadyRunning: false };
  }

  /** Waits for the job's current run (tests, shutdown). */
  async waitFor(jobId: string): Promise<BackupRunRecord | undefined> {
    return this.#active.get(jobId)?.done;
  }

  cancel(jobId: string): boolean {
    const a = this.#active.get(jobId);
    if (!a) return false;
    a.controller.abort();
    return true;
  }

  progress(): BackupProgress[] {
    return [...this.#active.entries()].map(
      ([jobId, a]) =>
        a.progress ?? {
          jobId,
          runId: a.runId,
          phase: 'scanning',
          filesDone: 0,
          filesTotal: 0,
          bytesDone: 0,
          bytesTotal: 0,
          rateBps: 0,
          startedAt: Date.now(),
        },
    );
  }

  history(limit = 50): BackupRunRecord[] {
    return this.#history.slice(0, limit);
  }

  /** Adds a run, verify or restore to the history (newest first), kept on disk across restarts. */
  async #remember(record: BackupRunRecord): Promise<void> {
    this.#history.unshift(record);
    this.#history.length = Math.min(this.#history.length, HISTORY_LIMIT);
    await writeHistory(this.#historyFile, this.#history).catch((err: unknown) =>
      this.#log.warn({ err }, 'backup history could not be written'),
    );
  }

  /**
   * The newest backup of a job whose latest check (a verify, or the verification before a restore) found it
   * intact: retention never removes it, so a job whose newer backups are unchecked or damaged keeps a good one.
   */
  #newestVerified(jobId: string): string | undefined {
    const lastCheck = new Map<string, boolean>();
    for (const h of this.#history) {
      if ((h.kind !== 'verify' && h.kind !== 'restore') || h.jobId !== jobId || !h.backupId) continue;
      if (!lastCheck.has(h.backupId)) lastCheck.set(h.backupId, h.state === 'succeeded');
    }
    // Backup ids begin with their UTC start time, so the greatest id is the newest backup.
    return [...lastCheck]
      .filter(([, ok]) => ok)
      .map(([id]) => id)
      .sort()
      .at(-1);
  }

  /** Runs a verify or restore and records it in the history, whatever the outcome. */
  async #checked<T>(
    kind: 'verify' | 'restore',
    targetId: string,
    backupId: string,
    fn: (target: BackupTarget, jobId: (id: string) => void) => Promise<T>,
    outcome: (result: T) => { ok: boolean; summary: string; errors: string[] },
  ): Promise<T> {
    const startedAt = Date.now();
    let jobId = '';
    const record = (state: 'succeeded' | 'failed', summary: string | undefined, errors: string[]) =>
      this.#remember(
        checkRecord({
          kind,
          jobId,
          targetId,
          backupId,
          ok: state === 'succeeded',
          startedAt,
          ...(summary ? { summary } : {}),
          errors,
        }),
      );
    let result: T;
    try {
      const target = this.#open(this.#target(targetId));
      try {
        result = await fn(target, (id) => (jobId = id));
      } finally {
        await target.dispose();
      }
    } catch (err) {
      const e = asRequestError(err);
      await record('failed', undefined, [(e as Error).message]);
      throw e;
    }
    const o = outcome(result);
    await record(o.ok ? 'succeeded' : 'failed', o.summary, o.errors);
    return result;
  }

  async verify(targetId: string, backupId: string): Promise<BackupVerifyReport> {
    return this.#checked(
      'verify',
      targetId,
      backupId,
      async (target, setJob) => {
        setJob(await this.#manifest(target, backupId));
        return verifyBackup(target, backupId);
      },
      verifyOutcome,
    );
  }

  /**
   * Reads a backup's manifest and answers its job; a missing one is a 404, one Vigil cannot have written a 400
   * naming the entry.
   */
  async #manifest(target: BackupTarget, backupId: string, databases?: readonly string[]): Promise<string> {
    try {
      return (await readManifest(target, backupId, databases)).jobId;
    } catch (err) {
      const e = asRequestError(err);
      if (e === err) throw new BackupRequestError((err as Error).message, 404, 'backupId');
      throw e;
    }
  }

  async restore(
    targetId: string,
    backupId: string,
    opts: { metadata?: boolean; recordings?: boolean },
  ): Promise<BackupRestoreReport> {
    return this.#checked(
      'restore',
      targetId,
      backupId,
      async (target, setJob) => {
        const databases = this.options.databases ?? KNOWN_DATABASES;
        setJob(await this.#manifest(target, backupId, databases));
        return restoreBackup(target, backupId, this.options.dataDir, {
          ...opts,
          databases,
          ...(this.options.fullTextRebuild ? { fullTextRebuild: this.options.fullTextRebuild } : {}),
        });
      },
      (r) =>
        r.ok
          ? { ok: true, summary: r.message, errors: [] }
          : { ok: false, summary: r.message, errors: verifyOutcome(r.verify).errors },
    );
  }

  async dispose(): Promise<void> {
    this.#disposed = true;
    for (const t of this.#timers.values()) t.stop();
    this.#timers.clear();
    const running = [...this.#active.values()];
    for (const a of running) a.controller.abort();
    await Promise.allSettled(running.map((a) => a.done));
  }
}
