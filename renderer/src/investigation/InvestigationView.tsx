import { useEffect, useState } from 'react';
import type { SiteMap, Trail, TrailSummary } from '../../../backend/src/contract/investigation';
import { InvestigationApiRoutes } from '../../../backend/src/contract/investigation';
import { useApi } from '../lib/hooks';
import { api } from '../lib/api-client';
import { formatTime } from '../lib/format';
import { useCameras } from '../lib/store';
import { useCan } from '../people';
import { SiteMapEditor } from './SiteMapEditor';
import { TrailEditor, trailPath } from './TrailEditor';
import { trailCandidates } from './candidates';
import './investigation.css';

/** The view's route id ("#/investigation?trail=<id>", "#/investigation?start=<event id>", "…?tab=sitemap"). */
export const investigationViewId = 'investigation';

/** The hash that opens a trail. */
export const trailHash = (id: string) => `#/${investigationViewId}?trail=${encodeURIComponent(id)}`;

/** A new trail: its name and case number, and the event it starts from when there is one. */
function NewTrail({ start, onCreated }: { start?: string; onCreated: (t: Trail) => void }) {
  const [name, setName] = useState('');
  const [caseNumber, setCaseNumber] = useState('');
  const [error, setError] = useState<string | undefined>();
  const create = async () => {
    const r = await api.post<Trail>(InvestigationApiRoutes.trails, {
      name: name.trim(),
      caseNumber: caseNumber.trim(),
      sightings: start ? [{ eventId: start, confirmed: true }] : [],
    });
    if (r.ok) onCreated(r.data);
    else setError(r.message);
  };
  return (
    <form
      className="panel new-trail"
      aria-label="New trail"
      onSubmit={(e) => {
        e.preventDefault();
        void create();
      }}
    >
      <h3>New trail</h3>
      {start ? <p className="muted small">Starts from event {start}.</p> : null}
      <label>
        Name
        <input
          value={name}
          maxLength={120}
          required
          onChange={(e) => setName(e.target.value)}
          placeholder="Person in a red jacket"
        />
      </label>
      <label>
        Case number
        <input value={caseNumber} maxLength={64} required onChange={(e) => setCaseNumber(e.target.value)} />
      </label>
      {error ? (
        <p className="error-text" role="alert">
          {error}
        </p>
      ) : null}
      <button className="primary" type="submit" disabled={!name.trim() || !caseNumber.trim()}>
        Start the trail
      </button>
    </form>
  );
}

/**
 * Investigation: trails of a person across cameras, drawn on the site map and played back in order; and, for
 * administrators, the site map editor.
 */
export function InvestigationView({ params }: { params: URLSearchParams }) {
  const can = useCan();
  const mayTrail = can('events.search');
  const mayEditMap = can('cameras.manage');
  const tab = params.get('tab') === 'sitemap' && mayEditMap ? 'sitemap' : mayTrail ? 'trails' : 'sitemap';
  const selectedId = params.get('trail') ?? undefined;
  const start = params.get('start') ?? undefined;
  const cameras = useCameras();
  const cameraName = (id: string) => cameras.list.find((c) => c.id === id)?.name ?? id;
  const list = useApi<TrailSummary[]>(mayTrail ? InvestigationApiRoutes.trails : null);
  const map = useApi<SiteMap>(tab === 'trails' ? InvestigationApiRoutes.sitemap : null);
  const [trail, setTrail] = useState<Trail | undefined>();
  const [loadError, setLoadError] = useState<string | undefined>();

  useEffect(() => {
    setTrail(undefined);
    setLoadError(undefined);
    if (!selectedId || !mayTrail) return;
    let cancelled = false;
    void api.get<Trail>(trailPath(selectedId)).then((r) => {
      if (cancelled) return;
      if (r.ok) setTrail(r.data);
      else
        setLoadError(
          r.notAvailable ? 'There is no such trail (or it passes cameras you may not see).' : r.message,
        );
    });
    return () => {
      cancelled = true;
    };
  }, [selectedId, mayTrail]);

  const go = (hash: string) => (location.hash = hash);
  return (
    <div className="investigation-view">
      <div className="row investigation-tabs" role="tablist">
        {mayTrail ? (
          <button
            role="tab"
            aria-selected={tab === 'trails'}
            className={tab === 'trails' ? 'active' : ''}
            onClick={() => go(`#/${investigationViewId}`)}
          >
            Trails
          </button>
        ) : null}
        {mayEditMap ? (
          <button
            role="tab"
            aria-selected={tab === 'sitemap'}
            className={tab === 'sitemap' ? 'active' : ''}
            onClick={() => go(`#/${investigationViewId}?tab=sitemap`)}
          >
            Site map
          </button>
        ) : null}
      </div>
      {tab === 'sitemap' ? <SiteMapEditor /> : null}
      {tab === 'trails' ? (
        <div className="investigation-body">
          <aside className="trail-list">
            <NewTrail
              key={start ?? ''}
              start={start}
              onCreated={(t) => {
                list.reload();
                go(trailHash(t.id));
              }}
            />
            <div className="panel">
              <h3>Trails</h3>
              {list.result && !list.result.ok ? <p className="error-text">{list.result.message}</p> : null}
              {list.result?.ok && !list.result.data.length ? (
                <p className="muted small">No trails yet.</p>
              ) : null}
              <ul className="trail-items">
                {(list.result?.ok ? list.result.data : []).map((t) => (
                  <li key={t.id}>
                    <a
                      href={trailHash(t.id)}
                      className={t.id === selectedId ? 'active' : ''}
                      aria-current={t.id === selectedId ? 'page' : undefined}
                    >
                      <strong>{t.name}</strong>
                      <span className="muted small">
                        {' '}
                        case {t.caseNumber} · {t.confirmed}/{t.sightings} confirmed ·{' '}
                        {t.cameras.map(cameraName).join(' → ') || 'no cameras'} ·{' '}
                        {formatTime(t.updatedAt, true)}
                      </span>
                    </a>
                  </li>
                ))}
              </ul>
            </div>
          </aside>
          <section className="trail-main">
            {loadError ? <div className="unavailable">{loadError}</div> : null}
            {trail ? (
              <TrailEditor
                key={trail.id}
                trail={trail}
                siteMap={map.result?.ok ? map.result.data : undefined}
                cameraName={cameraName}
                onChanged={(t) => {
                  setTrail(t);
                  list.reload();
                }}
                onDeleted={() => {
                  list.reload();
                  go(`#/${investigationViewId}`);
                }}
                candidates={trailCandidates}
              />
            ) : !loadError ? (
              <p className="muted">
                Choose a trail, or start one: from here, or with “Start a trail” on an event.
              </p>
            ) : null}
          </section>
        </div>
      ) : null}
    </div>
  );
}
