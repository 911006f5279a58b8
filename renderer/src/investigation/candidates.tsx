import type { ReactNode } from 'react';
import type { TrailSighting } from '../../../backend/src/contract/investigation';

/**
 * Candidates for the next sightings of a trail, found by the backend from the sighting played back. Without a
 * search for similar sightings on this backend there are none to offer: sightings are added by event id.
 */
export function trailCandidates(
  _sighting: TrailSighting,
  _add: (eventId: string) => Promise<void>,
): ReactNode {
  return null;
}
