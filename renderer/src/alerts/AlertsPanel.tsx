import { useCallback, useEffect, useRef, useState } from 'react';
import { api, formatTime } from '../lib/http';
import { useNow } from '../lib/hooks';
import { setAlert, useAlerts, useAlertsError, useCameras } from '../lib/store';
import type { VigilAlert } from '../../../backend/src/contract';
import { desktopApi, useDesktopAlertNotifications } from '../desktop';
import { orderAlerts } from './escalation';

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

/** New alerts, escalating when not acknowledged in time; A acknowledges the top one. */
export function AlertsPanel(props: { onJump: (cameraId: string) => void }) {
  const alerts = useAlerts();
  const error = useAlertsError();
  const { list: cameras, loaded: camerasLoaded } = useCameras();
  const now = useNow(1000);
  // On by default in the desktop app (a control-room console), off in a browser tab.
  const [sound, setSound] = useState(
    () => (localStorage.getItem('vigil.alerts.sound') ?? (desktopApi() ? '1' : '0')) === '1',
  );
  const [escalateSec, setEscalateSec] = useState(
    () => Number(localStorage.getItem('vigil.alerts.escalate') ?? 60) || 60,
  );
  const [ackError, setAckError] = useState<string | undefined>();
  const shown = orderAlerts(alerts, now, escalateSec * 1000);
  const notified = useRef(new Map<string, number>());
  const name = useCallback((id: string) => cameras.find((c) => c.id === id)?.name ?? id, [cameras]);
  useDesktopAlertNotifications(alerts, name, camerasLoaded);

  // Sound for each new alert and again at each escalation level.
  useEffect(() => {
    for (const s of shown) {
      const last = notified.current.get(s.alert.id);
      if (last === undefined || s.level > last) {
        notified.current.set(s.alert.id, s.level);
        if (sound) beep(s.escalated);
      }
    }
  }, [shown, sound]);

  const acknowledge = async (a: VigilAlert) => {
    const r = await api.post<VigilAlert>(`/api/alerts/${encodeURIComponent(a.id)}/ack`, { by: 'operator' });
    if (r.ok) {
      setAlert(
        r.data && typeof r.data === 'object'
          ? { ...a, ...r.data, state: r.data.state ?? 'acknowledged' }
          : { ...a, state: 'acknowledged' },
      );
      setAckError(undefined);
    } else setAckError(r.notAvailable ? 'Acknowledging: not available on this backend.' : r.message);
  };

  const top = shown[0]?.alert;
  const topRef = useRef(top);
  useEffect(() => {
    topRef.current = top;
  }, [top]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (
        e.target instanceof HTMLInputElement ||
        e.target instanceof HTMLTextAreaElement ||
        e.target instanceof HTMLSelectElement
      )
        return;
      if ((e.key === 'a' || e.key === 'A') && !e.ctrlKey && !e.metaKey && !e.altKey && topRef.current) {
        void acknowledge(topRef.current);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <aside className={`alerts-panel${shown.length ? ' has-alerts' : ''}`} aria-label="Alerts">
      <div className="alerts-head">
        <span>Alerts {shown.length ? <span className="count">{shown.length}</span> : null}</span>
        <label className="check small">
          <input
            type="checkbox"
            checked={sound}
            onChange={(e) => {
              setSound(e.target.checked);
              localStorage.setItem('vigil.alerts.sound', e.target.checked ? '1' : '0');
            }}
          />{' '}
          sound
        </label>
        <label className="small">
          escalate after{' '}
          <input
            type="number"
            min={5}
            className="tiny"
            value={escalateSec}
            onChange={(e) => {
              const v = Math.max(5, Number(e.target.value) || 60);
              setEscalateSec(v);
              localStorage.setItem('vigil.alerts.escalate', String(v));
            }}
          />{' '}
          s
        </label>
      </div>
      {error ? <div className="unavailable">{error}</div> : null}
      {ackError ? <div className="unavailable">{ackError}</div> : null}
      {shown.length === 0 && !error ? <div className="muted">No open alerts.</div> : null}
      <ul className="alerts-list">
        {shown.map(({ alert: a, escalated }, i) => (
          <li
            key={a.id}
            className={`alert sev-${a.severity}${escalated ? ' escalated' : ''}`}
            data-alert={a.id}
          >
            <div className="alert-title">
              {escalated ? <span className="badge esc">ESCALATED</span> : null}
              {a.ruleName}
            </div>
            <div className="alert-meta">
              {a.label} · {name(a.cameraId)}
              {a.zone ? ` · ${a.zone}` : ''} · {formatTime(a.raisedTs)} (
              {Math.max(0, Math.round((now - a.raisedTs) / 1000))} s)
            </div>
            <div className="alert-actions">
              <button onClick={() => void acknowledge(a)} className="primary">
                Acknowledge{i === 0 ? ' (A)' : ''}
              </button>
              <button onClick={() => props.onJump(a.cameraId)}>Show camera</button>
            </div>
          </li>
        ))}
      </ul>
    </aside>
  );
}
