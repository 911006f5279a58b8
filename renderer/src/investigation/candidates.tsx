import { useState, type ReactNode } from 'react';
import type { TrailSighting } from '../../../backend/src/contract/investigation';
import { sightingNoun, Sightings } from '../events/Sightings';

/**
 * Candidates for the trail's next sightings: events on other cameras that look like the sighting played back
 * (GET /api/events/:id/sightings), most alike first, each with "Add to trail" (added as a candidate, to confirm).
 */
function TrailCandidates(props: {
  sighting: TrailSighting;
  inTrail: (eventId: string) => boolean;
  add: (eventId: string) => Promise<void>;
}) {
  const { sighting } = props;
  const [open, setOpen] = useState(false);
  const noun = sightingNoun(sighting.label);
  if (!open)
    return (
      <button className="button" onClick={() => setOpen(true)}>
        Find {noun} on other cameras
      </button>
    );
  return (
    <div className="trail-candidates" aria-label="Candidates">
      <h3>Candidates: {noun} on other cameras</h3>
      <Sightings
        key={sighting.eventId}
        eventId={sighting.eventId}
        label={sighting.label}
        actions={(s) =>
          props.inTrail(s.event.id) ? (
            <span className="muted small">On the trail</span>
          ) : (
            <button onClick={() => void props.add(s.event.id)}>Add to trail</button>
          )
        }
      />
    </div>
  );
}

/** The candidates shown under the sighting played back. */
export function trailCandidates(
  sighting: TrailSighting,
  add: (eventId: string) => Promise<void>,
  inTrail: (eventId: string) => boolean,
): ReactNode {
  return <TrailCandidates key={sighting.eventId} sighting={sighting} add={add} inTrail={inTrail} />;
}
