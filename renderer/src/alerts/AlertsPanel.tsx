import { useCallback, useEffect, useRef, useState } from 'react';
import type { Incident, Snooze } from '../../../backend/src/contract';
import { api, path, Routes } from '../lib/api-client';
import { formatTime } from '../lib/format';
import { useNow } from '../lib/hooks';
import {
  loadSnoozes,
  setIncidents,
  useAlertSettings,
  useCameras,
  useIncidents,
  useIncidentsError,
  useSnoozes,
} from '../lib/store';
import { failedChannels, objectsText, orderIncidents } from './incidents';
import { desktopApi, useDesktopIncidentNotifications } from '../desktop';
import { useCan } from '../people';

function beep(urgent: boolean): void {
  try {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = urgent ? 1200 : 880;
    gain.gain.value = 0.1;
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + (urgent ? 0.5 : 0.2));
    osc.onended = () => void ctx.close();
  } catch {
    /* no audio device */
  }
}

/** Shows a desktop notification for a newly recorded desktop-channel notification (the browser's own). */
function desktopNotify(i: Incident, title: string): void {
  try {
    if (typeof Notification === 'undefined') return;
    if (Notification.permission === 'granted')
      new Notification(title, { body: `${objectsText(i)} on ${i.cameraId}` });
    else if (Notification.permission === 'default') void Notification.requestPermission();
  } catch {
    /* notifications unavailable */
  }
}

function minutesLeft(s: Snooze, now: number): number {
  return Math.max(0, Math.ceil((s.untilTs - now) / 60_000));
}

/**
 * The incident desk: open incidents, what they hold (objects, a strip of the best snapshots, the clip span), their
 * escalation and any failed notification; acknowledge, resolve, "not a person", snooze, and acknowledge several
 * at once with one note. A acknowledges the top one.
 */
