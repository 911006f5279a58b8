import type { FastifyRequest } from 'fastify';
import { seesEventsOf } from '../api/scope.js';
import type { Trail } from '../contract/investigation.js';

/**
 * Whether the caller may see a trail: the events of every camera it passes. A trail through one hidden camera is
 * answered like a missing one, so its name, case and path tell nothing of cameras the caller may not see.
 */
export function seesTrail(req: FastifyRequest, trail: Pick<Trail, 'sightings'>): boolean {
  return trail.sightings.every((s) => seesEventsOf(req, s.cameraId));
}

/** The not-found message of a trail (the same for a hidden one). */
export const noTrail = (id: string): string => `There is no trail "${id.slice(0, 64)}".`;
