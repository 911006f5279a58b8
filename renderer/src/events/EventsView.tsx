import { useCallback, useEffect, useRef, useState } from 'react';
import { api, formatTime } from '../lib/http';
import { useApi } from '../lib/hooks';
import { Unavailable } from '../lib/Unavailable';
import { useCameras } from '../lib/store';
import type { EventSummary, EventSearchResponse, EventFacetsResponse } from '../../../backend/src/contract';
import { EventDetailPanel } from './EventDetail';
import {
  DEFAULT_FILTER,
  PRESETS,
  filterToQuery,
  resolveRange,
  toLocalInput,
  type EventFilter,
  resultCount,
} from './filters';
import { CameraTimeline } from './Timeline';

const PAGE = 40;

function toggle(list: string[], value: string): string[] {
  return list.includes(value) ? list.filter((v) => v !== value) : [...list, value];
}

export function EventsView() {
  const { list: cameras } = useCameras();
  const [filter, setFilter] = useState<EventFilter>(() => {
    try {
      return {
        ...DEFAULT_FILTER,
        ...(JSON.parse(sessionStorage.getItem('vigil.events.filter') ?? '{}') as Partial<EventFilter>),
      };
    } catch {
      return DEFAULT_FILTER;
    }
  });
  const [text, setText] = useState(filter.q);
  // The moment the search was run: the range stays put while scrolling.
  const [anchor, setAnchor] = useState(() => Date.now());
  const [items, setItems] = useState<EventSummary[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const [counted, setCounted] = useState<Pick<EventSearchResponse, 'total' | 'totalRelation'> | undefined>();
  const [status, setStatus] = useState<{ loading: boolean; error?: string; notAvailable?: boolean }>({
    loading: false,
  });
  const [selected, setSelected] = useState<EventSummary | undefined>();
  const [seek, setSeek] = useState<{ cameraId: string; ts: number } | undefined>();
  const sentinel = useRef<HTMLDivElement>(null);
  const query = filterToQuery(filter, anchor);
  const facets = useApi<EventFacetsResponse>(`/api/events/facets?${query}`);

  useEffect(() => {
    sessionStorage.setItem('vigil.events.filter', JSON.stringify(filter));
  }, [filter]);

  const load = useCallback(
    async (reset: boolean, after?: string) => {
      setStatus({ loading: true });
      const r = await api.get<EventSearchResponse>(
        `/api/events?${filterToQuery(filter, anchor, { limit: PAGE, cursor: after })}`,
      );
      if (!r.ok) {
        setStatus({ loading: false, error: r.message, notAvailable: r.notAvailable });
        return;
      }
      const page = r.data;
      setItems((prev) =>
        reset ? page.items : [...prev, ...page.items.filter((i) => !prev.some((p) => p.id === i.id))],
      );
      setCursor(page.nextCursor);
      setCounted({ total: page.total, totalRelation: page.totalRelation });
      setStatus({ loading: false });
    },
    [filter, anchor],
  );

  useEffect(() => {
    setItems([]);
    setCounted(undefined);
    setCursor(undefined);
    void load(true);
  }, [load]);

  // Infinite scroll: load the next page when the end of the list comes into view.
  useEffect(() => {
    const el = sentinel.current;
    if (!el) return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && cursor && !status.loading) void load(false, cursor);
    });
    io.observe(el);
    return () => io.disconnect();
  }, [cursor, status.loading, load]);

  const update = (patch: Partial<EventFilter>) => {
    setFilter((f) => ({ ...f, ...patch }));
    setAnchor(Date.now());
  };
  const range = resolveRange(filter, anchor);
  const labelOptions = Object.keys(facets.result?.ok ? (facets.result.data.labels ?? {}) : {});
  for (const l of ['person', 'car', 'bicycle', 'dog']) if (!labelOptions.includes(l)) labelOptions.push(l);
  const zoneOptions = Object.keys(facets.result?.ok ? (facets.result.data.zones ?? {}) : {});
  const name = (id: string) => cameras.find((c) => c.id === id)?.name ?? id;

  return (
    <div className="events-view">
      <form
        className="filter-bar"
        aria-label="Event filter"
        onSubmit={(e) => {
          e.preventDefault();
          update({ q: text });
        }}
      >
        <div className="group" role="group" aria-label="Time range">
          {PRESETS.map((p) => (
            <button
              type="button"
              key={p.id}
              className={filter.preset === p.id ? 'active' : ''}
              onClick={() => update({ preset: p.id })}
            >
              {p.label}
            </button>
          ))}
          <button
            type="button"
            className={filter.preset === 'custom' ? 'active' : ''}
            onClick={() => update({ preset: 'custom', from: range.from, to: range.to })}
          >
            Custom
          </button>
          {filter.preset === 'custom' ? (
            <>
              <input
                type="datetime-local"
                aria-label="From"
                value={toLocalInput(range.from)}
                onChange={(e) => update({ from: new Date(e.target.value).getTime() })}
              />
              <input
                type="datetime-local"
                aria-label="To"
                value={toLocalInput(range.to)}
                onChange={(e) => update({ to: new Date(e.target.value).getTime() })}
              />
            </>
          ) : null}
        </div>
        <div className="group" role="group" aria-label="Cameras">
          {cameras.map((c) => (
            <button
              type="button"
              key={c.id}
              className={filter.cameras.includes(c.id) ? 'active' : ''}
              onClick={() => update({ cameras: toggle(filter.cameras, c.id) })}
            >
              {c.name}
            </button>
          ))}
        </div>
        <div className="group" role="group" aria-label="Labels">
          {labelOptions.map((l) => (
            <button
              type="button"
              key={l}
              className={filter.labels.includes(l) ? 'active' : ''}
              onClick={() => update({ labels: toggle(filter.labels, l) })}
            >
              {l}
              {facets.result?.ok && facets.result.data.labels?.[l] ? (
                <span className="count">{facets.result.data.labels[l]}</span>
              ) : null}
            </button>
          ))}
        </div>
        {zoneOptions.length ? (
          <div className="group" role="group" aria-label="Zones">
            {zoneOptions.map((z) => (
              <button
                type="button"
                key={z}
                className={filter.zones.includes(z) ? 'active' : ''}
                onClick={() => update({ zones: toggle(filter.zones, z) })}
              >
                {z}
              </button>
            ))}
          </div>
        ) : null}
        <label className="small">
          min score{' '}
          <input
            type="number"
            className="tiny"
            min={0}
            max={100}
            step={5}
            value={Math.round((filter.minScore ?? 0) * 100)}
            onChange={(e) =>
              update({ minScore: Math.max(0, Math.min(100, Number(e.target.value) || 0)) / 100 })
            }
          />
          %
        </label>
        <input
          type="search"
          placeholder="Search text (label, camera, zone, notes)"
          aria-label="Search text"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <button type="submit" className="primary">
          Search
        </button>
        <select
          aria-label="Sort"
          value={filter.sort}
          onChange={(e) => update({ sort: e.target.value as EventFilter['sort'] })}
        >
          <option value="newest">Newest first</option>
          <option value="oldest">Oldest first</option>
        </select>
      </form>
      <div className="events-body">
        <section className="results" aria-label="Results">
          <div className="muted small">
            {status.error
              ? null
              : `${resultCount(counted, items.length)} · ${formatTime(range.from, true)} – ${formatTime(range.to)}`}
          </div>
          {status.error ? (
            <div className="unavailable">
              {status.notAvailable ? 'Event search: not available on this backend.' : status.error}
            </div>
          ) : null}
          {!status.loading && !status.error && items.length === 0 ? (
            <div className="muted">No events match.</div>
          ) : null}
          <div className="result-grid">
            {items.map((ev) => (
              <button
                key={ev.id}
                className={`result${selected?.id === ev.id ? ' selected' : ''}`}
                onClick={() => setSelected(ev)}
                data-event={ev.id}
              >
                <img
                  className="thumb"
                  loading="lazy"
                  alt={`${ev.label} on ${name(ev.cameraId)}`}
                  src={`/api/events/${encodeURIComponent(ev.id)}/snapshot.jpg?kind=crop`}
                  onError={(e) => e.currentTarget.classList.add('broken')}
                />
                <span className="result-label">
                  {ev.label} <span className="muted">{Math.round(ev.topScore * 100)}%</span>
                  {ev.retained ? <span className="badge">retained</span> : null}
                </span>
                <span className="muted small">
                  {name(ev.cameraId)} · {formatTime(ev.startTs)}
                </span>
              </button>
            ))}
          </div>
          <div ref={sentinel} className="sentinel">
            {status.loading ? 'Loading…' : cursor ? '' : items.length ? 'End of results' : ''}
          </div>
        </section>
        <section className="detail" aria-label="Event detail">
          {selected ? (
            <EventDetailPanel
              key={selected.id}
              summary={selected}
              cameraName={name(selected.cameraId)}
              seek={seek?.cameraId === selected.cameraId ? seek.ts : undefined}
              onOpen={(event) => {
                setSeek(undefined);
                setSelected(event);
              }}
            />
          ) : (
            <div className="muted">Select an event to see its snapshot and play its clip.</div>
          )}
          <h3>Timeline</h3>
          {(filter.cameras.length ? filter.cameras : cameras.map((c) => c.id)).slice(0, 8).map((id) => (
            <CameraTimeline
              key={id}
              cameraId={id}
              cameraName={name(id)}
              from={range.from}
              to={range.to}
              events={items.filter((e) => e.cameraId === id)}
              onScrub={(ts) => {
                const near = items.find(
                  (e) => e.cameraId === id && Math.abs(e.startTs - ts) < (range.to - range.from) / 100,
                );
                if (near) setSelected(near);
                else
                  setSelected({
                    id: `scrub-${id}-${ts}`,
                    cameraId: id,
                    cameraName: name(id),
                    label: 'recording',
                    phase: 'end',
                    startTs: ts,
                    lastTs: ts + 30_000,
                    topScore: 0,
                    box: [0, 0, 0, 0],
                    zones: [],
                    hasSnapshot: false,
                    retained: false,
                    tags: [],
                  });
                setSeek({ cameraId: id, ts });
              }}
            />
          ))}
          {cameras.length === 0 ? <Unavailable result={undefined} what="cameras" /> : null}
        </section>
      </div>
    </div>
  );
}
