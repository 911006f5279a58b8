import { useEffect, useState, type ReactNode } from 'react';
import type { SiteMap, Trail, TrailSighting } from '../../../backend/src/contract/investigation';
import { trailExportSpan } from '../../../backend/src/contract/investigation';
import { ExportDialog } from '../export';
import { api, path, Routes } from '../lib/api-client';
import { formatTime } from '../lib/format';
import { playbackHash } from '../playback/model';
import { SiteMapPlan } from './SiteMapPlan';

export const trailPath = (id: string) => path(Routes.investigation.trail, { id });

/** The body that saves a trail with these sightings (camera and time are the backend's to read). */
export function trailBody(
  t: Pick<Trail, 'name' | 'caseNumber'>,
  sightings: readonly Pick<TrailSighting, 'eventId' | 'confirmed'>[],
) {
  return {
    name: t.name,
    caseNumber: t.caseNumber,
    sightings: sightings.map((s) => ({ eventId: s.eventId, confirmed: s.confirmed })),
  };
}

/** Seconds each sighting is shown while the trail plays on its own. */
const PLAY_STEP_MS = 4000;

export interface TrailEditorProps {
  trail: Trail;
  siteMap: SiteMap | undefined;
  cameraName: (id: string) => string;
  onChanged: (trail: Trail) => void;
  onDeleted: () => void;
  /** Candidates for the next sightings, next to the sighting played back (where the backend finds them). */
  candidates?: (
    sighting: TrailSighting,
    add: (eventId: string) => Promise<void>,
    inTrail: (eventId: string) => boolean,
  ) => ReactNode;
}

/**
 * One trail: its sightings drawn on the site map and listed in time order, to confirm or remove; played back one
 * sighting at a time (the camera highlighted on the map, its snapshot and its clip); exported as one package.
 */
