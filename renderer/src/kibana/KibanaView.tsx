import { useEffect, useMemo, useState } from 'react';
import type { KibanaResponse } from '../../../backend/src/contract/api';
import { useCameras } from '../lib/store';
import { KIBANA_EMBED_DOC, kibanaEmbedAdvice, LoginLoopDetector } from './kibana-embed';
import { KIBANA_RANGES, kibanaDashboardUrl } from './kibana-url';

/**
 * Kibana dashboards of a cluster deployment, embedded in a sandboxed frame (the page's CSP allows frames from the
 * Kibana origin only), with the time range and camera filter passed in the URL. When the frame keeps going back to
 * Kibana's login page (its session cookie is not sent to a frame on another site), it says so and what to do.
 */
export function KibanaView(props: { kibana: KibanaResponse }) {
  const { kibana } = props;
  const cameras = useCameras();
  const [dashboard, setDashboard] = useState(kibana.dashboards[0]?.id ?? '');
  const [from, setFrom] = useState<string>(KIBANA_RANGES[1].from);
  const [camera, setCamera] = useState('');
  const [looping, setLooping] = useState(false);
  const detector = useMemo(() => new LoginLoopDetector(), []);
  const advice = useMemo(() => kibanaEmbedAdvice(window.location.href, kibana.url), [kibana.url]);
  const src = dashboard ? kibanaDashboardUrl(kibana.url, dashboard, from, camera || undefined) : '';
  useEffect(() => {
    detector.reset();
    setLooping(false);
  }, [detector, src]);
  if (!dashboard)
    return <p className="unavailable">No Kibana dashboard is configured (cluster.kibana.dashboards).</p>;
  return (
    <div
      className="kibana-view"
      style={{
        display: 'grid',
        gridTemplateRows: looping || advice ? 'auto auto 1fr' : 'auto 1fr',
        height: '100%',
        gap: '0.5rem',
      }}
    >
      <div className="filters" style={{ display: 'flex', gap: '0.5rem', alignItems: 'center' }}>
        <label>
          Dashboard{' '}
          <select value={dashboard} onChange={(e) => setDashboard(e.target.value)}>
            {kibana.dashboards.map((d) => (
              <option key={d.id} value={d.id}>
                {d.title}
              </option>
            ))}
          </select>
        </label>
        <label>
          Range{' '}
          <select value={from} onChange={(e) => setFrom(e.target.value)}>
            {KIBANA_RANGES.map((r) => (
              <option key={r.from} value={r.from}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Camera{' '}
          <select value={camera} onChange={(e) => setCamera(e.target.value)}>
            <option value="">All cameras</option>
            {cameras.list.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      {looping ? (
        <div className="error" role="alert">
          <p>
            Kibana keeps returning to its login page inside Vigil: its session cookie is not sent to this
            embedded frame.{' '}
            {advice ?? 'Check xpack.security.sameSiteCookies and the proxy in front of Kibana.'} See{' '}
            {KIBANA_EMBED_DOC}.
          </p>
          <p>
            <a href={src} target="_blank" rel="noreferrer">
              Open the dashboard in Kibana
            </a>{' '}
            meanwhile.
          </p>
        </div>
      ) : advice ? (
        <p className="hint">{advice}</p>
      ) : null}
      <iframe
        title="Kibana dashboard"
        src={src}
        sandbox="allow-scripts allow-same-origin allow-forms"
        referrerPolicy="no-referrer"
        onLoad={() => {
          if (detector.load(Date.now())) setLooping(true);
        }}
        style={{ width: '100%', height: '100%', minHeight: '70vh', border: 0, background: '#fff' }}
      />
    </div>
  );
}
