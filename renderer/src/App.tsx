import { useEffect, useState } from 'react';
import { fetchSession, type SessionState } from './api';
import { backupView } from './backup';

const VIEWS = ['Live', 'Events', 'Dashboards', 'Cameras', 'System', backupView.label] as const;
type View = (typeof VIEWS)[number];

/** The application shell: navigation and the current view. */
export function App() {
  const [session, setSession] = useState<SessionState>({ kind: 'loading' });
  const [view, setView] = useState<View>('Live');

  useEffect(() => {
    let cancelled = false;
    void fetchSession().then((s) => {
      if (!cancelled) setSession(s);
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
        <p>This browser is not logged in. Open the login link that the backend printed in its terminal.</p>
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

  return (
    <div className="shell">
      <nav className="nav" aria-label="Views">
        <span className="brand">Vigil</span>
        {VIEWS.map((v) => (
          <button key={v} className={v === view ? 'active' : ''} onClick={() => setView(v)}>
            {v}
          </button>
        ))}
        <span className="status">v{session.session.version}</span>
      </nav>
      <main className="view" aria-label={view}>
        {view === backupView.label ? <backupView.component /> : <h1>{view}</h1>}
      </main>
    </div>
  );
}
