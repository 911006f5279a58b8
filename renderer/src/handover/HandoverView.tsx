import { useEffect, useState } from 'react';
import type {
  CameraOutage,
  Handover,
  HandoverDraft,
  HandoverIncident,
  HandoverListItem,
  HandoverListResponse,
  HandoverSummary,
} from '../../../backend/src/contract/handover';
import { HandoverApiRoutes } from '../../../backend/src/contract/handover';
import type { SessionResponse } from '../../../backend/src/contract/people';
import { useApi } from '../lib/hooks';
import { api, path } from '../lib/api-client';
import { formatDuration, formatTime } from '../lib/format';
import './handover.css';

/** The view's route id ("#/handover"). */
export const handoverViewId = 'handover';

/** How often the list of handovers (and the banner) asks again. */
export const HANDOVER_REFRESH_MS = 30_000;

const ackPath = (id: string) => path(HandoverApiRoutes.ack, { id });
const who = (h: Handover) => h.authorName ?? h.author;

function IncidentLine({ i }: { i: HandoverIncident }) {
  return (
    <li>
      <span className={`badge sev-${i.severity}`}>{i.severity}</span> {i.labels.join(', ') || 'activity'} on{' '}
      <strong>{i.cameraId}</strong> at {formatTime(i.startTs, true)}
      {i.action ? ` — ${i.action} ${i.actedTs ? formatTime(i.actedTs) : ''}` : ` — ${i.state}`}
      {!i.action && i.acknowledgedBy ? ` by ${i.acknowledgedBy}` : ''}
      {i.note ? <div className="handover-note">“{i.note}”</div> : null}
    </li>
  );
}

function OutageLine({ o }: { o: CameraOutage }) {
  return (
    <li>
      <strong>{o.cameraName ?? o.cameraId}</strong> down {formatDuration(o.downMs / 1000)} from{' '}
      {formatTime(o.fromTs)}
      {o.toTs === undefined ? ' — still down' : ` to ${formatTime(o.toTs)}`}
      {o.reason ? <span className="muted"> ({o.reason})</span> : null}
    </li>
  );
}

/** The summary of a shift: what was handled, what is still open, which cameras were down. */
export function SummaryBlock({ summary }: { summary: HandoverSummary }) {
  return (
    <div className="handover-summary">
      <p className="muted small">
        Shift {formatTime(summary.fromTs, true)} – {formatTime(summary.toTs, true)} · cameras:{' '}
        {summary.cameras === '*' ? 'all' : summary.cameras.join(', ') || 'none'}
      </p>
      <h4>Handled ({summary.handled.length})</h4>
      {summary.handled.length ? (
        <ul>
          {summary.handled.map((i) => (
            <IncidentLine key={`h-${i.id}`} i={i} />
          ))}
        </ul>
      ) : (
        <p className="muted">No incident acknowledged or resolved in this shift.</p>
      )}
      <h4>Still open ({summary.open.length})</h4>
      {summary.open.length ? (
        <ul>
          {summary.open.map((i) => (
            <IncidentLine key={`o-${i.id}`} i={i} />
          ))}
        </ul>
      ) : (
        <p className="muted">No open incident on these cameras.</p>
      )}
      <h4>Cameras down ({summary.outages.length})</h4>
      {summary.outages.length ? (
        <ul>
          {summary.outages.map((o) => (
            <OutageLine key={`${o.cameraId}-${o.fromTs}`} o={o} />
          ))}
        </ul>
      ) : (
        <p className="muted">Every camera stayed up.</p>
      )}
    </div>
  );
}

