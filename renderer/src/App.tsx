import { useEffect, useState } from 'react';
import { AlertsPanel } from './alerts/AlertsPanel';
import { RulesView } from './alerts/RulesView';
import { auditView } from './audit';
import { backupView } from './backup';
import type { HealthResponse, KibanaResponse } from '../../backend/src/contract/api';
import { fetchSession, logout, type SessionState } from './api';
import { CamerasView } from './cameras/CamerasView';
import { DesktopConnectionBadge, DesktopView, desktopApi, useDesktopFocusCamera } from './desktop';
import { Dashboards } from './dashboards/Dashboards';
import { EventsView } from './events/EventsView';
import { KibanaView } from './kibana/KibanaView';
import { useApi } from './lib/hooks';
import { api } from './lib/http';
import { realtime } from './lib/realtime';
import { parseRoute } from './lib/route';
import { startFeeds } from './lib/store';
import { Wall } from './live/Wall';
import { SitesView } from './sites';
import { SystemView } from './system/SystemView';

const VIEWS = [
  { id: 'live', label: 'Live' },
  { id: 'events', label: 'Events' },
  { id: 'dashboards', label: 'Dashboards' },
  { id: 'rules', label: 'Rules' },
  { id: 'cameras', label: 'Cameras' },
  { id: 'system', label: 'System' },
  { id: backupView.id, label: backupView.label },
  { id: auditView.id, label: auditView.label },
] as const;

function useHashRoute() {
  const [hash, setHash] = useState(() => location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return parseRoute(hash);
}

function useRealtimeConnected(): boolean {
  const [connected, setConnected] = useState(false);
  useEffect(() => realtime().onState(setConnected), []);
  return connected;
}

/** The application shell: navigation, the current view and the alerts panel. */
export function App() {
  const [session, setSession] = useState<SessionState>({ kind: 'loading' });
  const route = useHashRoute();
  const [focus, setFocus] = useState<{ cameraId: string; n: number } | undefined>();
  const [kibana, setKibana] = useState<KibanaResponse | undefined>();
  const jump = (cameraId: string) => {
    setFocus((f) => ({ cameraId, n: (f?.n ?? 0) + 1 }));
    location.hash = '#/live';
  };
  // A click on a desktop notification shows its camera.
  useDesktopFocusCamera(jump);

  useEffect(() => {
    let cancelled = false;
    void fetchSession().then((s) => {
      if (cancelled) return;
      setSession(s);
      if (s.kind === 'ready') {
        startFeeds();
        // The Kibana tab exists only where a Kibana is configured (cluster deployments).
        void api.get<KibanaResponse>('/api/kibana').then((r) => {
          if (!cancelled && r.ok && r.data.enabled) setKibana(r.data);
        });
      }
    });
    return () => {
      cancelled = true;
    };
  }, []);

  if (session.kind === 'loading') return <div className="centered">Connecting to the Vigil backend…</div>;
  if (session.kind === 'unauthorized') {
    return (
      <div className="centered" role="alert">
        <h1>Vigil</h1>
        <p>
          This browser is not logged in. Open the login link that the backend printed in its terminal (press
          Enter there for a new one: each link works once, for a few minutes).
        </p>
      </div>
    );
  }
  if (session.kind === 'offline') {
    return (
      <div className="centered" role="alert">
        <h1>Vigil</h1>
        <p>{session.message}</p>
      </div>
    );
  }

  // A second wall window: only the wall, its own layout.
  if (route.view === 'wall') {
    return (
      <div className="wall-window">
        <Wall
          urlLayout={route.params.get('layout') ?? undefined}
          windowName={route.params.get('name') ?? 'second'}
        />
      </div>
    );
  }

  const views: ReadonlyArray<{ id: string; label: string }> = [
    ...VIEWS,
    ...(kibana ? [{ id: 'kibana', label: 'Kibana' }] : []),
    // Connection, wall windows and notifications of the desktop app; absent in a browser.
    ...(desktopApi() ? [{ id: 'desktop', label: 'Desktop' }] : []),
    // Several sites at once, through the desktop shell (each site keeps its own sign-in there).
    ...(desktopApi()?.sites ? [{ id: 'sites', label: 'Sites' }] : []),
  ];
  const sitesApi = desktopApi()?.sites;
  const view = views.some((v) => v.id === route.view) ? route.view : 'live';
  return (
    <div className="shell">
      <nav className="nav" aria-label="Views">
        <span className="brand">Vigil</span>
        {views.map((v) => (
          <button
            key={v.id}
            className={v.id === view ? 'active' : ''}
            aria-current={v.id === view ? 'page' : undefined}
            onClick={() => (location.hash = `#/${v.id}`)}
          >
            {v.label}
          </button>
        ))}
        <Connection />
        <DiskFullNotice />
        <DesktopConnectionBadge />
        <span className="status">v{session.session.version}</span>
        {/* The desktop window's session belongs to the shell, which renews it; browsers log out here. */}
        {(window as { vigil?: { isDesktop?: boolean } }).vigil?.isDesktop ? null : (
          <button
            type="button"
            onClick={() => void logout().then(() => setSession({ kind: 'unauthorized' }))}
            title="End this browser's session"
          >
            Log out
          </button>
        )}
      </nav>
      <div className="main-row">
        <main className="view" aria-label={views.find((v) => v.id === view)?.label}>
          {view === 'live' ? <Wall focusCamera={focus} /> : null}
          {view === 'events' ? <EventsView /> : null}
          {view === 'dashboards' ? <Dashboards /> : null}
          {view === 'rules' ? <RulesView /> : null}
          {view === 'cameras' ? <CamerasView /> : null}
          {view === 'system' ? <SystemView /> : null}
          {view === backupView.id ? <backupView.component /> : null}
          {view === auditView.id ? <auditView.component /> : null}
          {view === 'kibana' && kibana ? <KibanaView kibana={kibana} /> : null}
          {view === 'desktop' ? <DesktopView /> : null}
          {view === 'sites' && sitesApi ? <SitesView api={sitesApi} /> : null}
        </main>
        <AlertsPanel onJump={jump} />
      </div>
    </div>
  );
}

function Connection() {
  const connected = useRealtimeConnected();
  return (
    <span className={`conn ${connected ? 'ok' : 'down'}`} title="Realtime connection to the backend">
      {connected ? '● live' : '○ reconnecting'}
    </span>
  );
}

/** In the header on every view: the data disk is full, so recording is paused and events wait to be written. */
function DiskFullNotice() {
  const health = useApi<HealthResponse>('/healthz', 5000);
  if (!health.result?.ok) return null;
  const full = Object.entries(health.result.data.services).filter(([, s]) =>
    /disk full/i.test(s.detail ?? ''),
  );
  if (full.length === 0) return null;
  return (
    <span
      className="disk-full"
      role="alert"
      title={full.map(([name, s]) => `${name}: ${s.detail}`).join('\n')}
    >
      Disk full: recording paused, new events wait to be written. Free space on the data disk.
    </span>
  );
}
