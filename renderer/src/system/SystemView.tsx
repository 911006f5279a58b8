import { useEffect, useState } from 'react';
import { Line, LineChart, ResponsiveContainer, Tooltip, YAxis } from 'recharts';
import type { HealthResponse } from '../../../backend/src/contract';
import { path, Routes } from '../lib/api-client';
import { formatBytes, formatTime } from '../lib/format';
import { useApi } from '../lib/hooks';
import { Unavailable } from '../lib/Unavailable';
import { useCameras } from '../lib/store';
import type { DetectStats, RetentionLogEntry, StorageResponse } from '../../../backend/src/contract';
import { parsePrometheus, sumMetric, type MetricSample } from './metrics';
import { RetentionPanel } from './RetentionPanel';

interface Point {
  t: number;
  [series: string]: number;
}

/** The small charts: values read from /metrics every few seconds while the view is open. */
const SERIES: Array<{
  key: string;
  title: string;
  unit: string;
  read: (s: MetricSample[], prev?: MetricSample[], dt?: number) => number | undefined;
}> = [
  {
    key: 'fpsIn',
    title: 'Frames in (all cameras)',
    unit: 'fps',
    read: (s) => sumMetric(s, 'vigil_camera_fps_in') ?? sumMetric(s, 'vigil_video_fps_in'),
  },
  {
    key: 'inference',
    title: 'Inference time (average)',
    unit: 'ms',
    read: (s, prev) => {
      const sum = sumMetric(s, 'vigil_detect_inference_seconds_sum');
      const count = sumMetric(s, 'vigil_detect_inference_seconds_count');
      const sum0 = prev ? (sumMetric(prev, 'vigil_detect_inference_seconds_sum') ?? 0) : 0;
      const count0 = prev ? (sumMetric(prev, 'vigil_detect_inference_seconds_count') ?? 0) : 0;
      if (sum === undefined || count === undefined || count - count0 <= 0) return undefined;
      return ((sum - sum0) / (count - count0)) * 1000;
    },
  },
  {
    key: 'segments',
    title: 'Recorded segments',
    unit: '',
    read: (s) => sumMetric(s, 'vigil_recording_segments_total'),
  },
  {
    key: 'apiRate',
    title: 'API requests',
    unit: '/s',
    read: (s, prev, dt) => {
      const now = sumMetric(s, 'vigil_api_request_duration_seconds_count');
      const before = prev && sumMetric(prev, 'vigil_api_request_duration_seconds_count');
      return now !== undefined && before !== undefined && dt ? Math.max(0, (now - before) / dt) : undefined;
    },
  },
  { key: 'wsClients', title: 'Live clients', unit: '', read: (s) => sumMetric(s, 'vigil_ws_clients') },
  {
    key: 'rss',
    title: 'Backend memory',
    unit: 'MB',
    read: (s) => {
      const v = sumMetric(s, 'process_resident_memory_bytes');
      return v === undefined ? undefined : v / 1e6;
    },
  },
  {
    key: 'wsDropped',
    title: 'Realtime messages dropped',
    unit: '',
    read: (s) => sumMetric(s, 'vigil_ws_dropped_total') ?? 0,
  },
];

