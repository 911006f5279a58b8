import { useState } from 'react';
import type {
  BackupJobView,
  BackupProgress,
  BackupRestoreReport,
  BackupRunRecord,
  BackupSummary,
  BackupTargetTestResult,
  BackupTargetView,
  BackupVerifyReport,
} from '../../../backend/src/contract/backup';
import { BackupApiRoutes as R } from '../../../backend/src/contract/backup';
import { path, request, Routes, type ApiResult } from '../lib/api-client';
import { formatBytes, formatDateTime, formatDuration } from '../lib/format';
import { useApi } from '../lib/hooks';
import { ExportDialog } from '../export/ExportDialog';
import './backup.css';

function ErrorLine({ result }: { result: ApiResult<unknown> | undefined }) {
  return result && !result.ok ? (
    <p className="error-text" role="alert">
      {result.message}
    </p>
  ) : null;
}

const STATE_WORDS: Record<BackupRunRecord['state'], string> = {
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  'nothing-new': 'nothing new to back up',
};

const KIND_WORDS: Record<NonNullable<BackupRunRecord['kind']>, string> = {
  backup: 'Backup',
  verify: 'Verify',
  restore: 'Restore',
};

function scheduleWords(s: BackupJobView['schedule']): string {
  if (s.kind === 'daily') return `daily at ${s.at}`;
  if (s.kind === 'every') return `every ${s.hours} h`;
  return 'manual only';
}

/** A job's backup retention in words, as the job list shows it. */
export function retentionWords(j: Pick<BackupJobView, 'keepLast' | 'keepDaily' | 'keepWeekly'>): string {
  const also = [
    j.keepDaily > 0 ? `${j.keepDaily} day${j.keepDaily === 1 ? '' : 's'}` : '',
    j.keepWeekly > 0 ? `${j.keepWeekly} week${j.keepWeekly === 1 ? '' : 's'}` : '',
  ].filter(Boolean);
  return `keeps its last ${j.keepLast} backup${j.keepLast === 1 ? '' : 's'}${
    also.length ? `, and the newest of each of the last ${also.join(' and ')}` : ''
  }`;
}

/** Changes how many backups a job keeps (jobs added here; a config file's jobs are changed in the file). */
function RetentionEditor({ job, onSaved }: { job: BackupJobView; onSaved: () => void }) {
  const [open, setOpen] = useState(false);
  const [keep, setKeep] = useState({
    keepLast: job.keepLast,
    keepDaily: job.keepDaily,
    keepWeekly: job.keepWeekly,
  });
  const [result, setResult] = useState<ApiResult<unknown>>();
  if (job.source !== 'ui') return <span className="muted"> (set in the config file)</span>;
  if (!open)
    return (
      <button onClick={() => setOpen(true)} aria-label={`Change retention of ${job.name}`}>
        Retention…
      </button>
    );
  const save = async () => {
    const r = await request('PUT', path(R.job, { id: job.id }), {
      id: job.id,
      name: job.name,
      targetId: job.targetId,
      schedule: job.schedule,
      metadata: job.metadata,
      recordings: job.recordings,
      bandwidthMBps: job.bandwidthMBps,
      ...keep,
    });
    setResult(r);
    if (r.ok) {
      setOpen(false);
      onSaved();
    }
  };
  const number = (label: string, key: keyof typeof keep, min: number) => (
    <NumberField label={label} min={min} value={keep[key]} onChange={(n) => setKeep({ ...keep, [key]: n })} />
  );
  return (
    <div className="backup-form" aria-label={`Retention of ${job.name}`}>
      {number('Keep last', 'keepLast', 1)}
      {number('Keep daily', 'keepDaily', 0)}
      {number('Keep weekly', 'keepWeekly', 0)}
      <button className="primary" onClick={() => void save()}>
        Save retention
      </button>
      <button onClick={() => setOpen(false)}>Cancel</button>
      <ErrorLine result={result} />
    </div>
  );
}

