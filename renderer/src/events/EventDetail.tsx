import { useEffect, useRef, useState } from 'react';
import { ExportDialog } from '../export';
import { api, path, Routes } from '../lib/api-client';
import { formatTime } from '../lib/format';
import { TrailActions } from '../investigation';
import { useApi } from '../lib/hooks';
import type { EventDetail, EventSummary } from '../../../backend/src/contract';
import { clipRange, snapshotBox } from './filters';
import { sightingNoun, Sightings } from './Sightings';

/** An event: snapshot with its box, clip from the recordings, notes, tags, retain, download. */
export function EventDetailPanel(props: {
  summary: EventSummary;
  cameraName: string;
  seek?: number;
  /** Opens another event (a sighting of this one on another camera). */
  onOpen?: (event: EventSummary) => void;
}) {
  const { summary } = props;
  const [findSightings, setFindSightings] = useState(false);
  const isEvent = !summary.id.startsWith('scrub-');
  const { result, reload } = useApi<EventDetail>(
    isEvent ? path(Routes.events.event, { id: summary.id }) : null,
  );
  const ev: EventSummary & Partial<EventDetail> = result?.ok ? { ...summary, ...result.data } : summary;
  const [note, setNote] = useState('');
  const [tags, setTags] = useState('');
  const [saveMsg, setSaveMsg] = useState<string | undefined>();
  const [clipError, setClipError] = useState<string | undefined>();
  const [exporting, setExporting] = useState(false);
  const videoRef = useRef<HTMLVideoElement>(null);
  const range =
    props.seek !== undefined
      ? { from: Math.round(props.seek), to: Math.round(props.seek + 30_000) }
      : clipRange(ev);
  const clipUrl = path(Routes.video.clip, { file: `${ev.cameraId}.mp4` }, range);
  // Footage of the last seconds is still in the segment being written: retry until it is on disk.
  const [attempt, setAttempt] = useState(0);
  const recent = Date.now() - range.to < 60_000;
  const onClipError = () => {
    if (recent && attempt < 12) {
      setClipError('The footage is still being recorded; the clip will play in a few seconds…');
      setTimeout(() => setAttempt((a) => a + 1), 3000);
    } else
      setClipError('The clip could not be played: no recording for this time, or clips are not available.');
  };

  useEffect(() => {
    if (result?.ok) setTags((result.data.tags ?? []).join(', '));
  }, [result]);

  const patch = async (body: { note?: string; tags?: string[]; retain?: boolean }, done: string) => {
    const r = await api.patch<EventDetail>(path(Routes.events.event, { id: ev.id }), body);
    setSaveMsg(r.ok ? done : r.notAvailable ? 'Saving: not available on this backend.' : r.message);
    if (r.ok) reload();
  };

  const notes = ev.notes ?? [];
  const box = snapshotBox(ev);
  return (
    <div className="event-detail" data-detail={ev.id}>
      <h2>
        {ev.label} on {props.cameraName}
      </h2>
      <div className="muted">
        {formatTime(ev.startTs, true)}
        {ev.endTs ? ` – ${formatTime(ev.endTs)}` : ''}
        {ev.topScore ? ` · best ${Math.round(ev.topScore * 100)}%` : ''}
        {ev.zones?.length ? ` · zones: ${ev.zones.join(', ')}` : ''}
      </div>
      <div className="media-row">
        {isEvent ? (
          <div className="snapshot">
            <img
              alt={`Snapshot of ${ev.label}`}
              src={path(Routes.events.snapshot, { id: ev.id }, { kind: 'frame' })}
              onError={(e) => e.currentTarget.classList.add('broken')}
            />
            {box ? (
              <svg viewBox="0 0 1 1" preserveAspectRatio="none" className="snapshot-box" aria-hidden>
                <rect
                  x={box[0]}
                  y={box[1]}
                  width={box[2] - box[0]}
                  height={box[3] - box[1]}
                  vectorEffect="non-scaling-stroke"
                />
              </svg>
            ) : null}
          </div>
        ) : null}
        <div className="clip">
          <video
            ref={videoRef}
            key={`${clipUrl}#${attempt}`}
            className="clip-video"
            src={attempt ? `${clipUrl}&attempt=${attempt}` : clipUrl}
            controls
            autoPlay
            muted
            playsInline
            onError={onClipError}
            onPlaying={() => setClipError(undefined)}
          />
          {clipError ? <div className="unavailable">{clipError}</div> : null}
          <a className="button" href={`${clipUrl}&download=1`} download>
            Download clip
          </a>
          <button className="button" onClick={() => setExporting(true)}>
            Export evidence…
          </button>
          {isEvent ? <TrailActions eventId={ev.id} /> : null}
          {exporting ? (
            <ExportDialog
              cameraIds={[ev.cameraId]}
              availableCameras={[{ id: ev.cameraId, name: props.cameraName }]}
              from={range.from}
              to={range.to}
              onClose={() => setExporting(false)}
            />
          ) : null}
        </div>
      </div>
      {isEvent ? (
        <div className="annotations">
          <label className="check">
            <input
              type="checkbox"
              checked={!!ev.retained}
              onChange={(e) =>
                void patch(
                  { retain: e.target.checked },
                  e.target.checked ? 'Retained: kept beyond retention.' : 'No longer retained.',
                )
              }
            />{' '}
            Retain (keep footage beyond the retention period)
          </label>
          <label>
            Tags{' '}
            <input
              value={tags}
              onChange={(e) => setTags(e.target.value)}
              onBlur={() =>
                void patch(
                  {
                    tags: tags
                      .split(',')
                      .map((t) => t.trim())
                      .filter(Boolean),
                  },
                  'Tags saved.',
                )
              }
              placeholder="comma separated"
            />
          </label>
          <ul className="notes">
            {notes.map((n, i) => (
              <li key={i}>
                {n.ts ? <span className="muted small">{formatTime(n.ts)} </span> : null}
                {n.text}
              </li>
            ))}
          </ul>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (note.trim()) void patch({ note: note.trim() }, 'Note added.').then(() => setNote(''));
            }}
          >
            <input
              value={note}
              onChange={(e) => setNote(e.target.value)}
              placeholder="Add a note"
              aria-label="Note"
            />
            <button type="submit">Add note</button>
          </form>
          {saveMsg ? <div className="muted small">{saveMsg}</div> : null}
        </div>
      ) : null}
      {isEvent ? (
        <div className="find-sightings">
          {findSightings ? (
            <>
              <h3>Sightings of {sightingNoun(ev.label)}</h3>
              <Sightings eventId={ev.id} label={ev.label} onOpen={props.onOpen} />
            </>
          ) : (
            <button className="button" onClick={() => setFindSightings(true)}>
              Find {sightingNoun(ev.label)} on other cameras
            </button>
          )}
        </div>
      ) : null}
    </div>
  );
}