/** "End shift": the summary the backend prepared, the guard's notes, and the button that hands over. */
function EndShift({ onDone }: { onDone: () => void }) {
  const [draft, setDraft] = useState<HandoverDraft | undefined>();
  const [notes, setNotes] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>();
  const [busy, setBusy] = useState(false);

  const prepare = async () => {
    setBusy(true);
    const r = await api.get<HandoverDraft>(HandoverApiRoutes.draft);
    setBusy(false);
    if (!r.ok) return setMessage({ ok: false, text: r.message });
    setMessage(undefined);
    setDraft(r.data);
    setNotes(r.data.notes);
  };
  const submit = async () => {
    setBusy(true);
    const r = await api.post<Handover>(HandoverApiRoutes.handovers, { notes });
    setBusy(false);
    if (!r.ok) return setMessage({ ok: false, text: r.message });
    setDraft(undefined);
    setNotes('');
    setMessage({ ok: true, text: `Shift handed over at ${formatTime(r.data.createdTs)}.` });
    onDone();
  };

  return (
    <section className="panel handover-end" aria-label="End shift">
      <h3>End shift</h3>
      {!draft ? (
        <button type="button" className="primary" disabled={busy} onClick={() => void prepare()}>
          End shift…
        </button>
      ) : (
        <>
          <SummaryBlock summary={draft.summary} />
          <label className="handover-notes">
            Notes for the next guard
            <textarea
              rows={4}
              maxLength={4000}
              value={notes}
              placeholder="What the next shift should know: doors, visitors, cameras to watch…"
              onChange={(e) => setNotes(e.target.value)}
            />
          </label>
          <div className="row">
            <button type="button" className="primary" disabled={busy} onClick={() => void submit()}>
              Hand over and end shift
            </button>
            <button type="button" disabled={busy} onClick={() => setDraft(undefined)}>
              Cancel
            </button>
          </div>
        </>
      )}
      {message ? (
        <p className={message.ok ? 'ok-text' : 'error-text'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      ) : null}
    </section>
  );
}

/** A handover waiting for the caller: read it, acknowledge it with an optional note. */
function Waiting({ h, onDone }: { h: HandoverListItem; onDone: () => void }) {
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | undefined>();
  const acknowledge = async () => {
    const r = await api.post<Handover>(ackPath(h.id), note.trim() ? { note } : {});
    if (!r.ok) return setError(r.message);
    onDone();
  };
  return (
    <article className="panel handover-waiting" aria-label={`Handover from ${who(h)}`}>
      <h3>
        Handover from {who(h)} <span className="muted small">{formatTime(h.createdTs, true)}</span>
      </h3>
      <div className="handover-notes-text">{h.notes || <span className="muted">No notes.</span>}</div>
      <SummaryBlock summary={h.summary} />
      <div className="row">
        <input
          aria-label="Acknowledgement note"
          placeholder="Note (optional)"
          maxLength={2000}
          value={note}
          onChange={(e) => setNote(e.target.value)}
        />
        <button type="button" className="primary" onClick={() => void acknowledge()}>
          Acknowledge
        </button>
      </div>
      {error ? (
        <p className="error-text" role="alert">
          {error}
        </p>
      ) : null}
    </article>
  );
}

/** Every handover the caller may see, unacknowledged first (as the backend sorts them). */
function HandoverList({ items }: { items: HandoverListItem[] }) {
  const [open, setOpen] = useState<string | undefined>();
  if (items.length === 0) return <p className="muted">No handovers yet.</p>;
  return (
    <table className="handover-list">
      <thead>
        <tr>
          <th>Ended</th>
          <th>By</th>
          <th>Handled / open / down</th>
          <th>Status</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {items.map((h) => (
          <HandoverRow
            key={h.id}
            h={h}
            open={open === h.id}
            toggle={() => setOpen(open === h.id ? undefined : h.id)}
          />
        ))}
      </tbody>
    </table>
  );
}

function HandoverRow({ h, open, toggle }: { h: HandoverListItem; open: boolean; toggle: () => void }) {
  const acked = h.acknowledgedTs !== undefined;
  return (
    <>
      <tr className={acked ? '' : 'handover-unacked'}>
        <td>{formatTime(h.createdTs, true)}</td>
        <td>
          {who(h)}
          {h.team ? <span className="muted small"> · {h.team}</span> : null}
        </td>
        <td>
          {h.summary.handled.length} / {h.summary.open.length} / {h.summary.outages.length}
        </td>
        <td>
          {acked ? (
            <span className="badge svc-ok">
              Acknowledged by {h.acknowledgedName ?? h.acknowledgedBy} {formatTime(h.acknowledgedTs!)}
            </span>
          ) : (
            <span className="badge svc-degraded">Not acknowledged</span>
          )}
          {h.ackNote ? <div className="handover-note">“{h.ackNote}”</div> : null}
        </td>
        <td>
          <button type="button" onClick={toggle} aria-expanded={open}>
            {open ? 'Hide' : 'Details'}
          </button>
        </td>
      </tr>
      {open ? (
        <tr>
          <td colSpan={5}>
            <div className="handover-notes-text">{h.notes || <span className="muted">No notes.</span>}</div>
            <SummaryBlock summary={h.summary} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

/**
 * The Handover view: handovers waiting for the caller, "End shift" for a guard, and the list of handovers one may
 * see (a supervisor's team's and every unacknowledged one, unacknowledged first).
 */
export function HandoverView({ session }: { session: SessionResponse }) {
  const list = useApi<HandoverListResponse>(HandoverApiRoutes.handovers, HANDOVER_REFRESH_MS);
  const items = list.result?.ok ? list.result.data.handovers : [];
  const waiting = items.filter((h) => h.awaitingYou);
  const mayEnd = session.permissions.includes('handover.own');
  const reviews = session.permissions.includes('handover.review');
  return (
    <div className="handover-view">
      {waiting.map((h) => (
        <Waiting key={h.id} h={h} onDone={list.reload} />
      ))}
      {mayEnd ? <EndShift onDone={list.reload} /> : null}
      <section className="panel" aria-label="Handovers">
        <h3>{reviews ? 'Handovers of your team' : 'Your handovers'}</h3>
        {list.result && !list.result.ok ? (
          <p className="error-text" role="alert">
            {list.result.message}
          </p>
        ) : (
          <HandoverList items={items} />
        )}
      </section>
    </div>
  );
}

/**
 * A notice over every view but the Handover view itself: a handover waits for the caller's acknowledgement.
 * Asks again whenever the view changes (an acknowledgement made there clears it at once).
 */
export function HandoverBanner({ session, view }: { session: SessionResponse; view: string }) {
  const mayAck = session.permissions.includes('handover.own');
  const { result, reload } = useApi<HandoverListResponse>(
    mayAck ? HandoverApiRoutes.handovers : null,
    HANDOVER_REFRESH_MS,
  );
  useEffect(() => reload(), [view, reload]);
  const waiting = result?.ok ? result.data.handovers.filter((h) => h.awaitingYou) : [];
  const first = waiting[0];
  if (!first || view === handoverViewId) return null;
  return (
    <span className="handover-banner" role="status">
      <span className="handover-banner-text" title={`Handover from ${who(first)} waiting`}>
        Handover from {who(first)} waiting{waiting.length > 1 ? ` (and ${waiting.length - 1} more)` : ''}
      </span>
      <button type="button" onClick={() => (location.hash = `#/${handoverViewId}`)}>
        Read and acknowledge
      </button>
    </span>
  );
}
