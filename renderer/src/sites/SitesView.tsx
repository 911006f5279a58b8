import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { DesktopSite, DesktopSitesApi } from '../../../backend/src/contract/desktop';
import type { EventSearchResponse } from '../../../backend/src/contract/events-api';
import type { Incident } from '../../../backend/src/contract/index';
import type { CameraStatus } from '../../../backend/src/contract/video-api';
import type { Zone } from '../../../backend/src/contract/index';
import { LiveTile } from '../live/LiveTile';
import { siteFeedKey, siteLiveSource } from './live';
import { bridgeErrorMessage } from '../desktop/bridge';
import { path, Routes } from '../lib/api-client';
import { OPEN_INCIDENTS_PATH } from '../lib/store';
import {
  answerOf,
  mergeIncidents,
  mergeSearch,
  parseSiteCameraKey,
  syncLayout,
  wallTiles,
  type MergedIncidents,
  type MergedSearch,
  type SiteIncident,
} from './model';
import { objectsText } from '../alerts/incidents';
import './sites.css';

const LAYOUT_KEY = 'vigil.sites.layout';
const NAMES_KEY = 'vigil.sites.names';
const POLL_MS = 2000;

function readJson<T>(key: string, fallback: T): T {
  try {
    const v = JSON.parse(localStorage.getItem(key) ?? 'null') as T | null;
    return v ?? fallback;
  } catch {
    return fallback;
  }
}

/** Sites, their cameras and their open incidents, refreshed every few seconds through the desktop's relay. */
function useSites(api: DesktopSitesApi) {
  const [sites, setSites] = useState<DesktopSite[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [cameras, setCameras] = useState<Map<string, CameraStatus[]>>(new Map());
  const [incidents, setIncidents] = useState<MergedIncidents>({ items: [], failed: [] });
  const refresh = useCallback(async () => {
    const list = await api.list();
    const reachable = list.filter((s) => s.state === 'online' || s.state === 'connecting');
    const [cams, open] = await Promise.all([
      Promise.all(
        reachable.map(async (s) =>
          answerOf<CameraStatus[]>(
            s,
            await api.request({ site: s.id, method: 'GET', path: Routes.video.cameras }),
          ),
        ),
      ),
      Promise.all(
        reachable.map(async (s) =>
          answerOf<Incident[]>(
            s,
            await api.request({
              site: s.id,
              method: 'GET',
              path: OPEN_INCIDENTS_PATH,
            }),
          ),
        ),
      ),
    ]);
    // The state after these requests: a site that just stopped answering is offline now.
    setSites(await api.list());
    setLoaded(true);
    setCameras(new Map(cams.filter((a) => a.ok).map((a) => [a.site.id, a.ok ? a.data : []])));
    setIncidents(mergeIncidents(open));
  }, [api]);
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout>;
    const loop = async () => {
      try {
        await refresh();
      } catch {
        // The next round tries again.
      }
      if (live) timer = setTimeout(() => void loop(), POLL_MS);
    };
    void loop();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [refresh]);
  return { sites, loaded, cameras, incidents, setSites, refresh };
}

