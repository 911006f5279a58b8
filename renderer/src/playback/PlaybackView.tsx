import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { EventSearchResponse, EventSummary } from '../../../backend/src/contract/events-api';
import type { RecordingTimelineResponse } from '../../../backend/src/contract/video-api';
import { ExportDialog } from '../export';
import { api, path, Routes } from '../lib/api-client';
import { formatTime } from '../lib/format';
import { useCameras } from '../lib/store';
import {
  MAX_PLAYBACK_CAMERAS,
  SPEEDS,
  follow,
  fractionOf,
  frameMs,
  nominalFps,
  parsePlayback,
  playbackHash,
  spreadMs,
  ticks,
  timeAtX,
  zoom,
  type TimelineView,
} from './model';
import { TileSync, type TileState } from './tile-sync';
import './playback.css';

/** The shared clock of a playback view: an instant that advances at `speed` while playing. */
class PlaybackClock {
  #t: number;
  #at = performance.now();
  playing = false;
  speed = 1;
  constructor(t: number) {
    this.#t = t;
  }
  now(at = performance.now()): number {
    return this.playing ? this.#t + (at - this.#at) * this.speed : this.#t;
  }
  set(t: number): void {
    this.#t = t;
    this.#at = performance.now();
  }
  /** Holds the instant where it is (a tile is still loading): playing resumes from here. */
  hold(): void {
    this.set(this.now());
  }
  setPlaying(playing: boolean): void {
    this.set(this.now());
    this.playing = playing;
  }
  setSpeed(speed: number): void {
    this.set(this.now());
    this.speed = speed;
  }
}

declare global {
  interface Window {
    /** The playback view's tiles, read by tests and diagnostics: what each tile shows at one moment. */
    vigilPlayback?: {
      sample(): Array<{ cameraId: string; mediaTime: number; instant: number | undefined; state: TileState }>;
      clock(): { t: number; playing: boolean; speed: number };
    };
  }
}

const GAP_TEXT: Record<string, string> = {
  'camera down': 'Camera down',
  'backend stopped': 'Backend stopped',
  'disk full': 'Disk full',
  'recording off': 'Recording off',
  'deleted by retention': 'Deleted by retention',
};