function useMetricHistory(): { points: Point[]; error?: string; latest?: MetricSample[] } {
  const [state, setState] = useState<{ points: Point[]; error?: string; latest?: MetricSample[] }>({
    points: [],
  });
  useEffect(() => {
    let prev: { samples: MetricSample[]; t: number } | undefined;
    let cancelled = false;
    const poll = async () => {
      try {
        const res = await fetch(Routes.app.metrics, { credentials: 'same-origin' });
        if (!res.ok)
          throw new Error(res.status === 404 ? 'Metrics: not available.' : `Metrics: HTTP ${res.status}`);
        const samples = parsePrometheus(await res.text());
        const t = Date.now();
        const point: Point = { t };
        for (const s of SERIES) {
          const v = s.read(samples, prev?.samples, prev ? (t - prev.t) / 1000 : undefined);
          if (v !== undefined && Number.isFinite(v)) point[s.key] = Math.round(v * 100) / 100;
        }
        prev = { samples, t };
        if (!cancelled) setState((st) => ({ points: [...st.points.slice(-59), point], latest: samples }));
      } catch (err) {
        if (!cancelled) setState((st) => ({ ...st, error: (err as Error).message }));
      }
    };
    void poll();
    const timer = setInterval(() => void poll(), 3000);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, []);
  return state;
}

export function SystemView() {
  const health = useApi<HealthResponse>('/healthz', 5000);
  const { list: cameras, error: camError } = useCameras();
  const storage = useApi<StorageResponse>(Routes.video.storage, 30_000);
  const retention = useApi<RetentionLogEntry[]>(path(Routes.video.retentionLog, {}, { limit: 50 }), 30_000);
  const detect = useApi<DetectStats>(Routes.detect.stats, 5000);
  const metrics = useMetricHistory();

  const services = health.result?.ok ? Object.entries(health.result.data.services) : [];
  return (
    <div className="system-view">
      <section className="panel" aria-label="Services">
        <h3>Services</h3>
        <Unavailable result={health.result} what="Health" />
        {health.result?.ok ? (
          <div className="muted small">
            Backend {health.result.data.version} · up {Math.round(health.result.data.uptimeSeconds / 60)} min
            · {health.result.data.status}
          </div>
        ) : null}
        <table>
          <tbody>
            {services.map(([name, s]) => (
              <tr key={name}>
                <td>{name}</td>
                <td>
                  <span className={`badge svc-${s.status}`}>{s.status}</span>
                </td>
                <td className="muted">{s.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="panel" aria-label="Camera health">
        <h3>Cameras</h3>
        {camError ? <div className="unavailable">{camError}</div> : null}
        <table>
          <thead>
            <tr>
              <th>Camera</th>
              <th>State</th>
              <th>fps in/out</th>
              <th>analysed</th>
              <th>recording</th>
            </tr>
          </thead>
          <tbody>
            {cameras.map((c) => {
              const d = detect.result?.ok ? detect.result.data.perCamera?.[c.id] : undefined;
              return (
                <tr key={c.id}>
                  <td>{c.name}</td>
                  <td>
                    <span className={`badge state-${c.state}`}>{c.state}</span>{' '}
                    <span className="muted small">{c.reason ?? ''}</span>
                  </td>
                  <td>
                    {c.fpsIn?.toFixed?.(1) ?? '–'} / {c.fpsOut?.toFixed?.(1) ?? '–'}
                  </td>
                  <td>
                    {d ? `${d.framesAnalysed} (${d.skippedNoMotion} still, ${d.droppedBehind} behind)` : '–'}
                  </td>
                  <td>{c.recording ? 'yes' : 'no'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {detect.result?.ok ? (
          <div className="muted small">
            Detection: {detect.result.data.backend}, {detect.result.data.model},{' '}
            {detect.result.data.inferenceMsP50} ms p50
          </div>
        ) : (
          <Unavailable result={detect.result} what="Detection statistics" />
        )}
      </section>
      <section className="panel" aria-label="Metrics">
        <h3>Metrics</h3>
        {metrics.error ? <div className="unavailable">{metrics.error}</div> : null}
        <div className="spark-grid">
          {SERIES.map((s) => {
            const last = [...metrics.points].reverse().find((p) => p[s.key] !== undefined)?.[s.key];
            return (
              <div key={s.key} className="spark">
                <div className="small muted">{s.title}</div>
                <div className="spark-value">{last === undefined ? 'n/a' : `${last} ${s.unit}`}</div>
                <ResponsiveContainer width="100%" height={50}>
                  <LineChart data={metrics.points}>
                    <YAxis hide domain={['auto', 'auto']} />
                    <Tooltip
                      contentStyle={{ background: '#161b22', border: '1px solid #30363d' }}
                      labelFormatter={() => ''}
                    />
                    <Line
                      dataKey={s.key}
                      stroke="#2f81f7"
                      dot={false}
                      isAnimationActive={false}
                      strokeWidth={2}
                    />
                  </LineChart>
                </ResponsiveContainer>
              </div>
            );
          })}
        </div>
      </section>
      <section className="panel" aria-label="Storage">
        <h3>Storage</h3>
        <Unavailable result={storage.result} what="Storage" />
        {storage.result?.ok ? (
          <>
            <div className="meter" title="used / total">
              <div
                className="meter-fill"
                style={{
                  width: `${(100 * (storage.result.data.totalBytes - storage.result.data.freeBytes)) / Math.max(1, storage.result.data.totalBytes)}%`,
                }}
              />
            </div>
            <div className="small">
              {formatBytes(storage.result.data.totalBytes - storage.result.data.freeBytes)} used of{' '}
              {formatBytes(storage.result.data.totalBytes)} · {formatBytes(storage.result.data.freeBytes)}{' '}
              free · recordings {formatBytes(storage.result.data.usedByRecordings)}
            </div>
            <ul className="small">
              {Object.entries(storage.result.data.perCamera ?? {}).map(([id, bytes]) => (
                <li key={id}>
                  {cameras.find((c) => c.id === id)?.name ?? id}: {formatBytes(bytes)}
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </section>
      <section className="panel" aria-label="Retention">
        <h3>Retention</h3>
        <RetentionPanel cameras={cameras} />
      </section>
      <section className="panel" aria-label="Retention log">
        <h3>Retention log</h3>
        <Unavailable result={retention.result} what="Retention log" />
        {retention.result?.ok ? (
          retention.result.data.length === 0 ? (
            <div className="muted">Nothing deleted yet.</div>
          ) : (
            <table>
              <tbody>
                {retention.result.data.map((r, i) => (
                  <tr key={i}>
                    <td>{formatTime(r.ts, true)}</td>
                    <td>{r.cameraId}</td>
                    <td>
                      {formatTime(r.start)} – {formatTime(r.end)}
                    </td>
                    <td>{formatBytes(r.bytes)}</td>
                    <td className="muted">{r.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        ) : null}
      </section>
    </div>
  );
}