/** Several sites at once (desktop app): the site list, a wall mixing their cameras, one incident desk, one search. */
export function SitesView({ api }: { api: DesktopSitesApi }) {
  const { sites, loaded, cameras, incidents, setSites, refresh } = useSites(api);
  const [only, setOnly] = useState('');
  const [layout, setLayout] = useState<string[]>(() => readJson<string[]>(LAYOUT_KEY, []));
  const names = useRef(new Map<string, string>(readJson<Array<[string, string]>>(NAMES_KEY, [])));

  // A site just added gets its cameras on the wall; a removed one leaves it; an offline one keeps its place.
  useEffect(() => {
    const next = syncLayout(
      layout,
      sites.map((s) => s.id),
      cameras,
    );
    // Before the first answer the site list is unknown: the saved layout stays as it is.
    if (loaded && next.join('\n') !== layout.join('\n')) {
      setLayout(next);
      localStorage.setItem(LAYOUT_KEY, JSON.stringify(next));
    }
  }, [cameras, sites, layout, loaded]);
  useEffect(() => {
    for (const [siteId, list] of cameras)
      for (const c of list) names.current.set(`${siteId}/${c.id}`, c.name);
    localStorage.setItem(NAMES_KEY, JSON.stringify([...names.current]));
  }, [cameras]);

  const tiles = useMemo(
    () => wallTiles(layout, sites, cameras, names.current).filter((t) => !only || t.siteId === only),
    [layout, sites, cameras, only],
  );
  const shownIncidents = incidents.items.filter((i) => !only || i.siteId === only);
  const cameraName = (i: SiteIncident) =>
    cameras.get(i.siteId)?.find((c) => c.id === i.cameraId)?.name ?? i.cameraId;

  return (
    <div className="sites-view">
      <label className="site-switcher">
        Site{' '}
        <select value={only} onChange={(e) => setOnly(e.target.value)} aria-label="Site">
          <option value="">All sites</option>
          {sites.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
      </label>
      <SiteList api={api} sites={sites} onChange={(l) => (setSites(l), void refresh())} />
      <section aria-label="Wall of all sites">
        <h2>Wall</h2>
        {tiles.length === 0 ? <p>No cameras yet.</p> : null}
        <div className="sites-wall">
          {tiles.map((t, i) => (
            <figure
              key={t.key}
              className={`site-tile ${t.state}`}
              aria-label={`${t.siteName} · ${t.name}`}
              data-testid={`tile-${t.key}`}
            >
              {t.state === 'streaming' && api.openLive ? (
                <SiteLiveTile
                  api={api}
                  tileKey={t.key}
                  siteId={t.siteId}
                  camera={cameras.get(t.siteId)?.find((c) => c.id === t.cameraId)}
                  cameraId={t.cameraId}
                  index={i}
                />
              ) : t.state === 'streaming' ? (
                <Snapshot api={api} siteId={t.siteId} cameraId={t.cameraId} />
              ) : null}
              <figcaption>
                <span className="site-name">{t.siteName}</span> · {t.name}
                <span className="tile-state">{t.state === 'offline' ? 'site offline' : t.state}</span>
              </figcaption>
              {t.reason ? <p className="tile-reason">{t.reason}</p> : null}
            </figure>
          ))}
        </div>
      </section>
      <section aria-label="Incidents of all sites">
        <h2>Incidents</h2>
        {shownIncidents.length === 0 ? <p>No open incidents.</p> : null}
        <ul className="sites-incidents">
          {shownIncidents.map((i) => (
            <SiteIncidentItem
              key={i.key}
              api={api}
              incident={i}
              cameraName={cameraName(i)}
              onDone={() => void refresh()}
            />
          ))}
        </ul>
        {incidents.failed
          .filter((f) => !only || f.siteId === only)
          .map((f) => (
            <p key={f.siteId} role="alert">
              Incidents of {f.siteName} could not be read: {f.error}
            </p>
          ))}
      </section>
      <Search api={api} sites={sites} only={only} />
    </div>
  );
}

/**
 * One incident on the desk of all sites, named with its site. Acknowledging goes through the relay to that site,
 * which records who acknowledged by its own rules (the person its token belongs to) and may refuse.
 */
function SiteIncidentItem(props: {
  api: DesktopSitesApi;
  incident: SiteIncident;
  cameraName: string;
  onDone: () => void;
}) {
  const { api, incident: i } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const rules = i.ruleNames.join(', ') || 'Incident';
  const acknowledge = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const r = await api.request({
        site: i.siteId,
        method: 'POST',
        path: path(Routes.incidents.ack, { id: i.id }),
        body: {},
      });
      const a = answerOf<Incident>({ id: i.siteId, name: i.siteName }, r);
      if (!a.ok) setError(`${i.siteName} did not acknowledge it: ${a.error}`);
      props.onDone();
    } catch (err) {
      setError(bridgeErrorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <li className={`site-incident ${i.severity} ${i.state}`} data-key={i.key}>
      <span className="site-name">{i.siteName}</span> · {rules} · {props.cameraName} · {objectsText(i)}{' '}
      {i.state === 'acknowledged' ? (
        <span className="muted">acknowledged by {i.acknowledgedBy ?? 'someone'}</span>
      ) : (
        <button
          type="button"
          disabled={busy}
          aria-label={`Acknowledge ${rules} (${i.siteName})`}
          onClick={() => void acknowledge()}
        >
          Acknowledge
        </button>
      )}
      {error ? <span role="alert"> {error}</span> : null}
    </li>
  );
}

const NO_ZONES: Zone[] = [];

/**
 * Live video of another site's camera, with its detection boxes: the wall's own tile, fed through the desktop's
 * relay instead of this origin's WebSocket (see live.ts).
 */
function SiteLiveTile(props: {
  api: DesktopSitesApi;
  tileKey: string;
  siteId: string;
  camera: CameraStatus | undefined;
  cameraId: string;
  index: number;
}) {
  const { api, siteId, cameraId } = props;
  const source = useMemo(() => siteLiveSource(api, siteId, cameraId), [api, siteId, cameraId]);
  return (
    <div className="tile site-live">
      <LiveTile
        tileKey={props.tileKey}
        camera={props.camera}
        cameraId={cameraId}
        selected={false}
        showZones={false}
        zones={NO_ZONES}
        index={props.index}
        source={source}
        feed={siteFeedKey(siteId, cameraId)}
      />
    </div>
  );
}

/** A snapshot every few seconds, where the desktop app cannot relay live video (an older shell). */
function Snapshot({ api, siteId, cameraId }: { api: DesktopSitesApi; siteId: string; cameraId: string }) {
  const [src, setSrc] = useState<string>();
  useEffect(() => {
    let live = true;
    const load = () =>
      void api
        .request({
          site: siteId,
          method: 'GET',
          path: path(Routes.video.snapshot, { id: cameraId }),
        })
        .then((r) => live && r.dataUrl && setSrc(r.dataUrl))
        .catch(() => {});
    load();
    const t = setInterval(load, 5000);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, [api, siteId, cameraId]);
  return src ? <img src={src} alt="" /> : null;
}

function SiteList({
  api,
  sites,
  onChange,
}: {
  api: DesktopSitesApi;
  sites: DesktopSite[];
  onChange: (sites: DesktopSite[]) => void;
}) {
  const [form, setForm] = useState({ id: '', name: '', url: '', token: '' });
  const [error, setError] = useState<string>();
  const field = (k: keyof typeof form, label: string, type = 'text') => (
    <label>
      {label}{' '}
      <input type={type} value={form[k]} onChange={(e) => setForm({ ...form, [k]: e.target.value })} />
    </label>
  );
  return (
    <section aria-label="Sites">
      <h2>Sites</h2>
      <ul className="site-list">
        {sites.map((s) => (
          <li key={s.id}>
            <span>{s.name}</span> <span className="muted">{s.url}</span>{' '}
            <span data-testid={`site-state-${s.id}`} className={`site-state ${s.state}`} title={s.detail}>
              {s.state}
            </span>{' '}
            <button
              type="button"
              aria-label={`Remove ${s.name}`}
              onClick={() => void api.remove(s.id).then(onChange)}
            >
              Remove
            </button>
          </li>
        ))}
      </ul>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setError(undefined);
          api.add(form).then(
            (l) => {
              setForm({ id: '', name: '', url: '', token: '' });
              onChange(l);
            },
            (err: unknown) => setError(bridgeErrorMessage(err)),
          );
        }}
      >
        {field('id', 'Site id')}
        {field('name', 'Site name')}
        {field('url', 'Site address')}
        {field('token', 'Site API token', 'password')}
        <button type="submit">Add site</button>
        {error ? <p role="alert">{error}</p> : null}
      </form>
    </section>
  );
}