/** Targets with "test connection" and a form to add a folder or S3 target. */
function TargetsSection({ targets, reload }: { targets: BackupTargetView[]; reload: () => void }) {
  const [tests, setTests] = useState<Record<string, BackupTargetTestResult | 'testing'>>({});
  const [form, setForm] = useState({
    id: '',
    kind: 'folder',
    path: '',
    endpoint: '',
    bucket: '',
    prefix: 'vigil/',
    namenodeUrl: 'http://localhost:9870',
    user: 'vigil',
    root: '/vigil-backup',
  });
  const [saved, setSaved] = useState<ApiResult<unknown>>();
  const test = async (id: string) => {
    setTests((t) => ({ ...t, [id]: 'testing' }));
    const r = await request<BackupTargetTestResult>('POST', path(R.savedTargetTest, { id }));
    setTests((t) => ({ ...t, [id]: r.ok ? r.data : { ok: false, message: r.message } }));
  };
  const body = () =>
    form.kind === 'folder'
      ? { id: form.id, kind: 'folder', path: form.path }
      : form.kind === 'hdfs'
        ? { id: form.id, kind: 'hdfs', namenodeUrl: form.namenodeUrl, user: form.user, root: form.root }
        : { id: form.id, kind: 's3', endpoint: form.endpoint, bucket: form.bucket, prefix: form.prefix };
  const add = async () => {
    const r = await request('POST', R.targets, body());
    setSaved(r);
    if (r.ok) reload();
  };
  const testNew = async () => {
    const r = await request<BackupTargetTestResult>('POST', R.targetTest, body());
    setTests((t) => ({ ...t, '': r.ok ? r.data : { ok: false, message: r.message } }));
  };
  const remove = async (id: string) => {
    const r = await request('DELETE', path(R.target, { id }));
    setSaved(r);
    reload();
  };
  const TestResult = ({ id }: { id: string }) => {
    const t = tests[id];
    if (!t) return null;
    if (t === 'testing') return <span className="muted">testing…</span>;
    return (
      <span className={t.ok ? 'ok-text' : 'error-text'} role="status">
        {t.ok ? '✓ ' : '✗ '}
        {t.message}
        {t.latencyMs !== undefined ? ` (${t.latencyMs} ms)` : ''}
      </span>
    );
  };
  return (
    <section aria-label="Backup targets">
      <h2>Targets</h2>
      {targets.length === 0 ? (
        <p className="muted">
          No backup target yet. Add a folder (local disk or network share) or S3 storage.
        </p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Location</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {targets.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td>{t.kind === 's3' ? 'S3' : t.kind === 'hdfs' ? 'HDFS' : 'folder'}</td>
                <td>{t.location}</td>
                <td>
                  <button onClick={() => void test(t.id)}>Test connection</button>
                  {t.source === 'ui' && <button onClick={() => void remove(t.id)}>Remove</button>}
                  <TestResult id={t.id} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="backup-form" aria-label="Add a target">
        <label>
          Id
          <input
            value={form.id}
            onChange={(e) => setForm({ ...form, id: e.target.value })}
            placeholder="nas"
          />
        </label>
        <label>
          Kind
          <select value={form.kind} onChange={(e) => setForm({ ...form, kind: e.target.value })}>
            <option value="folder">Folder</option>
            <option value="s3">S3-compatible</option>
            <option value="hdfs">HDFS (WebHDFS)</option>
          </select>
        </label>
        {form.kind === 'folder' ? (
          <label>
            Folder
            <input
              value={form.path}
              onChange={(e) => setForm({ ...form, path: e.target.value })}
              placeholder="/mnt/nas/vigil"
            />
          </label>
        ) : form.kind === 'hdfs' ? (
          <>
            <label>
              Namenode
              <input
                value={form.namenodeUrl}
                onChange={(e) => setForm({ ...form, namenodeUrl: e.target.value })}
                placeholder="http://namenode:9870"
              />
            </label>
            <label>
              User
              <input value={form.user} onChange={(e) => setForm({ ...form, user: e.target.value })} />
            </label>
            <label>
              HDFS folder
              <input value={form.root} onChange={(e) => setForm({ ...form, root: e.target.value })} />
            </label>
          </>
        ) : (
          <>
            <label>
              Endpoint
              <input
                value={form.endpoint}
                onChange={(e) => setForm({ ...form, endpoint: e.target.value })}
                placeholder="http://127.0.0.1:7480"
              />
            </label>
            <label>
              Bucket
              <input value={form.bucket} onChange={(e) => setForm({ ...form, bucket: e.target.value })} />
            </label>
            <label>
              Prefix
              <input value={form.prefix} onChange={(e) => setForm({ ...form, prefix: e.target.value })} />
            </label>
          </>
        )}
        <button onClick={() => void testNew()}>Test connection</button>
        <button className="primary" onClick={() => void add()}>
          Add target
        </button>
        <TestResult id="" />
      </div>
      {form.kind === 's3' && (
        <p className="muted">
          The access key comes from the backend’s environment: VIGIL_S3_ACCESS_KEY_ID and
          VIGIL_S3_SECRET_ACCESS_KEY.
        </p>
      )}
      <ErrorLine result={saved} />
    </section>
  );
}

/** Jobs with schedule, run now / cancel and the live progress bar. */
function JobsSection(props: {
  jobs: BackupJobView[];
  targets: BackupTargetView[];
  progress: BackupProgress[];
  reload: () => void;
}) {
  const { jobs, targets, progress, reload } = props;
  const [form, setForm] = useState({
    id: '',
    targetId: '',
    kind: 'daily',
    at: '02:00',
    hours: 6,
    bandwidthMBps: 0,
    keepLast: 3,
    keepDaily: 7,
    keepWeekly: 4,
  });
  const [result, setResult] = useState<ApiResult<unknown>>();
  const schedule =
    form.kind === 'daily'
      ? { kind: 'daily', at: form.at }
      : form.kind === 'every'
        ? { kind: 'every', hours: form.hours }
        : { kind: 'manual' };
  const add = async () => {
    const r = await request('POST', R.jobs, {
      id: form.id,
      targetId: form.targetId || targets[0]?.id,
      schedule,
      bandwidthMBps: form.bandwidthMBps,
      keepLast: form.keepLast,
      keepDaily: form.keepDaily,
      keepWeekly: form.keepWeekly,
    });
    setResult(r);
    if (r.ok) reload();
  };
  const act = async (id: string, what: 'run' | 'cancel') => {
    setResult(await request('POST', path(what === 'run' ? R.jobRun : R.jobCancel, { id })));
    reload();
  };
  return (
    <section aria-label="Backup jobs">
      <h2>Jobs</h2>
      {jobs.length === 0 && <p className="muted">No backup job yet.</p>}
      {jobs.map((j) => {
        const p = progress.find((x) => x.jobId === j.id);
        const pct = p && p.bytesTotal > 0 ? Math.min(100, (p.bytesDone / p.bytesTotal) * 100) : 0;
        return (
          <div key={j.id} className="job" aria-label={`Job ${j.name}`}>
            <strong>{j.name}</strong> → {targets.find((t) => t.id === j.targetId)?.name ?? j.targetId} ·{' '}
            {scheduleWords(j.schedule)}
            {j.bandwidthMBps > 0 ? ` · limited to ${j.bandwidthMBps} MB/s` : ''} · {retentionWords(j)}{' '}
            <RetentionEditor key={`${j.keepLast}/${j.keepDaily}/${j.keepWeekly}`} job={j} onSaved={reload} />
            {j.nextRunAt && !j.running ? (
              <span className="muted"> · next {formatDateTime(j.nextRunAt)}</span>
            ) : null}{' '}
            {j.running ? (
              <button onClick={() => void act(j.id, 'cancel')}>Cancel</button>
            ) : (
              <button className="primary" onClick={() => void act(j.id, 'run')}>
                Run now
              </button>
            )}
            {p && (
              <div aria-label="Progress">
                <div
                  className="progress"
                  role="progressbar"
                  aria-valuenow={Math.round(pct)}
                  aria-valuemin={0}
                  aria-valuemax={100}
                >
                  <div style={{ width: `${pct}%` }} />
                </div>
                <span className="muted">
                  {p.phase} · {p.filesDone} of {p.filesTotal} files · {formatBytes(p.bytesDone)} of{' '}
                  {formatBytes(p.bytesTotal)} · {formatBytes(p.rateBps)}/s
                  {p.etaSeconds !== undefined ? ` · ${formatDuration(p.etaSeconds)} left` : ''}
                </span>
              </div>
            )}
          </div>
        );
      })}
      {targets.length > 0 && (
        <div className="backup-form" aria-label="Add a job">
          <label>
            Id
            <input
              value={form.id}
              onChange={(e) => setForm({ ...form, id: e.target.value })}
              placeholder="nightly"
            />
          </label>
          <label>
            Target
            <select
              value={form.targetId || targets[0]?.id}
              onChange={(e) => setForm({ ...form, targetId: e.target.value })}
            >
              {targets.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Schedule
            <select value={form.kind} onChange={(e) => setForm({ ...form, kind: e.target.value })}>
              <option value="daily">Daily at</option>
              <option value="every">Every N hours</option>
              <option value="manual">Manual only</option>
            </select>
          </label>
          {form.kind === 'daily' && (
            <label>
              Time
              <input type="time" value={form.at} onChange={(e) => setForm({ ...form, at: e.target.value })} />
            </label>
          )}
          {form.kind === 'every' && (
            <NumberField
              label="Hours"
              min={1}
              max={168}
              value={form.hours}
              onChange={(n) => setForm({ ...form, hours: n })}
            />
          )}
          <NumberField
            label="Limit MB/s (0 = none)"
            min={0}
            value={form.bandwidthMBps}
            onChange={(n) => setForm({ ...form, bandwidthMBps: n })}
          />
          <NumberField
            label="Keep last"
            min={1}
            value={form.keepLast}
            onChange={(n) => setForm({ ...form, keepLast: n })}
          />
          <NumberField
            label="Keep daily"
            min={0}
            value={form.keepDaily}
            onChange={(n) => setForm({ ...form, keepDaily: n })}
          />
          <NumberField
            label="Keep weekly"
            min={0}
            value={form.keepWeekly}
            onChange={(n) => setForm({ ...form, keepWeekly: n })}
          />
          <button className="primary" onClick={() => void add()}>
            Add job
          </button>
        </div>
      )}
      <ErrorLine result={result} />
    </section>
  );
}

/** A labelled whole-number input. */
function NumberField(props: {
  label: string;
  value: number;
  min: number;
  max?: number;
  onChange: (value: number) => void;
}) {
  return (
    <label>
      {props.label}
      <input
        type="number"
        min={props.min}
        max={props.max}
        value={props.value}
        onChange={(e) => props.onChange(Number(e.target.value))}
      />
    </label>
  );
}

function HistorySection({ history }: { history: BackupRunRecord[] }) {
  return (
    <section aria-label="Backup history">
      <h2>History</h2>
      {history.length === 0 ? (
        <p className="muted">No backup, verify or restore yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Started</th>
              <th>What</th>
              <th>Job</th>
              <th>Result</th>
              <th>Uploaded</th>
              <th>Unchanged</th>
              <th>Details</th>
            </tr>
          </thead>
          <tbody>
            {history.map((h) => (
              <tr key={h.runId}>
                <td>{formatDateTime(h.startedAt)}</td>
                <td>
                  {KIND_WORDS[h.kind ?? 'backup']}
                  {h.kind && h.kind !== 'backup' && h.backupId ? (
                    <span className="muted"> {h.backupId}</span>
                  ) : null}
                </td>
                <td>{h.jobId}</td>
                <td
                  className={h.state === 'failed' ? 'error-text' : h.state === 'succeeded' ? 'ok-text' : ''}
                >
                  {STATE_WORDS[h.state]}
                  {h.resumed ? ' (resumed)' : ''}
                </td>
                <td>
                  {(h.kind ?? 'backup') === 'backup'
                    ? `${h.filesUploaded} files, ${formatBytes(h.bytesUploaded)}`
                    : ''}
                </td>
                <td>{(h.kind ?? 'backup') === 'backup' ? `${h.filesSkipped} files` : ''}</td>
                <td>
                  {[
                    h.summary,
                    ...h.errors,
                    h.deletedBackups?.length
                      ? `retention removed ${h.deletedBackups.length} older backup${h.deletedBackups.length === 1 ? '' : 's'}: ${h.deletedBackups.join(', ')}`
                      : '',
                  ]
                    .filter(Boolean)
                    .join('; ')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The restore and verify wizard: pick a target, a backup, then verify only or restore. */
function RestoreSection({ targets }: { targets: BackupTargetView[] }) {
  const [targetId, setTargetId] = useState('');
  const [backups, setBackups] = useState<ApiResult<BackupSummary[]>>();
  const [backupId, setBackupId] = useState('');
  const [options, setOptions] = useState({ metadata: true, recordings: true });
  const [busy, setBusy] = useState<'' | 'verify' | 'restore'>('');
  const [verify, setVerify] = useState<ApiResult<BackupVerifyReport>>();
  const [restore, setRestore] = useState<ApiResult<BackupRestoreReport>>();
  const pickTarget = async (id: string) => {
    setTargetId(id);
    setBackupId('');
    setVerify(undefined);
    setRestore(undefined);
    setBackups(id ? await request<BackupSummary[]>('GET', path(R.targetBackups, { id })) : undefined);
  };
  const runVerify = async () => {
    setBusy('verify');
    setVerify(await request<BackupVerifyReport>('POST', R.verify, { targetId, backupId }));
    setBusy('');
  };
  const runRestore = async () => {
    if (
      !window.confirm(
        'Restore this backup into this installation? Existing footage and newer events are kept.',
      )
    )
      return;
    setBusy('restore');
    setRestore(await request<BackupRestoreReport>('POST', R.restore, { targetId, backupId, ...options }));
    setBusy('');
  };
  return (
    <section aria-label="Restore and verify">
      <h2>Restore and verify</h2>
      <div className="backup-form">
        <label>
          1. Target
          <select value={targetId} onChange={(e) => void pickTarget(e.target.value)}>
            <option value="">choose…</option>
            {targets.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
        </label>
        {backups?.ok && (
          <label>
            2. Backup
            <select value={backupId} onChange={(e) => setBackupId(e.target.value)}>
              <option value="">{backups.data.length ? 'choose…' : 'no backup on this target'}</option>
              {backups.data.map((b) => (
                <option key={b.id} value={b.id}>
                  {b.problem
                    ? `${b.id} · refused: not a backup Vigil can restore`
                    : `${formatDateTime(b.finishedAt)} · ${b.jobId} · ${b.files} files, ${formatBytes(b.totalBytes)}`}
                </option>
              ))}
            </select>
          </label>
        )}
        {backupId && (
          <>
            <label>
              <span>
                <input
                  type="checkbox"
                  checked={options.metadata}
                  onChange={(e) => setOptions({ ...options, metadata: e.target.checked })}
                />{' '}
                events and settings
              </span>
              <span>
                <input
                  type="checkbox"
                  checked={options.recordings}
                  onChange={(e) => setOptions({ ...options, recordings: e.target.checked })}
                />{' '}
                footage
              </span>
            </label>
            <button disabled={!!busy} onClick={() => void runVerify()}>
              {busy === 'verify' ? 'Verifying…' : '3. Verify only'}
            </button>
            <button className="primary" disabled={!!busy} onClick={() => void runRestore()}>
              {busy === 'restore' ? 'Restoring…' : '3. Restore'}
            </button>
          </>
        )}
      </div>
      <ErrorLine result={backups} />
      <ErrorLine result={verify} />
      <ErrorLine result={restore} />
      {verify?.ok && (
        <div role="status" aria-label="Verify result">
          {verify.data.ok ? (
            <p className="ok-text">All {verify.data.filesChecked} files match the manifest.</p>
          ) : (
            <>
              <p className="error-text">
                {verify.data.corrupt.length} corrupt and {verify.data.missing.length} missing of{' '}
                {verify.data.filesChecked} files:
              </p>
              <ul>
                {verify.data.corrupt.map((f) => (
                  <li key={f}>corrupt: {f}</li>
                ))}
                {verify.data.missing.map((f) => (
                  <li key={f}>missing: {f}</li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
      {restore?.ok && (
        <p role="status" className={restore.data.ok ? 'ok-text' : 'error-text'}>
          {restore.data.message}
        </p>
      )}
    </section>
  );
}

/** Evidence export from here too (the event view and the timeline open the same dialog), and the signing key. */
function EvidenceSection() {
  const [open, setOpen] = useState(false);
  const key = useApi<{ fingerprint: string }>(R.exportKey, 600_000);
  const cameras = useApi<{ id: string; name: string }[]>(Routes.video.cameras, 60_000);
  const list = cameras.result?.ok ? cameras.result.data.map((c) => ({ id: c.id, name: c.name })) : [];
  const now = Date.now();
  return (
    <section aria-label="Evidence export">
      <h2>Evidence export</h2>
      <p className="muted">
        Signing key fingerprint (SHA-256):{' '}
        <span className="fingerprint">{key.result?.ok ? key.result.data.fingerprint : '…'}</span>
      </p>
      <button className="primary" disabled={list.length === 0} onClick={() => setOpen(true)}>
        Export evidence…
      </button>
      {open && (
        <ExportDialog
          cameraIds={list.slice(0, 1).map((c) => c.id)}
          availableCameras={list}
          from={now - 10 * 60_000}
          to={now}
          onClose={() => setOpen(false)}
        />
      )}
    </section>
  );
}

/** The Backup page: targets, jobs with progress, history, and the restore / verify wizard. */
export function BackupPage() {
  const targets = useApi<BackupTargetView[]>(R.targets, 30_000);
  const jobs = useApi<BackupJobView[]>(R.jobs, 5_000);
  const progress = useApi<BackupProgress[]>(R.progress, 1_000);
  const history = useApi<BackupRunRecord[]>(path(R.history, {}, { limit: 30 }), 5_000);
  const reload = () => {
    targets.reload();
    jobs.reload();
    history.reload();
    progress.reload();
  };
  const t = targets.result?.ok ? targets.result.data : [];
  return (
    <div className="backup-page">
      <ErrorLine result={targets.result} />
      <TargetsSection targets={t} reload={reload} />
      <JobsSection
        jobs={jobs.result?.ok ? jobs.result.data : []}
        targets={t}
        progress={progress.result?.ok ? progress.result.data : []}
        reload={reload}
      />
      <HistorySection history={history.result?.ok ? history.result.data : []} />
      <RestoreSection targets={t} />
      <EvidenceSection />
    </div>
  );
}