export function TrailEditor(props: TrailEditorProps) {
  const { trail } = props;
  // The sighting played back, by its event: it stays the same one when sightings are added before it.
  const [currentId, setCurrentId] = useState<string | undefined>(trail.sightings[0]?.eventId);
  const [playing, setPlaying] = useState(false);
  const [eventId, setEventId] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>();
  const [exporting, setExporting] = useState(false);
  const [name, setName] = useState(trail.name);
  const [caseNumber, setCaseNumber] = useState(trail.caseNumber);
  // Shown at once as the investigator changes them; back to the saved ones when the backend refuses.
  const [sightings, setSightings] = useState<readonly TrailSighting[]>(trail.sightings);
  useEffect(() => setSightings(trail.sightings), [trail.sightings]);
  const current = Math.max(
    0,
    sightings.findIndex((s) => s.eventId === currentId),
  );
  const setCurrent = (i: number) => setCurrentId(sightings[i]?.eventId);
  const at = sightings[current];

  useEffect(() => {
    setName(trail.name);
    setCaseNumber(trail.caseNumber);
  }, [trail.id, trail.name, trail.caseNumber]);
  useEffect(() => {
    if (!playing) return;
    const t = setTimeout(() => {
      if (current + 1 < sightings.length) setCurrent(current + 1);
      else setPlaying(false);
    }, PLAY_STEP_MS);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- setCurrent reads the sightings given here
  }, [playing, current, sightings]);

  const save = async (
    next: readonly TrailSighting[],
    done: string,
    names = { name: trail.name, caseNumber: trail.caseNumber },
  ) => {
    setSightings(next);
    const r = await api.put<Trail>(trailPath(trail.id), trailBody(names, next));
    setMessage(r.ok ? { ok: true, text: done } : { ok: false, text: r.message });
    if (r.ok) props.onChanged(r.data);
    else setSightings(trail.sightings);
    return r.ok;
  };
  const add = async (id: string, show = false) => {
    const wanted = id.trim();
    if (!wanted) return;
    if (sightings.some((s) => s.eventId === wanted)) {
      setMessage({ ok: false, text: `Event ${wanted} is already a sighting of this trail.` });
      return;
    }
    const r = await api.put<Trail>(
      trailPath(trail.id),
      trailBody(trail, [...sightings, { eventId: wanted, confirmed: false }]),
    );
    if (!r.ok) {
      setMessage({
        ok: false,
        text: r.status === 404 ? `No event "${wanted}" that you may see.` : r.message,
      });
      return;
    }
    setMessage({ ok: true, text: 'Sighting added: confirm it once it is the person you follow.' });
    setEventId('');
    props.onChanged(r.data);
    if (show) setCurrentId(wanted);
  };
  const remove = async () => {
    if (!window.confirm(`Delete the trail “${trail.name}”? Its exports stay as they are.`)) return;
    const r = await api.del(trailPath(trail.id));
    if (r.ok) props.onDeleted();
    else setMessage({ ok: false, text: r.message });
  };

  const span = trailExportSpan(trail, 0);
  const cameras = [...new Set(sightings.map((s) => s.cameraId))];
  const clipUrl = at
    ? path(
        Routes.video.clip,
        { file: `${at.cameraId}.mp4` },
        { from: Math.round(at.ts - 5000), to: Math.round(Math.max(at.endTs, at.ts) + 10_000) },
      )
    : undefined;

  return (
    <div className="trail-editor" data-trail={trail.id}>
      <div className="panel trail-head">
        <div className="row">
          <label>
            Name <input value={name} maxLength={120} onChange={(e) => setName(e.target.value)} />
          </label>
          <label>
            Case number{' '}
            <input value={caseNumber} maxLength={64} onChange={(e) => setCaseNumber(e.target.value)} />
          </label>
          <button
            disabled={name.trim() === trail.name && caseNumber.trim() === trail.caseNumber}
            onClick={() =>
              void save(sightings, 'Trail renamed.', { name: name.trim(), caseNumber: caseNumber.trim() })
            }
          >
            Rename
          </button>
          <span className="muted small">
            by {trail.createdBy} · {formatTime(trail.createdAt, true)}
          </span>
          <span className="trail-head-actions">
            <button
              className="primary"
              disabled={!span}
              title={span ? undefined : 'Confirm at least one sighting to export the trail'}
              onClick={() => setExporting(true)}
            >
              Export trail…
            </button>
            <button onClick={() => void remove()}>Delete</button>
          </span>
        </div>
      </div>
      {message ? (
        <p className={message.ok ? 'ok-text' : 'error-text'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      ) : null}
      <div className="trail-body">
        <div className="trail-map">
          {props.siteMap?.plan ? (
            <SiteMapPlan
              plan={props.siteMap.plan}
              placements={props.siteMap.placements}
              cameraName={props.cameraName}
              trail={sightings}
              current={at?.cameraId}
            />
          ) : (
            <div className="unavailable">
              No site plan yet: an administrator uploads one and places the cameras (Investigation → Site
              map).
            </div>
          )}
        </div>
        <div className="panel trail-sightings">
          <h3>Sightings ({sightings.length})</h3>
          {!sightings.length ? (
            <p className="muted small">
              No sightings yet. Add events by their id, or use “Add to trail” on an event in the Events view.
            </p>
          ) : null}
          <ol className="sighting-list">
            {sightings.map((s, i) => (
              <li
                key={s.eventId}
                className={`${i === current ? 'current' : ''}${s.confirmed ? '' : ' candidate'}`}
                data-event={s.eventId}
              >
                <button
                  className="sighting-step"
                  onClick={() => setCurrent(i)}
                  aria-current={i === current ? 'step' : undefined}
                >
                  <span className="sighting-n">{i + 1}</span>
                  <strong>{props.cameraName(s.cameraId)}</strong>
                  <span className="sighting-when">
                    {formatTime(s.ts, true)} · {s.label}
                  </span>
                </button>
                <label className="check small">
                  <input
                    type="checkbox"
                    checked={s.confirmed}
                    onChange={(e) =>
                      void save(
                        sightings.map((x) =>
                          x.eventId === s.eventId ? { ...x, confirmed: e.target.checked } : x,
                        ),
                        e.target.checked
                          ? `Sighting ${i + 1} confirmed.`
                          : `Sighting ${i + 1} is a candidate again.`,
                      )
                    }
                  />
                  Confirmed
                </label>
                <button
                  className="icon"
                  aria-label={`Remove sighting ${i + 1}`}
                  title="Remove from the trail"
                  onClick={() =>
                    void save(
                      sightings.filter((x) => x.eventId !== s.eventId),
                      `Sighting removed.`,
                    )
                  }
                >
                  ×
                </button>
              </li>
            ))}
          </ol>
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              void add(eventId, true);
            }}
          >
            <input
              aria-label="Event id"
              placeholder="Event id"
              value={eventId}
              maxLength={200}
              onChange={(e) => setEventId(e.target.value)}
            />
            <button type="submit" disabled={!eventId.trim()}>
              Add sighting
            </button>
          </form>
        </div>
      </div>
      {at ? (
        <div className="panel trail-playback" aria-label="Sighting played back">
          <div className="row">
            <button
              aria-label="Previous sighting"
              disabled={current === 0}
              onClick={() => setCurrent(current - 1)}
            >
              ◀
            </button>
            <button onClick={() => setPlaying(!playing)}>{playing ? 'Pause' : 'Play the trail'}</button>
            <button
              aria-label="Next sighting"
              disabled={current + 1 >= sightings.length}
              onClick={() => setCurrent(current + 1)}
            >
              ▶
            </button>
            <strong className="trail-playback-title">
              {current + 1} of {sightings.length}: {at.label} on {props.cameraName(at.cameraId)} at{' '}
              {formatTime(at.ts, true)}
            </strong>
            <a className="button" href={playbackHash(cameras, at.ts - 5000)}>
              Open in Playback
            </a>
          </div>
          <div className="media-row">
            <div className="snapshot">
              <img
                alt={`Snapshot of sighting ${current + 1}`}
                src={path(Routes.events.snapshot, { id: at.eventId }, { kind: 'frame' })}
                onError={(e) => e.currentTarget.classList.add('broken')}
              />
            </div>
            <div className="clip">
              <video key={clipUrl} className="clip-video" src={clipUrl} controls autoPlay muted playsInline />
            </div>
          </div>
          {props.candidates
            ? props.candidates(at, add, (id) => sightings.some((s) => s.eventId === id))
            : null}
        </div>
      ) : null}
      {exporting && span ? (
        <ExportDialog
          trail={{ id: trail.id, name: trail.name, caseNumber: trail.caseNumber }}
          cameraIds={span.cameraIds}
          availableCameras={span.cameraIds.map((id) => ({ id, name: props.cameraName(id) }))}
          from={span.from}
          to={span.to}
          onClose={() => setExporting(false)}
        />
      ) : null}
    </div>
  );
}
