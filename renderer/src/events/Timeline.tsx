import { useRef, useState } from 'react';
import { ExportDialog } from '../export';
import { path, Routes } from '../lib/api-client';
import { formatTime } from '../lib/format';
import { useApi } from '../lib/hooks';
import type { EventSummary, RecordingsResponse } from '../../../backend/src/contract';

const GAP_COLORS: Record<string, string> = {
  'camera down': '#f85149',
  'backend stopped': '#8b949e',
  'disk full': '#d29922',
  'recording off': '#30363d',
};

/** One camera's recordings, gaps and events over a range; click or drag to play from that moment. */
export function CameraTimeline(props: {
  cameraId: string;
  cameraName: string;
  from: number;
  to: number;
  events: EventSummary[];
  onScrub: (ts: number) => void;
}) {
  const { from, to } = props;
  const span = Math.max(1, to - from);
  const { result } = useApi<RecordingsResponse>(
    path(Routes.video.recordings, { id: props.cameraId }, { from: Math.round(from), to: Math.round(to) }),
  );
  const bar = useRef<HTMLDivElement>(null);
  const [exporting, setExporting] = useState(false);
  const pct = (ts: number) => `${(Math.max(0, Math.min(1, (ts - from) / span)) * 100).toFixed(3)}%`;
  const width = (a: number, b: number) =>
    `${(Math.max(0, (Math.min(b, to) - Math.max(a, from)) / span) * 100).toFixed(3)}%`;
  const scrubAt = (clientX: number) => {
    const rect = bar.current?.getBoundingClientRect();
    if (!rect) return;
    props.onScrub(from + ((clientX - rect.left) / rect.width) * span);
  };
  return (
    <div className="timeline">
      <div className="timeline-name">
        {props.cameraName}{' '}
        <button
          className="link"
          aria-label={`Export evidence from ${props.cameraName}`}
          onClick={() => setExporting(true)}
        >
          Export…
        </button>
      </div>
      {exporting ? (
        <ExportDialog
          cameraIds={[props.cameraId]}
          availableCameras={[{ id: props.cameraId, name: props.cameraName }]}
          from={from}
          to={to}
          onClose={() => setExporting(false)}
        />
      ) : null}
      <div
        ref={bar}
        className="timeline-bar"
        role="slider"
        aria-label={`Timeline of ${props.cameraName}`}
        aria-valuemin={from}
        aria-valuemax={to}
        aria-valuenow={from}
        tabIndex={0}
        onClick={(e) => scrubAt(e.clientX)}
        onMouseMove={(e) => {
          if (e.buttons === 1) scrubAt(e.clientX);
        }}
      >
        {result?.ok
          ? result.data.segments.map((s, i) => (
              <div
                key={`s${i}`}
                className="tl-seg"
                style={{ left: pct(s.start), width: width(s.start, s.end) }}
              />
            ))
          : null}
        {result?.ok
          ? result.data.gaps.map((g, i) => (
              <div
                key={`g${i}`}
                className="tl-gap"
                title={`${g.cause}${g.detail ? `: ${g.detail}` : ''} (${formatTime(g.start)} – ${formatTime(g.end)})`}
                style={{
                  left: pct(g.start),
                  width: width(g.start, g.end),
                  background: GAP_COLORS[g.cause] ?? '#555',
                }}
              />
            ))
          : null}
        {props.events.map((e) => (
          <div
            key={e.id}
            className="tl-event"
            title={`${e.label} ${formatTime(e.startTs)}`}
            style={{ left: pct(e.startTs) }}
          />
        ))}
      </div>
      <div className="timeline-axis muted small">
        <span>{formatTime(from)}</span>
        {result && !result.ok ? (
          <span>{result.notAvailable ? 'recordings: not available' : result.message}</span>
        ) : null}
        <span>{formatTime(to)}</span>
      </div>
    </div>
  );
}
