import type { ReactNode } from 'react';
import { path, Routes } from '../lib/api-client';
import { formatTime } from '../lib/format';
import { useApi } from '../lib/hooks';
import type { EventSummary, Sighting, SightingsResponse } from '../../../backend/src/contract';

/** "person" → "this person"; the vehicle labels → "this vehicle"; anything else by its own name. */
export function sightingNoun(label: string): string {
  if (label === 'person') return 'this person';
  if (['car', 'truck', 'bus', 'motorcycle', 'bicycle'].includes(label)) return 'this vehicle';
  return `this ${label}`;
}

/**
 * The sightings of an event on other cameras, most alike first: snapshot, camera, time and likeness, each
 * opening its event. `actions` adds buttons to each sighting (e.g. "Add to trail").
 */
export function Sightings(props: {
  eventId: string;
  label: string;
  /** Include the event's own camera. */
  sameCamera?: boolean;
  limit?: number;
  onOpen?: (event: EventSummary) => void;
  actions?: (s: Sighting) => ReactNode;
}) {
  const { result } = useApi<SightingsResponse>(
    path(
      Routes.events.sightings,
      { id: props.eventId },
      { limit: props.limit ?? 20, sameCamera: props.sameCamera ? 1 : 0 },
    ),
  );
  const noun = sightingNoun(props.label);
  if (!result) return <div className="muted">Looking for {noun}…</div>;
  if (!result.ok) return <div className="unavailable">{result.message}</div>;
  const { hasDescriptor, items } = result.data;
  if (!hasDescriptor)
    return (
      <div className="muted">
        This event has no appearance to compare (no snapshot, or too small to describe).
      </div>
    );
  if (!items.length)
    return <div className="muted">No sightings of {noun} on other cameras within 30 minutes.</div>;
  return (
    <ol className="sightings result-grid" aria-label={`Sightings of ${noun}`}>
      {items.map((s) => (
        <li key={s.event.id} className="sighting result" data-sighting={s.event.id}>
          <button
            className="sighting-open"
            onClick={() => props.onOpen?.(s.event)}
            title={`Open this ${s.event.label} event`}
          >
            <img
              className="thumb"
              loading="lazy"
              alt={`${s.event.label} on ${s.event.cameraName}`}
              src={path(Routes.events.snapshot, { id: s.event.id }, { kind: 'crop' })}
              onError={(e) => e.currentTarget.classList.add('broken')}
            />
            <span className="result-label">
              {s.event.cameraName}{' '}
              <span className="muted" title="Likeness">
                {Math.round(s.score * 100)}%
              </span>
            </span>
            <span className="muted small">{formatTime(s.event.startTs, true)}</span>
          </button>
          {props.actions ? <div className="sighting-actions">{props.actions(s)}</div> : null}
        </li>
      ))}
    </ol>
  );
}