function spanLabel(ms: number): string {
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} days`;
}

function clockText(t: number): string {
  const d = new Date(t);
  return `${d.toLocaleDateString()} ${d.toLocaleTimeString([], { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/**
 * Synced playback of 1–16 cameras on one timeline: every tile shows the same instant; the timeline zooms from
 * minutes to days, is dragged to scrub, and shows per camera its recorded spans, gaps with their causes and events.
 */
export function PlaybackView(props: { params: URLSearchParams }) {
  const cameras = useCameras();
  // Keyed on the text of the route: the App parses a new URLSearchParams on every render.
  const routeText = props.params.toString();
  const initial = useMemo(() => parsePlayback(new URLSearchParams(routeText), Date.now()), [routeText]);
  const [cameraIds, setCameraIds] = useState<string[]>(initial.cameraIds);
  const clockRef = useRef(new PlaybackClock(initial.t));
  const clock = clockRef.current;
  const [t, setT] = useState(initial.t);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState(1);
  const [spanMs, setSpanMs] = useState(15 * 60_000);
  const [view, setView] = useState<TimelineView>(() => follow({ from: 0, to: 0 }, initial.t, 15 * 60_000));
  const tiles = useRef(new Map<string, TileSync>());
  const [, setRevision] = useState(0);
  const [note, setNote] = useState<string | undefined>();
  const [exporting, setExporting] = useState<{ from: number; to: number } | undefined>();

  // A new route (the live wall's "go back", a link) moves the view there.
  useEffect(() => {
    setCameraIds(initial.cameraIds);
    clock.set(initial.t);
    setT(initial.t);
  }, [initial, clock]);

  // With no camera named, the first cameras of the site.
  useEffect(() => {
    if (cameraIds.length === 0 && cameras.list.length > 0)
      setCameraIds(cameras.list.slice(0, 4).map((c) => c.id));
  }, [cameraIds.length, cameras.list]);

  const jump = useCallback(
    (to: number) => {
      const target = Math.min(Math.round(to), Date.now());
      clock.set(target);
      setT(target);
    },
    [clock],
  );

  // One loop keeps every tile on the clock: it waits for a tile that is loading, so none runs ahead.
  useEffect(() => {
    let raf = 0;
    let lastUi = 0;
    const loop = (at: number) => {
      raf = requestAnimationFrame(loop);
      const now = clock.now(at);
      if (clock.playing && now >= Date.now()) {
        clock.set(Date.now());
        clock.playing = false;
        setPlaying(false);
      }
      const list = [...tiles.current.values()];
      const waiting = clock.playing ? list.filter((tile) => tile.holding(at)) : [];
      if (waiting.length) clock.hold();
      const instant = clock.now(at);
      // While the clock waits for a tile, the others wait too (paused on the instant) instead of running ahead and
      // having to seek back.
      for (const tile of list)
        tile.sync(instant, clock.playing && (waiting.length === 0 || waiting.includes(tile)), clock.speed);
      if (at - lastUi > 200) {
        lastUi = at;
        setT(Math.round(instant));
      }
    };
    raf = requestAnimationFrame(loop);
    window.vigilPlayback = {
      sample: () =>
        [...tiles.current.values()].map((tile) => ({
          cameraId: tile.cameraId,
          mediaTime: tile.video.currentTime,
          instant: tile.shownInstant(),
          state: tile.state,
        })),
      clock: () => ({ t: clock.now(), playing: clock.playing, speed: clock.speed }),
    };
    return () => {
      cancelAnimationFrame(raf);
      delete window.vigilPlayback;
    };
  }, [clock]);

  // The timeline follows the playhead: it moves only when the playhead nears an edge.
  useEffect(() => setView((v) => follow(v, t, spanMs)), [t, spanMs]);
  useEffect(() => setView((v) => follow(v, clock.now(), spanMs)), [spanMs, clock]);

  const setPlay = (p: boolean) => {
    clock.setPlaying(p);
    setPlaying(p);
  };
  const setRate = (s: number) => {
    clock.setSpeed(s);
    setSpeed(s);
  };
  const fps = Math.max(0, ...cameraIds.map((id) => cameras.list.find((c) => c.id === id)?.fpsIn ?? 0));
  const step = (frames: number) => {
    setPlay(false);
    // The frame of the footage as the tiles measured it while playing; else the camera's nominal rate.
    const measured = [...tiles.current.values()].map((tile) => tile.frameMs()).find((ms) => ms !== undefined);
    jump(clock.now() + frames * (measured ?? frameMs(nominalFps(fps))));
  };

  const findEvent = async (direction: 'previous' | 'next') => {
    if (!cameraIds.length) return;
    const now = clock.now();
    const range =
      direction === 'next'
        ? { from: Math.floor(now) + 1, to: Math.max(Date.now(), Math.floor(now) + 2), sort: 'oldest' }
        : { from: Math.max(0, Math.floor(now) - 30 * 86_400_000), to: Math.floor(now), sort: 'newest' };
    const r = await api.get<EventSearchResponse>(
      path(Routes.events.events, {}, { ...range, limit: 1, cameras: cameraIds }),
    );
    const ev = r.ok ? r.data.items[0] : undefined;
    setNote(r.ok ? (ev ? undefined : `No ${direction} event on these cameras.`) : `Events: ${r.message}`);
    if (ev) jump(ev.startTs);
  };

  const setCameras = (ids: string[]) => {
    const next = ids.slice(0, MAX_PLAYBACK_CAMERAS);
    setCameraIds(next);
    history.replaceState(null, '', playbackHash(next, clock.now()));
  };

  const columns = Math.ceil(Math.sqrt(Math.max(1, cameraIds.length)));
  const name = (id: string) => cameras.list.find((c) => c.id === id)?.name ?? id;
  const spread = spreadMs(
    [...tiles.current.values()]
      .filter((tile) => tile.state === 'playing' || tile.state === 'paused')
      .map((tile) => tile.shownInstant())
      .filter((x): x is number => x !== undefined),
  );

  return (
    <div className="playback-view">
      <div className="pb-toolbar" role="toolbar" aria-label="Playback controls">
        <button onClick={() => void findEvent('previous')} aria-label="Previous event" title="Previous event">
          ◀◀ event
        </button>
        <button onClick={() => step(-1)} aria-label="Previous frame" title="Back one frame">
          ◀|
        </button>
        <button className="primary" onClick={() => setPlay(!playing)} aria-label={playing ? 'Pause' : 'Play'}>
          {playing ? '❚❚' : '▶'}
        </button>
        <button onClick={() => step(1)} aria-label="Next frame" title="Forward one frame">
          |▶
        </button>
        <button onClick={() => void findEvent('next')} aria-label="Next event" title="Next event">
          event ▶▶
        </button>
        <label>
          Speed
          <select value={speed} onChange={(e) => setRate(Number(e.target.value))} aria-label="Speed">
            {SPEEDS.map((s) => (
              <option key={s} value={s}>
                {s}×
              </option>
            ))}
          </select>
        </label>
        <span className="pb-clock" aria-label="Playback time" data-t={t}>
          {clockText(t)}
        </span>
        <span className="muted small" title="Largest difference between the instants the tiles show">
          sync {Math.round(spread)} ms
        </span>
        {note ? <span className="muted small">{note}</span> : null}
        <button
          disabled={cameraIds.length === 0}
          onClick={() => {
            // The range on the timeline, up to now, at most a day (the longest export).
            const to = Math.min(view.to, Date.now());
            setExporting({ from: Math.max(view.from, to - 86_400_000), to });
          }}
        >
          Export…
        </button>
        <details className="pb-cameras">
          <summary>Cameras ({cameraIds.length})</summary>
          <fieldset aria-label="Cameras to play back">
            {cameras.list.map((c) => (
              <label key={c.id} className="check">
                <input
                  type="checkbox"
                  checked={cameraIds.includes(c.id)}
                  disabled={!cameraIds.includes(c.id) && cameraIds.length >= MAX_PLAYBACK_CAMERAS}
                  onChange={(e) =>
                    setCameras(e.target.checked ? [...cameraIds, c.id] : cameraIds.filter((x) => x !== c.id))
                  }
                />
                {c.name}
              </label>
            ))}
          </fieldset>
        </details>
      </div>
      <div
        className="pb-grid"
        style={{ gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))` }}
        aria-label="Playback tiles"
      >
        {cameraIds.map((id) => (
          <PlaybackTile
            key={id}
            cameraId={id}
            name={name(id)}
            register={(tile) => {
              if (tile) tiles.current.set(id, tile);
              else tiles.current.delete(id);
            }}
            onChange={() => setRevision((r) => r + 1)}
            tile={tiles.current.get(id)}
          />
        ))}
        {cameraIds.length === 0 ? <div className="muted">Choose cameras to play back.</div> : null}
      </div>
      {exporting ? (
        <ExportDialog
          cameraIds={cameraIds}
          availableCameras={cameras.list.map((c) => ({ id: c.id, name: c.name }))}
          from={exporting.from}
          to={exporting.to}
          onClose={() => setExporting(undefined)}
        />
      ) : null}
      <PlaybackTimeline
        cameraIds={cameraIds}
        name={name}
        view={view}
        t={t}
        spanMs={spanMs}
        onZoom={(d) => setSpanMs((s) => zoom(s, d))}
        onSeek={jump}
        onScrub={(active) => {
          if (active && clock.playing) {
            clock.setPlaying(false);
            return true;
          }
          return false;
        }}
        onScrubEnd={(resume) => resume && setPlay(true)}
      />
    </div>
  );
}

function PlaybackTile(props: {
  cameraId: string;
  name: string;
  tile: TileSync | undefined;
  register: (tile: TileSync | undefined) => void;
  onChange: () => void;
}) {
  const videoRef = useRef<HTMLVideoElement>(null);
  const { register, onChange, cameraId } = props;
  const changeRef = useRef(onChange);
  changeRef.current = onChange;
  useEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    const tile = new TileSync(cameraId, video, () => changeRef.current());
    register(tile);
    changeRef.current();
    return () => {
      register(undefined);
      tile.dispose();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [cameraId]);
  const state = props.tile?.state ?? 'loading';
  const gap = props.tile?.gap;
  return (
    <div className="pb-tile" data-camera={cameraId} data-state={state}>
      <video ref={videoRef} className="pb-video" muted playsInline data-camera={cameraId} />
      <div className="tile-top">
        <span className="tile-name">{props.name}</span>
      </div>
      {state === 'gap' ? (
        <div className="tile-message">
          No footage
          {gap ? `: ${GAP_TEXT[gap.cause] ?? gap.cause}${gap.detail ? ` (${gap.detail})` : ''}` : ''}
        </div>
      ) : state === 'loading' ? (
        <div className="tile-message subtle">Loading…</div>
      ) : state === 'error' ? (
        <div className="tile-message">The footage could not be played.</div>
      ) : null}
    </div>
  );
}

interface RowData {
  timeline?: RecordingTimelineResponse;
  events: EventSummary[];
}

function PlaybackTimeline(props: {
  cameraIds: string[];
  name: (id: string) => string;
  view: TimelineView;
  t: number;
  spanMs: number;
  onZoom: (direction: 'in' | 'out') => void;
  onSeek: (t: number) => void;
  onScrub: (active: boolean) => boolean;
  onScrubEnd: (resume: boolean) => void;
}) {
  const { view, cameraIds } = props;
  const [rows, setRows] = useState<Record<string, RowData>>({});
  const trackRef = useRef<HTMLDivElement>(null);
  const drag = useRef<{ resume: boolean } | undefined>(undefined);
  // Recordings and events of the range on screen; again when the range moves (a few times a second at most).
  const key = `${cameraIds.join(',')}|${Math.round(view.from / 5000)}|${Math.round(view.to / 5000)}`;
  useEffect(() => {
    let cancelled = false;
    const timer = setTimeout(() => {
      const from = Math.max(0, Math.floor(view.from));
      const to = Math.max(from + 1, Math.ceil(Math.min(view.to, Date.now())));
      void Promise.all(
        cameraIds.map(async (id) => {
          const [tl, ev] = await Promise.all([
            api.get<RecordingTimelineResponse>(path(Routes.video.timeline, { id }, { from, to })),
            api.get<EventSearchResponse>(
              path(Routes.events.events, {}, { cameras: [id], from, to, sort: 'oldest', limit: 500 }),
            ),
          ]);
          return [id, { timeline: tl.ok ? tl.data : undefined, events: ev.ok ? ev.data.items : [] }] as const;
        }),
      ).then((entries) => {
        if (!cancelled) setRows(Object.fromEntries(entries));
      });
    }, 150);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  const xToTime = (clientX: number): number => {
    const box = trackRef.current?.getBoundingClientRect();
    if (!box) return props.t;
    return timeAtX(view, clientX - box.left, box.width);
  };
  const pct = (ts: number) => `${(fractionOf(view, ts) * 100).toFixed(3)}%`;
  const width = (a: number, b: number) =>
    `${Math.max(0.15, (fractionOf(view, b) - fractionOf(view, a)) * 100).toFixed(3)}%`;

  return (
    <section className="pb-timeline" aria-label="Timeline">
      <div className="pb-timeline-bar">
        <button onClick={() => props.onZoom('in')} aria-label="Zoom in">
          +
        </button>
        <button onClick={() => props.onZoom('out')} aria-label="Zoom out">
          −
        </button>
        <span className="muted small" aria-label="Timeline span">
          {spanLabel(props.spanMs)}
        </span>
        <button onClick={() => props.onSeek(props.t - (view.to - view.from) / 2)} aria-label="Earlier">
          ‹
        </button>
        <button onClick={() => props.onSeek(props.t + (view.to - view.from) / 2)} aria-label="Later">
          ›
        </button>
        <span className="muted small">
          {formatTime(view.from, true)} – {formatTime(view.to, true)}
        </span>
      </div>
      <div className="pb-rows">
        <div className="pb-names">
          <div className="pb-axis-name" />
          {cameraIds.map((id) => (
            <div key={id} className="pb-name">
              {props.name(id)}
            </div>
          ))}
        </div>
        <div
          ref={trackRef}
          className="pb-tracks"
          role="slider"
          aria-label="Scrub"
          aria-valuemin={view.from}
          aria-valuemax={view.to}
          aria-valuenow={props.t}
          data-view-from={Math.round(view.from)}
          data-view-to={Math.round(view.to)}
          tabIndex={0}
          onWheel={(e) => props.onZoom(e.deltaY < 0 ? 'in' : 'out')}
          onPointerDown={(e) => {
            if ((e.target as HTMLElement).closest('button')) return;
            e.currentTarget.setPointerCapture(e.pointerId);
            drag.current = { resume: props.onScrub(true) };
            props.onSeek(xToTime(e.clientX));
          }}
          onPointerMove={(e) => {
            if (drag.current) props.onSeek(xToTime(e.clientX));
          }}
          onPointerUp={(e) => {
            if (!drag.current) return;
            props.onSeek(xToTime(e.clientX));
            props.onScrubEnd(drag.current.resume);
            drag.current = undefined;
          }}
          onKeyDown={(e) => {
            const stepMs = (view.to - view.from) / 100;
            if (e.key === 'ArrowLeft') props.onSeek(props.t - stepMs);
            if (e.key === 'ArrowRight') props.onSeek(props.t + stepMs);
          }}
        >
          <div className="pb-axis">
            {ticks(view).map((tick) => (
              <span key={tick} className="pb-tick" style={{ left: pct(tick) }}>
                {formatTime(tick, view.to - view.from > 86_400_000).replace(/:00$/, '')}
              </span>
            ))}
          </div>
          {cameraIds.map((id) => {
            const row = rows[id];
            return (
              <div key={id} className="pb-track" data-camera={id}>
                {row?.timeline?.segments.map((s) => (
                  <span
                    key={`s${s.start}`}
                    className="pb-rec"
                    style={{ left: pct(s.start), width: width(s.start, s.end) }}
                  />
                ))}
                {row?.timeline?.recordingSince !== undefined ? (
                  <span
                    className="pb-rec pb-rec-open"
                    style={{
                      left: pct(row.timeline.recordingSince),
                      width: width(row.timeline.recordingSince, Math.min(view.to, Date.now())),
                    }}
                  />
                ) : null}
                {row?.timeline?.gaps.map((g) => (
                  <button
                    key={`g${g.start}-${g.cause}`}
                    className={`pb-gap cause-${g.cause.replace(/\s+/g, '-')}`}
                    style={{ left: pct(g.start), width: width(g.start, g.end) }}
                    title={`${GAP_TEXT[g.cause] ?? g.cause}${g.detail ? `: ${g.detail}` : ''} · ${formatTime(g.start, true)} – ${formatTime(g.end)}`}
                    aria-label={`Gap on ${props.name(id)}: ${GAP_TEXT[g.cause] ?? g.cause} at ${formatTime(g.start)}`}
                    onClick={() => props.onSeek(g.start)}
                  />
                ))}
                {row?.events.map((ev) => (
                  <button
                    key={ev.id}
                    className="pb-event"
                    style={{ left: pct(ev.startTs) }}
                    title={`${ev.label} ${formatTime(ev.startTs)}`}
                    aria-label={`Event: ${ev.label} on ${props.name(id)} at ${formatTime(ev.startTs)}`}
                    onClick={() => props.onSeek(ev.startTs)}
                  />
                ))}
              </div>
            );
          })}
          <div className="pb-playhead" style={{ left: pct(props.t) }} aria-hidden />
        </div>
      </div>
    </section>
  );
}
