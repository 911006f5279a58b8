import { useEffect, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api, path, Routes } from '../lib/api-client';
import { useCameras } from '../lib/store';
import type {
  EventFacetsResponse,
  EventHistogramResponse,
  RecordingsResponse,
} from '../../../backend/src/contract';

const RANGES = [
  { id: '6h', label: '6 h', ms: 6 * 3_600_000 },
  { id: '24h', label: '24 h', ms: 86_400_000 },
  { id: '7d', label: '7 days', ms: 7 * 86_400_000 },
] as const;

const PALETTE = ['#2f81f7', '#3fb950', '#d29922', '#f85149', '#a371f7', '#39c5cf', '#ff7b72', '#e3b341'];
const AXIS = { stroke: '#8b949e', fontSize: 12 };
const TOOLTIP = { contentStyle: { background: '#161b22', border: '1px solid #30363d', color: '#e6edf3' } };

type Row = Record<string, number | string>;

/** Stacked per-camera rows of detections per time bucket, from one histogram per camera. */
export function stackByCamera(
  perCamera: Array<[string, EventHistogramResponse]>,
  format: (ts: number) => string,
): Row[] {
  const rows = new Map<number, Row>();
  for (const [cam, h] of perCamera) {
    for (const b of h.buckets) {
      const row = rows.get(b.ts) ?? { ts: b.ts, time: format(b.ts) };
      row[cam] = b.count;
      rows.set(b.ts, row);
    }
  }
  return [...rows.values()].sort((a, b) => Number(a.ts) - Number(b.ts));
}

/**
 * Share of the camera's time in [from, to] covered by recordings, in percent. The camera's time starts when the
 * backend began tracking it (a camera added minutes ago is rated over those minutes, not the whole range), and the
 * segment being written now counts.
 */
export function uptimePercent(rec: RecordingsResponse, from: number, to: number): number {
  const start = Math.max(from, rec.trackedSince ?? from);
  const span = to - start;
  if (span <= 0) return 0;
  const spans =
    rec.recordingSince === undefined
      ? rec.segments
      : [...rec.segments, { start: rec.recordingSince, end: to }];
  let covered = 0;
  for (const s of spans) covered += Math.max(0, Math.min(s.end, to) - Math.max(s.start, start));
  return Math.min(100, (covered / span) * 100);
}

function Panel(props: { title: string; note?: string; children: React.ReactNode }) {
  return (
    <section className="panel chart-panel" aria-label={props.title}>
      <h3>{props.title}</h3>
      {props.note ? <div className="unavailable">{props.note}</div> : props.children}
    </section>
  );
}

