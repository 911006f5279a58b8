import { useEffect, useRef, useState } from 'react';
import { api, path, Routes } from '../lib/api-client';
import type { CameraZones } from '../../../backend/src/contract';

type Poly = Array<[number, number]>;

/** Draws zone and mask polygons on a camera snapshot; saves to PUT /api/cameras/:id/zones. */
export function ZoneEditor(props: { cameraId: string; onClose: () => void }) {
  const id = encodeURIComponent(props.cameraId);
  const [config, setConfig] = useState<CameraZones>({ zones: [], masks: [] });
  const [loadNote, setLoadNote] = useState<string | undefined>();
  const [mode, setMode] = useState<'zone' | 'mask'>('zone');
  const [drawing, setDrawing] = useState<Poly>([]);
  const [msg, setMsg] = useState<string | undefined>();
  const [snapshotBroken, setSnapshotBroken] = useState(false);
  const [stamp] = useState(() => Date.now());
  const svg = useRef<SVGSVGElement>(null);

  useEffect(() => {
    void api.get<CameraZones>(path(Routes.detect.zones, { id })).then((r) => {
      if (r.ok) setConfig({ zones: r.data.zones ?? [], masks: r.data.masks ?? [] });
      else
        setLoadNote(
          r.notAvailable ? 'Zones: not available on this backend (you can draw, but not save).' : r.message,
        );
    });
  }, [id]);

  const point = (e: React.MouseEvent): [number, number] => {
    const r = svg.current?.getBoundingClientRect();
    if (!r) return [0, 0];
    const clamp = (v: number) => Math.round(Math.max(0, Math.min(1, v)) * 1000) / 1000;
    return [clamp((e.clientX - r.left) / r.width), clamp((e.clientY - r.top) / r.height)];
  };

  const finish = () => {
    if (drawing.length < 3) {
      setMsg('A polygon needs at least 3 points.');
      return;
    }
    if (mode === 'zone') {
      const name = window.prompt('Zone name', `zone ${config.zones.length + 1}`)?.trim();
      if (!name) return;
      setConfig({
        ...config,
        zones: [...config.zones.filter((z) => z.name !== name), { name, points: drawing }],
      });
    } else setConfig({ ...config, masks: [...config.masks, { points: drawing }] });
    setDrawing([]);
    setMsg(undefined);
  };

  const save = async () => {
    const r = await api.put<CameraZones>(path(Routes.detect.zones, { id }), config);
    setMsg(
      r.ok ? 'Zones saved.' : r.notAvailable ? 'Saving zones: not available on this backend.' : r.message,
    );
  };

  const pts = (p: Poly) => p.map(([x, y]) => `${x},${y}`).join(' ');
  return (
    <section className="panel zone-editor" aria-label="Zone editor">
      <div className="row">
        <h3>Zones and masks: {props.cameraId}</h3>
        <div className="group" role="group" aria-label="Draw">
          <button className={mode === 'zone' ? 'active' : ''} onClick={() => setMode('zone')}>
            Zone
          </button>
          <button className={mode === 'mask' ? 'active' : ''} onClick={() => setMode('mask')}>
            Mask
          </button>
        </div>
        <button onClick={finish} disabled={drawing.length < 3}>
          Close polygon
        </button>
        <button onClick={() => setDrawing([])}>Discard</button>
        <button className="primary" onClick={() => void save()}>
          Save
        </button>
        <button onClick={props.onClose}>Done</button>
      </div>
      {loadNote ? <div className="unavailable">{loadNote}</div> : null}
      <div className="muted small">
        Click to add points; double-click or “Close polygon” to finish. Masks hide areas from detection.
      </div>
      <div className="zone-canvas">
        {snapshotBroken ? (
          <div className="unavailable snapshot-missing">
            No snapshot from this camera right now: drawing on a blank frame.
          </div>
        ) : (
          <img
            src={path(Routes.video.snapshot, { id }, { t: stamp })}
            alt="Camera snapshot"
            onError={() => setSnapshotBroken(true)}
          />
        )}
        <svg
          ref={svg}
          viewBox="0 0 1 1"
          preserveAspectRatio="none"
          onClick={(e) => setDrawing([...drawing, point(e)])}
          onDoubleClick={(e) => {
            e.preventDefault();
            finish();
          }}
        >
          {config.masks.map((m, i) => (
            <polygon
              key={`m${i}`}
              points={pts(m.points)}
              className="mask-poly"
              vectorEffect="non-scaling-stroke"
            />
          ))}
          {config.zones.map((z) => (
            <polygon
              key={z.name}
              points={pts(z.points)}
              className="zone-poly"
              style={z.color ? { stroke: z.color } : undefined}
              vectorEffect="non-scaling-stroke"
            />
          ))}
          {drawing.length ? (
            <polyline
              points={pts(drawing)}
              className={`draft-poly ${mode}`}
              vectorEffect="non-scaling-stroke"
            />
          ) : null}
        </svg>
      </div>
      <ul className="zone-list">
        {config.zones.map((z) => (
          <li key={z.name}>
            Zone “{z.name}” ({z.points.length} points){' '}
            <button
              className="icon"
              aria-label={`Delete zone ${z.name}`}
              onClick={() => setConfig({ ...config, zones: config.zones.filter((x) => x !== z) })}
            >
              ×
            </button>
          </li>
        ))}
        {config.masks.map((m, i) => (
          <li key={i}>
            Mask {i + 1} ({m.points.length} points){' '}
            <button
              className="icon"
              aria-label={`Delete mask ${i + 1}`}
              onClick={() => setConfig({ ...config, masks: config.masks.filter((x) => x !== m) })}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      {msg ? <div className="muted">{msg}</div> : null}
    </section>
  );
}
