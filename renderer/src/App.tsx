import { useEffect, useState } from 'react';
import { AlertsPanel } from './alerts/AlertsPanel';
import { RulesView } from './alerts/RulesView';
import { auditView } from './audit';
import { backupView } from './backup';
import type { HealthResponse, KibanaResponse } from '../../backend/src/contract/api';
import { fetchSession, logout, type SessionState } from './api';
import type { SessionResponse } from '../../backend/src/contract/people';
import { CamerasView } from './cameras/CamerasView';
import { DesktopConnectionBadge, DesktopView, desktopApi, useDesktopFocusCamera } from './desktop';
import { Dashboards } from './dashboards/Dashboards';
import { EventsView } from './events/EventsView';
import { HandoverBanner, handoverView } from './handover';
import { investigationView } from './investigation';
import { KibanaView } from './kibana/KibanaView';
import { PlaybackView } from './playback/PlaybackView';
import { useApi } from './lib/hooks';
import { api, Routes } from './lib/api-client';
import { realtime } from './lib/realtime';
import { parseRoute } from './lib/route';
import {
  AccountMenu,
  FirstAdminPage,
  LookbackNote,
  mayOpen,
  NotAllowed,
  PeopleView,
  SessionProvider,
  SignInPage,
  useCan,
  ViewBoundary,
} from './people';
import { startFeeds } from './lib/store';
import { Wall } from './live/Wall';
import { SitesView } from './sites';
import { SystemView } from './system/SystemView';

const VIEWS = [
  { id: 'live', label: 'Live' },
  { id: 'events', label: 'Events' },
  { id: 'playback', label: 'Playback' },
  { id: investigationView.id, label: investigationView.label },
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

  // Signed in (at start, or through the sign-in page): the feeds start, and the Kibana tab where one is
  // configured (cluster deployments). A setup session can do nothing until the first administrator exists.
  const enter = (s: SessionState) => {
    setSession(s);
    if (s.kind === 'ready' && !s.session.setup) {
      startFeeds();
      void api.get<KibanaResponse>(Routes.app.kibana).then((r) => {
        if (r.ok && r.data.enabled) setKibana(r.data);
      });
    }
  };
  const signedIn = (s: SessionResponse) => enter({ kind: 'ready', session: s });
  useEffect(() => {
    let cancelled = false;
    void fetchSession().then((s) => {
      if (!cancelled) enter(s);
    });
    return () => {
      cancelled = true;
    };
  }, []);

  if (session.kind === 'loading') return <div className="centered">Connecting to the Vigil backend…</div>;
  if (session.kind === 'unauthorized') return <SignInPage onSignedIn={signedIn} />;
  if (session.kind === 'offline') {
    return (
      <div className="centered" role="alert">
        <h1>Vigil</h1>
        <p>{session.message}</p>
      </div>
    );
  }

  if (session.session.setup) return <FirstAdminPage onCreated={signedIn} />;

  // Signing out reloads the page: every feed and cache of the previous person goes with it.
  const signOut = () => void logout().then(() => location.reload());
  return (
    <SessionProvider session={session.session} signOut={signOut}>
      <Shell session={session.session} route={route} focus={focus} jump={jump} kibana={kibana} />
    </SessionProvider>
  );
}

/** The signed-in app: the views the caller may open, the current one, and the alerts panel. */
function Shell({
  session,
  route,
  focus,
  jump,
  kibana,
}: {
  session: SessionResponse;
  route: ReturnType<typeof parseRoute>;
  focus: { cameraId: string; n: number } | undefined;
  jump: (cameraId: string) => void;
  kibana: KibanaResponse | undefined;
}) {
  const can = useCan();
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

  const all: ReadonlyArray<{ id: string; label: string }> = [
    // Without the archive, a guard's Events view shows only the last few minutes (the backend limits it).
    ...VIEWS.map((v) => (v.id === 'events' && !can('events.search') ? { id: v.id, label: 'Recent' } : v)),
    ...(kibana ? [{ id: 'kibana', label: 'Kibana' }] : []),
    // Shift handover: for those who hand over shifts or review them.
    { id: handoverView.id, label: handoverView.label },
    { id: 'people', label: 'People' },
    // Connection, wall windows and notifications of the desktop app; absent in a browser.
    ...(desktopApi() ? [{ id: 'desktop', label: 'Desktop' }] : []),
    // Several sites at once, through the desktop shell (each site keeps its own sign-in there).
    ...(desktopApi()?.sites ? [{ id: 'sites', label: 'Sites' }] : []),
  ];
  const views = all.filter((v) => mayOpen(v.id, can));
  const sitesApi = desktopApi()?.sites;
  // A view the caller may not open (an old bookmark) says so; an unknown one falls back to the first view.
  const refused = all.find((v) => v.id === route.view && !mayOpen(v.id, can));
  const view = refused
    ? refused.id
    : views.some((v) => v.id === route.view)
      ? route.view
      : (views[0]?.id ?? 'live');
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
        <HandoverBanner session={session} view={view} />
        <DesktopConnectionBadge />
        <span className="status">v{session.version}</span>
        <AccountMenu />
      </nav>
      <div className={can('alerts.handle') ? 'main-row' : 'main-row no-alerts'}>
        <main className="view" aria-label={(refused ?? views.find((v) => v.id === view))?.label}>
          <ViewBoundary view={view}>
            {refused ? <NotAllowed what={refused.label} /> : null}
            {refused ? null : (
              <>
                {view === 'live' ? <Wall focusCamera={focus} /> : null}
                {view === 'events' ? (
                  <>
                    <LookbackNote />
                    <EventsView />
                  </>
                ) : null}
                {view === 'dashboards' ? <Dashboards /> : null}
                {view === 'rules' ? <RulesView /> : null}
                {view === 'cameras' ? <CamerasView /> : null}
                {view === 'system' ? <SystemView /> : null}
                {view === backupView.id ? <backupView.component /> : null}
                {view === auditView.id ? <auditView.component /> : null}
                {view === 'kibana' && kibana ? <KibanaView kibana={kibana} /> : null}
                {view === 'desktop' ? <DesktopView /> : null}
                {view === 'sites' && sitesApi ? <SitesView api={sitesApi} /> : null}
                {view === 'playback' ? <PlaybackView params={route.params} /> : null}
                {view === investigationView.id ? <investigationView.component params={route.params} /> : null}
                {view === 'people' ? <PeopleView /> : null}
                {view === handoverView.id ? <handoverView.component session={session} /> : null}
              </>
            )}
          </ViewBoundary>
        </main>
        {can('alerts.handle') ? <AlertsPanel onJump={jump} /> : null}
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
