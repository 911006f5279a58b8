import { useCallback, useEffect, useRef, useState } from 'react';
import type { NamedLayout } from '../../../backend/src/contract';
import { api, path, Routes } from '../lib/api-client';
import { useCameras } from '../lib/store';
import type { Zone, CameraZones } from '../../../backend/src/contract';
import {
  LAYOUT_KINDS,
  assignCamera,
  decodeLayout,
  encodeLayout,
  gridTemplate,
  isLayout,
  tileArea,
  withKind,
  type LayoutKind,
  type WallLayout,
} from './layout';
import { LiveTile } from './LiveTile';
import { playbackHash } from '../playback/model';
import { useCan } from '../people';

/** How far back "go back" opens playback, in minutes. */
const BACK_MINUTES = [1, 2, 5, 10, 15, 30, 60] as const;
import { savedLayouts } from './saved-layouts';

const CURRENT_KEY = 'vigil.wall.current';
/** One empty list for every tile without zones, so that tiles do not re-render for a new [] each time. */
const NO_ZONES: Zone[] = [];

function initialLayout(urlLayout: string | undefined, currentKey: string): WallLayout | undefined {
  const fromUrl = decodeLayout(urlLayout);
  if (fromUrl) return fromUrl;
  try {
    const saved = JSON.parse(localStorage.getItem(currentKey) ?? 'null') as unknown;
    return isLayout(saved) ? saved : undefined;
  } catch {
    return undefined;
  }
}

