import { useState } from 'react';
import { AuditApiRoutes, type AuditPage, type AuditVerifyReport } from '../../../backend/src/contract/audit';
import { DownloadLink } from '../desktop/DownloadLink';
import { useApi } from '../lib/hooks';
import { formatTime } from '../lib/format';
import './audit.css';
import { ACTIONS, auditCsvUrl, auditListUrl, detailText, EMPTY_FILTERS, type AuditFilters } from './query';

const PAGE = 100;

/** The chain's state at the top of the view: whole and signed, or where it breaks. */
function ChainStatus() {
  const { result, reload } = useApi<AuditVerifyReport>(AuditApiRoutes.auditVerify, 60_000);
  let text: string;
  let cls = 'muted';
  if (!result) text = 'Checking the audit chain…';
  else if (!result.ok) text = `The audit chain could not be checked: ${result.message}`;
  else if (!result.data.ok) {
    cls = 'error-text';
    text = `Audit log TAMPERED — first broken entry ${result.data.firstBroken?.seq}: ${result.data.firstBroken?.reason}`;
  } else {
    const r = result.data;
    cls = 'ok-text';
    const unsigned =
      r.lastSeq > r.signedThrough
        ? `; entries ${r.signedThrough + 1}–${r.lastSeq} are signed at the next checkpoint`
        : '';
    text = r.signaturesChecked
      ? `Chain intact: ${r.entries} entries, ${r.checkpoints} signed checkpoints${unsigned}.`
      : `Chain intact: ${r.entries} entries; checkpoint signatures not checked (no installation key here).`;
  }
  return (
    <div className="row" aria-label="Audit chain status">
      <span className={cls} role="status" data-testid="audit-chain">
        {text}
      </span>
      <button type="button" onClick={reload}>
        Check again
      </button>
    </div>
  );
}

/** The audit log: who did what to which camera, newest first, filtered; exported as CSV. */
export function AuditView() {
  const [draft, setDraft] = useState<AuditFilters>(EMPTY_FILTERS);
  const [filters, setFilters] = useState<AuditFilters>(EMPTY_FILTERS);
  const [limit, setLimit] = useState(PAGE);
  const { result, reload } = useApi<AuditPage>(auditListUrl(filters, { limit: String(limit) }), 10_000);
  const set = (k: keyof AuditFilters) => (e: { target: { value: string } }) =>
    setDraft({ ...draft, [k]: e.target.value });
  const stamp = new Date().toISOString().slice(0, 10);
  return (
    <div className="audit-view">
      <section className="panel" aria-label="Audit log">
        <div className="row">
          <h3>Audit log</h3>
          <DownloadLink href={auditCsvUrl(filters)} fileName={`vigil-audit-${stamp}.csv`}>
            Export CSV
          </DownloadLink>
        </div>
        <ChainStatus />
        <form
          className="form audit-filters"
          aria-label="Audit filters"
          onSubmit={(e) => {
            e.preventDefault();
            setLimit(PAGE);
            setFilters(draft);
          }}
        >
          <label>
            User
            <input value={draft.user} onChange={set('user')} maxLength={256} />
          </label>
          <label>
            Action
            <select value={draft.action} onChange={set('action')}>
              <option value="">any</option>
              {ACTIONS.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          </label>
          <label>
            Camera
            <input value={draft.camera} onChange={set('camera')} maxLength={256} />
          </label>
          <label>
            From
            <input type="datetime-local" value={draft.from} onChange={set('from')} />
          </label>
          <label>
            To
            <input type="datetime-local" value={draft.to} onChange={set('to')} />
          </label>
          <button className="primary" type="submit">
            Apply
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft(EMPTY_FILTERS);
              setFilters(EMPTY_FILTERS);
              reload();
            }}
          >
            Clear
          </button>
        </form>
        {result && !result.ok ? <div className="unavailable">{result.message}</div> : null}
        {result?.ok ? (
          <>
            <p className="muted">
              {result.data.total} entr{result.data.total === 1 ? 'y' : 'ies'} match; newest first.
            </p>
            <table aria-label="Audit entries">
              <thead>
                <tr>
                  <th>#</th>
                  <th>Time</th>
                  <th>User</th>
                  <th>Action</th>
                  <th>Camera</th>
                  <th>Target</th>
                  <th>Detail</th>
                </tr>
              </thead>
              <tbody>
                {result.data.entries.map((e) => (
                  <tr key={e.seq} data-action={e.action}>
                    <td className="muted">{e.seq}</td>
                    <td>{formatTime(e.ts, true)}</td>
                    <td>{e.actor}</td>
                    <td>{e.action}</td>
                    <td>{e.camera ?? ''}</td>
                    <td>{e.target ?? ''}</td>
                    <td className="muted small">{detailText(e.detail)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {result.data.entries.length < result.data.total ? (
              <button
                type="button"
                onClick={() => setLimit((l) => Math.min(1000, l + PAGE))}
                disabled={limit >= 1000}
              >
                Show more
              </button>
            ) : null}
          </>
        ) : null}
      </section>
    </div>
  );
}
