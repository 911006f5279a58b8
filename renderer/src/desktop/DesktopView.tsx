import { useCallback, useEffect, useState } from 'react';
import type {
  DesktopConnectionSettings,
  DesktopConnectionUpdate,
  DesktopDisplay,
} from '../../../backend/src/contract/desktop';
import { desktopNotificationsEnabled, setDesktopNotificationsEnabled } from './alerts';
import './desktop.css';
import { bridgeErrorMessage, desktopApi } from './bridge';
import { useDesktopConnectionStatus } from './hooks';

/** The Desktop view (desktop app only): connection to a local backend or a Vigil server, wall windows, alerts. */
export function DesktopView() {
  return (
    <div className="desktop-view">
      <ConnectionSettings />
      <WallDisplays />
      <DesktopAlerts />
    </div>
  );
}

/** Shown in the navigation bar: where the app is connected, when it is not simply the local backend. */
export function DesktopConnectionBadge() {
  const status = useDesktopConnectionStatus();
  if (!status || (status.mode === 'local' && status.state === 'connected')) return null;
  return (
    <span
      className={`conn ${status.state === 'connected' ? 'ok' : 'down'}`}
      title={status.detail ?? 'Connection of the desktop app'}
      data-testid="desktop-connection"
    >
      {status.mode === 'remote' ? 'server' : 'local'} · {status.state}
    </span>
  );
}

function ConnectionSettings() {
  const vigil = desktopApi()!;
  const status = useDesktopConnectionStatus();
  const [saved, setSaved] = useState<DesktopConnectionSettings>();
  const [mode, setMode] = useState<'local' | 'remote'>('local');
  const [remoteUrl, setRemoteUrl] = useState('');
  const [token, setToken] = useState('');
  const [kibanaUrl, setKibanaUrl] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string }>();

  const show = (s: DesktopConnectionSettings) => {
    setSaved(s);
    setMode(s.mode);
    setRemoteUrl(s.remoteUrl);
    setKibanaUrl(s.kibanaUrl);
  };
  useEffect(() => {
    vigil.connection().then(show, (err: unknown) => setResult({ ok: false, text: bridgeErrorMessage(err) }));
  }, [vigil]);

  const save = async () => {
    const update: DesktopConnectionUpdate = {
      mode,
      ...(mode === 'remote' ? { remoteUrl: remoteUrl.trim() } : {}),
      ...(mode === 'remote' && token ? { remoteToken: token } : {}),
      kibanaUrl: kibanaUrl.trim(),
    };
    setBusy(true);
    try {
      show(await vigil.setConnection(update));
      setToken('');
      setResult({ ok: true, text: 'Saved. Vigil reconnects with these settings.' });
    } catch (err) {
      setResult({ ok: false, text: bridgeErrorMessage(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-label="Connection">
      <h2>Connection</h2>
      {status ? (
        <p className="muted" role="status">
          Now: {status.mode === 'remote' ? 'Vigil server' : 'backend on this computer'}, {status.state}
          {status.detail ? ` — ${status.detail}` : ''}
        </p>
      ) : null}
      <fieldset className="plain" aria-label="Mode">
        <label className="check">
          <input type="radio" name="mode" checked={mode === 'local'} onChange={() => setMode('local')} /> The
          backend on this computer (single site)
        </label>
        <label className="check">
          <input type="radio" name="mode" checked={mode === 'remote'} onChange={() => setMode('remote')} /> A
          Vigil server (remote site or cluster)
        </label>
      </fieldset>
      <div className="form">
        {mode === 'remote' ? (
          <>
            <label>
              Server address
              <input
                type="url"
                value={remoteUrl}
                placeholder="https://vigil.example.org"
                onChange={(e) => setRemoteUrl(e.target.value)}
              />
            </label>
            <label>
              API token
              <input
                type="password"
                autoComplete="off"
                value={token}
                placeholder={
                  saved?.hasRemoteToken ? 'stored — leave empty to keep it' : 'token from the server'
                }
                onChange={(e) => setToken(e.target.value)}
              />
            </label>
          </>
        ) : null}
        <label>
          Kibana address (optional)
          <input
            type="url"
            value={kibanaUrl}
            placeholder="https://kibana.example.org"
            onChange={(e) => setKibanaUrl(e.target.value)}
          />
        </label>
      </div>
      {mode === 'remote' && saved && !saved.canStoreSecrets ? (
        <p className="unavailable">
          This computer has no secret store (keychain): the token is kept only until Vigil quits.
        </p>
      ) : null}
      <p>
        <button className="primary" disabled={busy} onClick={() => void save()}>
          {busy ? 'Saving…' : 'Save and connect'}
        </button>
      </p>
      {result ? (
        <p className={result.ok ? 'ok-text' : 'error-text'} role={result.ok ? 'status' : 'alert'}>
          {result.text}
        </p>
      ) : null}
    </section>
  );
}

function WallDisplays() {
  const vigil = desktopApi()!;
  const [displays, setDisplays] = useState<DesktopDisplay[]>([]);
  const [error, setError] = useState<string>();
  const refresh = useCallback(
    () => vigil.displays().then(setDisplays, (err: unknown) => setError(bridgeErrorMessage(err))),
    [vigil],
  );
  useEffect(() => {
    void refresh();
  }, [refresh]);
  const act = async (action: Promise<void>) => {
    setError(undefined);
    try {
      await action;
    } catch (err) {
      setError(bridgeErrorMessage(err));
    }
    await refresh();
  };
  const compositor = displays.some((d) => d.wallPlacement === 'compositor');
  return (
    <section className="panel" aria-label="Wall displays">
      <h2>Wall displays</h2>
      <p className="muted">
        A wall window shows the live wall full screen on a display; the walls you open come back when the same
        monitors are connected.
      </p>
      {compositor ? (
        <p className="unavailable">
          This desktop (Wayland) decides where windows open: a wall may appear on another display. Move it
          with your desktop’s shortcut (e.g. Super+Shift+arrow), or start Vigil with --ozone-platform=x11 to
          place walls exactly.
        </p>
      ) : null}
      <ul className="display-list">
        {displays.map((d, i) => (
          <li key={d.id} data-display={d.id}>
            <span>
              Display {i + 1}
              {d.label ? ` — ${d.label}` : ''} ({d.bounds.width}×{d.bounds.height}
              {d.primary ? ', main' : ''})
            </span>{' '}
            {d.hasWall ? (
              <button onClick={() => void act(vigil.closeWallWindow(d.id))}>
                Close the wall on display {i + 1}
              </button>
            ) : (
              <button className="primary" onClick={() => void act(vigil.openWallWindow(d.id))}>
                Open wall on display {i + 1}
              </button>
            )}
          </li>
        ))}
      </ul>
      {error ? (
        <p className="error-text" role="alert">
          {error}
        </p>
      ) : null}
    </section>
  );
}

function DesktopAlerts() {
  const [on, setOn] = useState(desktopNotificationsEnabled);
  return (
    <section className="panel" aria-label="Desktop alerts">
      <h2>Alerts on the desktop</h2>
      <label className="check">
        <input
          type="checkbox"
          checked={on}
          onChange={(e) => {
            setOn(e.target.checked);
            setDesktopNotificationsEnabled(e.target.checked);
          }}
        />{' '}
        Show a desktop notification for each new alert (a click on it shows the camera)
      </label>
      <p className="muted">The alert sound is switched in the alerts panel.</p>
    </section>
  );
}