/** The live wall: a fixed grid of camera tiles with overlays. */
export function Wall(props: {
  urlLayout?: string;
  windowName?: string;
  onSelectTile?: (cameraId: string) => void;
  focusCamera?: { cameraId: string; n: number };
}) {
  const currentKey = props.windowName ? `${CURRENT_KEY}.${props.windowName}` : CURRENT_KEY;
  const canPlayBack = useCan()('recordings.view');
  const { list: cameras, error, loaded } = useCameras();
  const [layout, setLayout] = useState<WallLayout | undefined>(() =>
    initialLayout(props.urlLayout, currentKey),
  );
  const [named, setNamed] = useState<NamedLayout[]>([]);
  const [layoutsNote, setLayoutsNote] = useState<string | undefined>();
  const [selected, setSelected] = useState(0);
  const [maximized, setMaximized] = useState<number | null>(null);
  const [showZones, setShowZones] = useState(false);
  const [backMinutes, setBackMinutes] = useState(5);
  const [zones, setZones] = useState<Record<string, Zone[]>>({});
  const [zonesNote, setZonesNote] = useState<string | undefined>();
  const tileRefs = useRef<Array<HTMLDivElement | null>>([]);

  // Named layouts live on the backend: another window or browser may have saved one since, so re-read on focus.
  const reloadNamed = useCallback(async () => {
    const r = await savedLayouts.list();
    if (r.ok) {
      setNamed(r.data);
      setLayoutsNote(undefined);
    } else setLayoutsNote(r.notAvailable ? 'Saved layouts: not available on this backend.' : r.message);
  }, []);
  useEffect(() => {
    void reloadNamed();
    const onFocus = () => void reloadNamed();
    window.addEventListener('focus', onFocus);
    return () => window.removeEventListener('focus', onFocus);
  }, [reloadNamed]);

  // First visit: fill a 2×2 wall with the configured cameras.
  useEffect(() => {
    if (!layout && loaded) {
      const ids = cameras.map((c) => c.id);
      setLayout(
        withKind(
          undefined,
          ids.length <= 1 ? '1x1' : ids.length <= 4 ? '2x2' : ids.length <= 9 ? '3x3' : '4x4',
          ids,
        ),
      );
    }
  }, [layout, loaded, cameras]);

  useEffect(() => {
    if (layout) localStorage.setItem(currentKey, JSON.stringify(layout));
  }, [layout, currentKey]);

  // Jump to a camera (from an alert): put it in the selected tile unless it is shown already.
  useEffect(() => {
    const focus = props.focusCamera?.cameraId;
    if (!focus || !layout) return;
    const at = layout.tiles.indexOf(focus);
    if (at >= 0) setSelected(at);
    else setLayout(assignCamera(layout, selected, focus));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.focusCamera]);

  useEffect(() => {
    if (!showZones || !layout) return;
    let cancelled = false;
    const ids = layout.tiles.filter((t): t is string => !!t && !(t in zones));
    void Promise.all(
      ids.map(async (id) => [id, await api.get<CameraZones>(path(Routes.detect.zones, { id }))] as const),
    ).then((results) => {
      if (cancelled) return;
      const next = { ...zones };
      let missing = false;
      for (const [id, r] of results) {
        next[id] = r.ok ? (r.data.zones ?? []) : [];
        if (!r.ok) missing = true;
      }
      setZones(next);
      setZonesNote(missing ? 'Zones: not available for some cameras.' : undefined);
    });
    return () => {
      cancelled = true;
    };
  }, [showZones, layout, zones]);

  // Keyboard: 1–9 select a tile, F full screen (Escape leaves it).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (
        e.target instanceof HTMLInputElement ||
        e.target instanceof HTMLSelectElement ||
        e.target instanceof HTMLTextAreaElement
      )
        return;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (/^[1-9]$/.test(e.key) && layout) {
        const i = Number(e.key) - 1;
        if (i < layout.tiles.length) {
          setSelected(i);
          const id = layout.tiles[i];
          if (id) props.onSelectTile?.(id);
        }
      } else if (e.key === 'f' || e.key === 'F') toggleFull(selected);
      else if (e.key === 'Escape') setMaximized(null);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  // The browser handles Esc (and its own exit gestures) itself while in full screen: the page gets no keydown, only
  // `fullscreenchange`. Without this the tile stays position:fixed over the navigation after full screen ends.
  useEffect(() => {
    const onChange = () => {
      if (!document.fullscreenElement) setMaximized(null);
    };
    document.addEventListener('fullscreenchange', onChange);
    return () => document.removeEventListener('fullscreenchange', onChange);
  }, []);

  function toggleFull(i: number) {
    const el = tileRefs.current[i];
    if (document.fullscreenElement) {
      void document.exitFullscreen().catch(() => {});
      setMaximized(null);
      return;
    }
    setMaximized((m) => (m === i ? null : i));
    el?.requestFullscreen?.().catch(() => {
      /* headless or refused: the tile fills the wall instead */
    });
  }

  if (!layout) {
    return <div className="muted">{error ?? 'Loading cameras…'}</div>;
  }

  /** Opens playback of these cameras `backMinutes` ago (the moment something was seen on the wall). */
  const goBack = (ids: string[]) => {
    if (ids.length) location.hash = playbackHash(ids, Date.now() - backMinutes * 60_000);
  };

  const grid = gridTemplate(layout.kind);
  const byId = new Map(cameras.map((c) => [c.id, c]));

  const openSecondWall = () => {
    const url = `${location.pathname}#/wall?layout=${encodeURIComponent(encodeLayout(layout))}&name=wall${Date.now() % 1000}`;
    window.open(url, '_blank', 'popup=yes,width=1280,height=800');
  };

  return (
    <div className="wall-view">
      <aside className="wall-side" aria-label="Cameras">
        <div className="side-title">Cameras</div>
        {error ? <div className="unavailable">{error}</div> : null}
        {cameras.map((c) => (
          <div
            key={c.id}
            className="cam-chip"
            draggable
            onDragStart={(e) => e.dataTransfer.setData('text/vigil-camera', c.id)}
            title="Drag into a tile"
          >
            <span className={`dot state-${c.state}`} />
            {c.name}
          </div>
        ))}
        <div className="side-title">Layout</div>
        <div className="layout-buttons" role="group" aria-label="Grid">
          {LAYOUT_KINDS.map((k) => (
            <button
              key={k}
              className={k === layout.kind ? 'active' : ''}
              onClick={() => setLayout(withKind(layout, k as LayoutKind))}
            >
              {k === '1+5' ? '1+5' : k.replace('x', '×')}
            </button>
          ))}
        </div>
        <div className="side-title">Saved layouts</div>
        <div className="saved-layouts">
          {named.map(({ name, layout: saved }) => (
            <div key={name} className="saved-row">
              <button onClick={() => setLayout(saved)}>{name}</button>
              <button
                className="icon"
                aria-label={`Delete layout ${name}`}
                onClick={() =>
                  void savedLayouts.remove(name).then((r) => {
                    if (!r.ok) setLayoutsNote(r.message);
                    void reloadNamed();
                  })
                }
              >
                ×
              </button>
            </div>
          ))}
          {layoutsNote ? <div className="muted small">{layoutsNote}</div> : null}
          <button
            onClick={() => {
              const name = window.prompt('Name of this layout');
              if (name?.trim())
                void savedLayouts.save(name, layout).then((r) => {
                  if (!r.ok) setLayoutsNote(r.message);
                  void reloadNamed();
                });
            }}
          >
            Save layout…
          </button>
        </div>
        <label className="check">
          <input type="checkbox" checked={showZones} onChange={(e) => setShowZones(e.target.checked)} /> Zones
        </label>
        {zonesNote && showZones ? <div className="muted small">{zonesNote}</div> : null}
        {/* Playback is the recordings: only for those who may view them. */}
        {canPlayBack ? (
          <>
            <div className="side-title">Play back</div>
            <label className="check">
              Go back
              <select
                aria-label="Minutes to go back"
                value={backMinutes}
                onChange={(e) => setBackMinutes(Number(e.target.value))}
              >
                {BACK_MINUTES.map((m) => (
                  <option key={m} value={m}>
                    {m} min
                  </option>
                ))}
              </select>
            </label>
            <button onClick={() => goBack(layout.tiles.filter((id): id is string => !!id))}>
              Go back {backMinutes} min on the wall
            </button>
          </>
        ) : null}
        <button onClick={openSecondWall}>Open second wall</button>
        <div className="muted small keys">Keys: 1–9 tile · F full screen · A acknowledge</div>
      </aside>
      <div
        className={`wall-grid${maximized !== null ? ' has-max' : ''}`}
        data-layout={layout.kind}
        style={{
          gridTemplateColumns: `repeat(${grid.columns}, minmax(0, 1fr))`,
          gridTemplateRows: `repeat(${grid.rows}, minmax(0, 1fr))`,
        }}
      >
        {layout.tiles.map((id, i) => (
          <div
            key={i}
            ref={(el) => {
              tileRefs.current[i] = el;
            }}
            className={`tile${i === selected ? ' selected' : ''}${maximized === i ? ' maximized' : ''}`}
            style={tileArea(layout.kind, i)}
            data-tile={i}
            onClick={() => setSelected(i)}
            onDoubleClick={() => toggleFull(i)}
            onDragOver={(e) => e.preventDefault()}
            onDrop={(e) => {
              e.preventDefault();
              const cam = e.dataTransfer.getData('text/vigil-camera');
              if (cam) setLayout(assignCamera(layout, i, cam));
            }}
          >
            {id ? (
              <LiveTile
                key={id}
                tileKey={`${props.windowName ?? 'main'}:${i}`}
                cameraId={id}
                camera={byId.get(id)}
                index={i}
                selected={i === selected}
                showZones={showZones}
                zones={zones[id] ?? NO_ZONES}
              />
            ) : (
              <div className="tile-empty">
                <span className="tile-num">{i + 1}</span>Drag a camera here
              </div>
            )}
            {id && canPlayBack ? (
              <button
                className="tile-back icon"
                aria-label={`Go back ${backMinutes} minutes on ${byId.get(id)?.name ?? id}`}
                title={`Play back the last ${backMinutes} minutes`}
                onClick={(e) => {
                  e.stopPropagation();
                  goBack([id]);
                }}
              >
                ⟲
              </button>
            ) : null}
            {id ? (
              <button
                className="tile-clear icon"
                aria-label="Empty this tile"
                onClick={(e) => {
                  e.stopPropagation();
                  setLayout(assignCamera(layout, i, null));
                }}
              >
                ×
              </button>
            ) : null}
          </div>
        ))}
      </div>
    </div>
  );
}