function Search({ api, sites, only }: { api: DesktopSitesApi; sites: DesktopSite[]; only: string }) {
  const [label, setLabel] = useState('');
  const [result, setResult] = useState<MergedSearch>();
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    const q = { limit: 100, label };
    const targets = sites.filter((s) => !only || s.id === only);
    const answers = await Promise.all(
      targets.map(async (s) =>
        answerOf<EventSearchResponse>(
          s,
          await api
            .request({ site: s.id, method: 'GET', path: path(Routes.events.events, {}, q) })
            .catch((err: unknown) => ({ status: 0, error: bridgeErrorMessage(err) })),
        ),
      ),
    );
    setResult(mergeSearch(answers));
    setBusy(false);
  };
  return (
    <section aria-label="Search all sites">
      <h2>Search</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <label>
          Label <input value={label} onChange={(e) => setLabel(e.target.value)} placeholder="any" />
        </label>{' '}
        <button type="submit" disabled={busy}>
          Search all sites
        </button>
      </form>
      {result ? (
        <div>
          <ul aria-label="Totals per site" className="site-totals">
            {result.totals.map((t) => (
              <li key={t.siteId}>
                {t.siteName}: {t.total}
              </li>
            ))}
            {result.failed.map((f) => (
              <li key={f.siteId} role="alert">
                {f.siteName} did not answer: {f.error}
              </li>
            ))}
          </ul>
          <table className="site-events">
            <thead>
              <tr>
                <th>Site</th>
                <th>Time</th>
                <th>Camera</th>
                <th>Label</th>
              </tr>
            </thead>
            <tbody>
              {result.items.map((e) => (
                <tr key={e.key} data-site={e.siteId}>
                  <td>{e.siteName}</td>
                  <td>{new Date(e.startTs).toLocaleString()}</td>
                  <td>{e.cameraName || parseSiteCameraKey(`${e.siteId}/${e.cameraId}`)?.cameraId}</td>
                  <td>{e.label}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