export function AlertsPanel(props: { onJump: (cameraId: string) => void }) {
  const incidents = useIncidents();
  const error = useIncidentsError();
  const snoozes = useSnoozes();
  const settings = useAlertSettings();
  const { list: cameras, loaded: camerasLoaded } = useCameras();
  const now = useNow(1000);
  const [actionError, setActionError] = useState<string | undefined>();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [bulkNote, setBulkNote] = useState('');
  const [notes, setNotes] = useState<Record<string, string>>({});
  const shown = orderIncidents(incidents);
  const receivesEscalations = useCan()('escalations.receive');
  const notified = useRef(new Map<string, number>());
  const name = useCallback((id: string) => cameras.find((c) => c.id === id)?.name ?? id, [cameras]);
  useDesktopIncidentNotifications(shown, name, camerasLoaded);

  // Sound for each new incident and again at each escalation level; a desktop notification when one was sent.
  useEffect(() => {
    for (const i of shown) {
      if (i.state !== 'new') continue;
      const level = i.escalationLevel ?? -1;
      const last = notified.current.get(i.id);
      if (last === undefined || level > last) {
        notified.current.set(i.id, level);
        if (settings?.sound) beep(level >= 1);
        // Escalations to the supervisors on duty show only in the windows of those who receive them.
        const desktop = i.notifications.filter(
          (n) =>
            n.level === level &&
            (n.channelKind === 'desktop' || (n.channelKind === 'supervisors' && receivesEscalations)),
        );
        // In the desktop app, native notifications (with a click that shows the camera) come from the shell.
        if (desktop.length && last !== undefined && !desktopApi())
          desktopNotify(i, `Vigil: ${desktop[0]?.levelName ?? 'incident'}`);
      }
    }
  }, [shown, settings?.sound, receivesEscalations]);

  const act = async (i: Incident, kind: 'ack' | 'resolve') => {
    const note = notes[i.id]?.trim();
    const r = await api.post<Incident>(
      path(kind === 'ack' ? Routes.incidents.ack : Routes.incidents.resolve, { id: i.id }),
      note ? { note } : {},
    );
    if (r.ok) {
      setIncidents([r.data]);
      setNotes((n) => ({ ...n, [i.id]: '' }));
      setActionError(undefined);
    } else setActionError(r.message);
  };

  const bulkAck = async () => {
    const ids = [...selected];
    const note = bulkNote.trim();
    const r = await api.post<{ acknowledged: Incident[]; missing: string[] }>(Routes.incidents.bulkAck, {
      ids,
      ...(note ? { note } : {}),
    });
    if (r.ok) {
      setIncidents(r.data.acknowledged);
      setSelected(new Set());
      setBulkNote('');
      setActionError(undefined);
    } else setActionError(r.message);
  };

  const notAPerson = async (i: Incident, eventId: string) => {
    const r = await api.post<{ incident?: Incident }>(path(Routes.incidents.falsePositive, { id: i.id }), {
      eventId,
    });
    if (r.ok) {
      if (r.data.incident) setIncidents([r.data.incident]);
      setActionError(undefined);
    } else setActionError(r.message);
  };

  const snooze = async (kind: 'camera' | 'rule', target: string, minutes: number) => {
    const r = await api.post<Snooze>(Routes.incidents.snoozes, { kind, target, minutes });
    if (!r.ok) setActionError(r.message);
    await loadSnoozes();
  };
  const unsnooze = async (s: Snooze) => {
    const r = await api.del(path(Routes.incidents.snooze, { kind: s.kind, target: s.target }));
    if (!r.ok) setActionError(r.message);
    await loadSnoozes();
  };

  const top = shown.find((i) => i.state === 'new');
  const topRef = useRef(top);
  const actRef = useRef(act);
  useEffect(() => {
    topRef.current = top;
    actRef.current = act;
  });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (
        e.target instanceof HTMLInputElement ||
        e.target instanceof HTMLTextAreaElement ||
        e.target instanceof HTMLSelectElement
      )
        return;
      if ((e.key === 'a' || e.key === 'A') && !e.ctrlKey && !e.metaKey && !e.altKey && topRef.current)
        void actRef.current(topRef.current, 'ack');
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const fresh = shown.filter((i) => i.state === 'new').length;
  const activeSnoozes = snoozes.filter((s) => s.untilTs > now);
  return (
    <aside className={`alerts-panel${fresh ? ' has-alerts' : ''}`} aria-label="Incidents">
      <div className="alerts-head">
        <span>Incidents {fresh ? <span className="count">{fresh}</span> : null}</span>
        <span className="small muted">{settings?.sound ? 'sound on' : 'sound off'}</span>
      </div>
      {activeSnoozes.length ? (
        <ul className="snoozes" aria-label="Snoozed">
          {activeSnoozes.map((s) => (
            <li key={`${s.kind}/${s.target}`} className="snooze">
              {s.kind === 'camera' ? name(s.target) : `rule ${s.target}`} snoozed {minutesLeft(s, now)} min
              more (by {s.by}) <button onClick={() => void unsnooze(s)}>End</button>
            </li>
          ))}
        </ul>
      ) : null}
      {error ? <div className="unavailable">{error}</div> : null}
      {actionError ? (
        <div className="unavailable" role="alert">
          {actionError}
        </div>
      ) : null}
      {selected.size ? (
        <div className="bulk-ack">
          <input
            aria-label="Note for the selected incidents"
            placeholder="Note (optional)"
            value={bulkNote}
            maxLength={2000}
            onChange={(e) => setBulkNote(e.target.value)}
          />
          <button className="primary" onClick={() => void bulkAck()}>
            Acknowledge {selected.size} selected
          </button>
        </div>
      ) : null}
      {shown.length === 0 && !error ? <div className="muted">No open incidents.</div> : null}
      <ul className="alerts-list">
        {shown.map((i) => {
          const failed = failedChannels(i);
          const escalated = i.state === 'new' && (i.escalationLevel ?? 0) >= 1;
          return (
            <li
              key={i.id}
              className={`alert incident sev-${i.severity} state-${i.state}${escalated ? ' escalated' : ''}`}
              data-incident={i.id}
            >
              <div className="alert-title">
                {i.state === 'new' ? (
                  <input
                    type="checkbox"
                    aria-label={`Select incident ${i.ruleNames.join(', ')} on ${name(i.cameraId)}`}
                    checked={selected.has(i.id)}
                    onChange={(e) => {
                      const next = new Set(selected);
                      if (e.target.checked) next.add(i.id);
                      else next.delete(i.id);
                      setSelected(next);
                    }}
                  />
                ) : null}
                {escalated ? <span className="badge esc">ESCALATED</span> : null}
                {i.state === 'acknowledged' ? (
                  <span className="badge ack">ACK {i.acknowledgedBy}</span>
                ) : null}
                {i.ruleNames.join(', ')}
              </div>
              <div className="alert-meta">
                {objectsText(i)} · {name(i.cameraId)}
                {i.zone ? ` · ${i.zone}` : ''} · {formatTime(i.startTs)}–
                {i.endTs ? formatTime(i.endTs) : 'ongoing'} (
                {Math.max(0, Math.round(((i.endTs ?? now) - i.startTs) / 1000))} s)
              </div>
              {i.snapshots.length ? (
                <div className="snapshot-strip">
                  {i.snapshots.map((s) => (
                    <figure key={s.eventId}>
                      <img
                        src={path(Routes.events.snapshot, { id: s.eventId })}
                        alt={`${s.label} ${Math.round(s.score * 100)} %`}
                        loading="lazy"
                      />
                      <button
                        className="small"
                        title={`Not a ${s.label}: stop this one alerting again`}
                        onClick={() => void notAPerson(i, s.eventId)}
                      >
                        Not a {s.label}
                      </button>
                    </figure>
                  ))}
                </div>
              ) : null}
              {i.ackNote ? <div className="small">Note: {i.ackNote}</div> : null}
              {failed.map((f) => (
                <div key={f} className="notify-failed" role="status">
                  {f}
                </div>
              ))}
              <div className="alert-actions">
                <input
                  className="note"
                  aria-label="Note"
                  placeholder="Note"
                  maxLength={2000}
                  value={notes[i.id] ?? ''}
                  onChange={(e) => setNotes({ ...notes, [i.id]: e.target.value })}
                />
                {i.state === 'new' ? (
                  <button onClick={() => void act(i, 'ack')} className="primary">
                    Acknowledge{i === top ? ' (A)' : ''}
                  </button>
                ) : null}
                <button onClick={() => void act(i, 'resolve')}>Resolve</button>
                <button onClick={() => props.onJump(i.cameraId)}>Show camera</button>
                <select
                  aria-label="Snooze"
                  value=""
                  onChange={(e) => {
                    const [kind, minutes] = e.target.value.split(':');
                    if (kind === 'camera') void snooze('camera', i.cameraId, Number(minutes));
                    else if (kind === 'rule' && i.ruleIds[0])
                      void snooze('rule', i.ruleIds[0], Number(minutes));
                  }}
                >
                  <option value="">Snooze…</option>
                  <option value="camera:15">camera 15 min</option>
                  <option value="camera:60">camera 1 h</option>
                  <option value="rule:15">rule 15 min</option>
                  <option value="rule:60">rule 1 h</option>
                </select>
              </div>
            </li>
          );
        })}
      </ul>
    </aside>
  );
}