export function Dashboards() {
  const { list: cameras } = useCameras();
  const [rangeId, setRangeId] = useState<(typeof RANGES)[number]['id']>('24h');
  const [data, setData] = useState<{
    hourly?: Row[];
    hourlyNote?: string;
    labels?: Row[];
    zones?: Row[];
    facetsNote?: string;
    uptime?: Row[];
    uptimeNote?: string;
  }>({});
  const camIds = cameras.map((c) => c.id).join(',');

  useEffect(() => {
    let cancelled = false;
    const range = RANGES.find((r) => r.id === rangeId) ?? RANGES[1];
    const to = Date.now();
    const from = to - range.ms;
    const ids = camIds ? camIds.split(',') : [];
    const fmt = (ts: number) =>
      range.ms > 86_400_000
        ? new Date(ts).toLocaleDateString([], { weekday: 'short', day: 'numeric' })
        : new Date(ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false });
    void (async () => {
      const next: typeof data = {};
      const hist = await Promise.all(
        ids.map(
          async (id) =>
            [
              id,
              await api.get<EventHistogramResponse>(
                path(Routes.events.histogram, {}, { from, to, cameras: [id] }),
              ),
            ] as const,
        ),
      );
      const bad = hist.find(([, r]) => !r.ok)?.[1];
      if (bad && !bad.ok)
        next.hourlyNote = bad.notAvailable
          ? 'Detections per hour: not available on this backend.'
          : bad.message;
      else
        next.hourly = stackByCamera(
          hist.map(([id, r]) => [id, r.ok ? r.data : { interval: 'hour', buckets: [] }]),
          fmt,
        );
      const facets = await api.get<EventFacetsResponse>(path(Routes.events.facets, {}, { from, to }));
      if (facets.ok) {
        next.labels = Object.entries(facets.data.labels ?? {})
          .map(([label, count]) => ({ label, count }))
          .sort((a, b) => b.count - a.count);
        next.zones = Object.entries(facets.data.zones ?? {})
          .map(([zone, count]) => ({ zone, count }))
          .sort((a, b) => b.count - a.count)
          .slice(0, 10);
      } else next.facetsNote = facets.notAvailable ? 'not available on this backend.' : facets.message;
      const recs = await Promise.all(
        ids.map(
          async (id) =>
            [
              id,
              await api.get<RecordingsResponse>(path(Routes.video.recordings, { id }, { from, to })),
            ] as const,
        ),
      );
      const badRec = recs.find(([, r]) => !r.ok)?.[1];
      if (badRec && !badRec.ok)
        next.uptimeNote = badRec.notAvailable
          ? 'Camera uptime: not available on this backend.'
          : badRec.message;
      else
        next.uptime = recs.map(([id, r]) => ({
          camera: cameras.find((c) => c.id === id)?.name ?? id,
          uptime: r.ok ? Math.round(uptimePercent(r.data, from, to) * 10) / 10 : 0,
          gaps: r.ok ? r.data.gaps.length : 0,
        }));
      if (!cancelled) setData(next);
    })();
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rangeId, camIds]);

  const name = (id: string) => cameras.find((c) => c.id === id)?.name ?? id;
  return (
    <div className="dashboards">
      <div className="group" role="group" aria-label="Range">
        {RANGES.map((r) => (
          <button key={r.id} className={r.id === rangeId ? 'active' : ''} onClick={() => setRangeId(r.id)}>
            Last {r.label}
          </button>
        ))}
      </div>
      <div className="chart-grid">
        <Panel title="Detections per hour, by camera" note={data.hourlyNote}>
          <ResponsiveContainer width="100%" height={280}>
            <BarChart data={data.hourly ?? []}>
              <CartesianGrid stroke="#30363d" vertical={false} />
              <XAxis dataKey="time" tick={AXIS} />
              <YAxis tick={AXIS} allowDecimals={false} />
              <Tooltip {...TOOLTIP} />
              <Legend />
              {cameras.map((c, i) => (
                <Bar
                  key={c.id}
                  dataKey={c.id}
                  name={name(c.id)}
                  stackId="cams"
                  fill={PALETTE[i % PALETTE.length]}
                  isAnimationActive={false}
                />
              ))}
            </BarChart>
          </ResponsiveContainer>
        </Panel>
        <Panel title="Labels" note={data.facetsNote && `Labels: ${data.facetsNote}`}>
          <ResponsiveContainer width="100%" height={280}>
            <BarChart data={data.labels ?? []} layout="vertical">
              <CartesianGrid stroke="#30363d" horizontal={false} />
              <XAxis type="number" tick={AXIS} allowDecimals={false} />
              <YAxis type="category" dataKey="label" tick={AXIS} width={90} />
              <Tooltip {...TOOLTIP} />
              <Bar dataKey="count" fill="#2f81f7" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </Panel>
        <Panel title="Busiest zones" note={data.facetsNote && `Zones: ${data.facetsNote}`}>
          {data.zones && data.zones.length === 0 ? (
            <div className="muted">No zone activity in this range (zones are drawn in Cameras → Zones).</div>
          ) : (
            <ResponsiveContainer width="100%" height={280}>
              <BarChart data={data.zones ?? []} layout="vertical">
                <CartesianGrid stroke="#30363d" horizontal={false} />
                <XAxis type="number" tick={AXIS} allowDecimals={false} />
                <YAxis type="category" dataKey="zone" tick={AXIS} width={110} />
                <Tooltip {...TOOLTIP} />
                <Bar dataKey="count" fill="#d29922" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          )}
        </Panel>
        <Panel title="Camera uptime (recorded %) and gaps" note={data.uptimeNote}>
          <ResponsiveContainer width="100%" height={280}>
            <BarChart data={data.uptime ?? []}>
              <CartesianGrid stroke="#30363d" vertical={false} />
              <XAxis dataKey="camera" tick={AXIS} />
              <YAxis yAxisId="pct" domain={[0, 100]} tick={AXIS} unit="%" />
              <YAxis yAxisId="gaps" orientation="right" tick={AXIS} allowDecimals={false} />
              <Tooltip {...TOOLTIP} />
              <Legend />
              <Bar yAxisId="pct" dataKey="uptime" name="uptime %" fill="#3fb950" isAnimationActive={false} />
              <Bar yAxisId="gaps" dataKey="gaps" name="gaps" fill="#f85149" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </Panel>
      </div>
    </div>
  );
}
