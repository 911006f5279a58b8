import { useEffect, useState } from 'react';
import type { CameraPlacement, SiteMap } from '../../../backend/src/contract/investigation';
import {
  InvestigationApiRoutes,
  PLAN_MAX_BYTES,
  PLAN_MAX_SIDE,
  PLAN_TYPES,
} from '../../../backend/src/contract/investigation';
import { useApi } from '../lib/hooks';
import { api } from '../lib/api-client';
import { useCameras } from '../lib/store';
import { SiteMapPlan } from './SiteMapPlan';

/** Sends the plan image as it is (the backend checks and re-encodes it); the refusal in words. */
async function uploadPlan(file: File): Promise<string | undefined> {
  if (!(PLAN_TYPES as readonly string[]).includes(file.type))
    return `${file.name} is not a PNG, JPEG or WebP image.`;
  if (file.size > PLAN_MAX_BYTES)
    return `${file.name} is larger than ${PLAN_MAX_BYTES / 1048576} MB: scale it down first.`;
  try {
    const res = await fetch(InvestigationApiRoutes.sitemapPlan, {
      method: 'PUT',
      credentials: 'same-origin',
      headers: { 'content-type': file.type },
      body: file,
    });
    if (res.ok) return undefined;
    const err = (await res.json().catch(() => ({}))) as { message?: string };
    return err.message ?? `The backend answered ${res.status}.`;
  } catch {
    return 'The backend is not reachable.';
  }
}

/** What the last upload or save came to, shown beside what it is about (so the plan never moves under the mouse). */
interface Note {
  about: 'plan' | 'cameras';
  ok: boolean;
  text: string;
}

function Message({ message }: { message: Note }) {
  return (
    <span className={message.ok ? 'ok-text' : 'error-text'} role={message.ok ? 'status' : 'alert'}>
      {message.text}
    </span>
  );
}

/**
 * The site map editor (administrators): upload the plan, then place each camera by choosing it and clicking on the
 * plan, drag cameras to move them, and set the direction each one looks.
 */
export function SiteMapEditor() {
  const { result, reload } = useApi<SiteMap>(InvestigationApiRoutes.sitemap);
  const cameras = useCameras();
  const [draft, setDraft] = useState<CameraPlacement[]>([]);
  const [dirty, setDirty] = useState(false);
  const [placing, setPlacing] = useState<string | undefined>();
  const [selected, setSelected] = useState<string | undefined>();
  const [message, setMessage] = useState<Note | undefined>();
  const [busy, setBusy] = useState(false);
  const map = result?.ok ? result.data : undefined;

  useEffect(() => {
    if (map && !dirty) setDraft(map.placements);
  }, [map, dirty]);

  const name = (id: string) => cameras.list.find((c) => c.id === id)?.name ?? id;
  const unplaced = cameras.list.filter((c) => !draft.some((p) => p.cameraId === c.id));
  const chosen = draft.find((p) => p.cameraId === selected);

  const change = (next: CameraPlacement[]) => {
    setDraft(next);
    setDirty(true);
    setMessage(undefined);
  };
  const move = (cameraId: string, x: number, y: number) => {
    const before = draft.find((p) => p.cameraId === cameraId);
    change([...draft.filter((p) => p.cameraId !== cameraId), { ...before, cameraId, x, y }]);
    setPlacing(undefined);
    setSelected(cameraId);
  };
  const save = async () => {
    setBusy(true);
    const r = await api.put<SiteMap>(InvestigationApiRoutes.sitemapCameras, { placements: draft });
    setBusy(false);
    setMessage({ about: 'cameras', ok: r.ok, text: r.ok ? 'Camera places saved.' : r.message });
    if (r.ok) {
      setDirty(false);
      reload();
    }
  };
  const upload = async (file: File | undefined) => {
    if (!file) return;
    setBusy(true);
    const refused = await uploadPlan(file);
    setBusy(false);
    setMessage({ about: 'plan', ok: !refused, text: refused ?? 'Plan uploaded.' });
    if (!refused) reload();
  };

  return (
    <div className="sitemap-editor">
      <div className="panel">
        <h3>Site plan</h3>
        <p className="muted small">
          A floor plan or site plan: PNG, JPEG or WebP, at most {PLAN_MAX_BYTES / 1048576} MB and{' '}
          {PLAN_MAX_SIDE} pixels a side.
          {map?.plan ? ` Current plan: ${map.plan.width}×${map.plan.height} pixels.` : ' No plan yet.'}
        </p>
        <label className="button">
          {map?.plan ? 'Replace the plan…' : 'Upload a plan…'}
          <input
            type="file"
            accept={PLAN_TYPES.join(',')}
            aria-label="Plan image"
            hidden
            disabled={busy}
            onChange={(e) => {
              void upload(e.target.files?.[0]);
              e.target.value = '';
            }}
          />
        </label>{' '}
        {message?.about === 'plan' ? <Message message={message} /> : null}
      </div>
      {map?.plan ? (
        <div className="sitemap-editor-body">
          <SiteMapPlan
            plan={map.plan}
            placements={draft}
            cameraName={name}
            onMove={move}
            placing={placing}
            selected={selected}
            onSelect={setSelected}
          />
          <div className="panel sitemap-side">
            <h3>Cameras</h3>
            {placing ? (
              <p className="muted small" role="status">
                Click on the plan where {name(placing)} is.
              </p>
            ) : (
              <p className="muted small">
                Choose a camera, then click on the plan. Drag a placed camera to move it.
              </p>
            )}
            <div className="group" aria-label="Cameras not on the map">
              {unplaced.map((c) => (
                <button
                  key={c.id}
                  className={placing === c.id ? 'active' : ''}
                  onClick={() => setPlacing(placing === c.id ? undefined : c.id)}
                >
                  Place {c.name}
                </button>
              ))}
              {!unplaced.length ? <span className="muted small">Every camera is on the map.</span> : null}
            </div>
            {chosen ? (
              <div className="sitemap-chosen">
                <strong>{name(chosen.cameraId)}</strong>
                <label className="check">
                  <input
                    type="checkbox"
                    checked={chosen.heading !== undefined}
                    onChange={(e) =>
                      change(
                        draft.map((p) =>
                          p.cameraId === chosen.cameraId
                            ? e.target.checked
                              ? { ...p, heading: 0 }
                              : { cameraId: p.cameraId, x: p.x, y: p.y }
                            : p,
                        ),
                      )
                    }
                  />
                  Show where it looks
                </label>
                {chosen.heading !== undefined ? (
                  <label>
                    Direction ({Math.round(chosen.heading)}°)
                    <input
                      type="range"
                      min={0}
                      max={359}
                      value={chosen.heading}
                      onChange={(e) =>
                        change(
                          draft.map((p) =>
                            p.cameraId === chosen.cameraId ? { ...p, heading: Number(e.target.value) } : p,
                          ),
                        )
                      }
                    />
                  </label>
                ) : null}
                <button onClick={() => change(draft.filter((p) => p.cameraId !== chosen.cameraId))}>
                  Take off the map
                </button>
              </div>
            ) : null}
            <div className="row">
              <button className="primary" disabled={!dirty || busy} onClick={() => void save()}>
                Save camera places
              </button>
              {dirty ? <span className="muted small">Not saved yet.</span> : null}
            </div>
            {message?.about === 'cameras' ? <Message message={message} /> : null}
          </div>
        </div>
      ) : null}
    </div>
  );
}
