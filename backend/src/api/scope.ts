import type { FastifyRequest } from 'fastify';
import type { CameraRight } from '../contract/people.js';
import { CameraScope } from '../people/scope.js';

/**
 * A thing the caller may not see, answered exactly like one that does not exist (404): a guard must not learn
 * that a hidden camera, or an event of one, exists.
 */
export class HiddenError extends Error {
  readonly statusCode = 404;
  /** `message`: word for word what the route answers for a thing that does not exist. */
  constructor(message: string) {
    super(message);
  }
}

/** A time range the caller's role may not reach (a guard's search past the look-back). */
export class LookbackError extends Error {
  readonly statusCode = 403;
  constructor(readonly minutes: number) {
    super(
      `Your role may look back ${minutes} minutes in the archive; ask an investigator for older footage.`,
    );
  }
}

/** A camera id no camera can have (camera ids are letters, digits, - and _): a filter that matches nothing. */
export const NO_CAMERA = '#none';

const NOTHING = CameraScope.of([], [], []);

/** The camera rights of a request's caller (nothing for a caller without an account). */
export function cameraScope(req: FastifyRequest): CameraScope {
  return req.principal?.cameras ?? NOTHING;
}

/** Whether the caller has `right` on a camera (any right when not given). */
export function mayUseCamera(req: FastifyRequest, cameraId: string, right?: CameraRight): boolean {
  const scope = cameraScope(req);
  return right ? scope.can(cameraId, right) : scope.sees(cameraId);
}

/** Throws HiddenError (404, with the route's own not-found message) unless the caller has `right` on the camera. */
export function requireCamera(
  req: FastifyRequest,
  cameraId: string,
  right: CameraRight | undefined,
  notFoundMessage: string,
) {
  if (!mayUseCamera(req, cameraId, right)) throw new HiddenError(notFoundMessage);
}

/**
 * The cameras whose events and alerts the caller may see: those granted `recordings` for a caller who may search
 * the archive, those granted `live` for one who sees only recent activity (a guard). Undefined: every camera.
 */
export function eventCameras(req: FastifyRequest): string[] | undefined {
  const archive = req.principal?.permissions?.has('events.search') === true;
  const scope = cameraScope(req);
  if (!archive) return scope.cameras('live');
  const recordings = scope.cameras('recordings');
  return recordings;
}

/** Whether the caller may see the events and alerts of a camera. */
export function seesEventsOf(req: FastifyRequest, cameraId: string): boolean {
  const cameras = eventCameras(req);
  return cameras === undefined || cameras.includes(cameraId);
}

/** Narrows a requested camera filter to the caller's: a filter that matches nothing when none is left. */
export function narrowCameras(
  req: FastifyRequest,
  requested: readonly string[] | undefined,
): string[] | undefined {
  const allowed = eventCameras(req);
  if (!allowed) return requested?.length ? [...requested] : undefined;
  const set = new Set(allowed);
  const narrowed = requested?.length ? requested.filter((id) => set.has(id)) : allowed;
  return narrowed.length ? narrowed : [NO_CAMERA];
}

/**
 * The earliest time the caller may see (ms), or undefined without a limit. A guard's look-back applies to searches,
 * event details, snapshots and recordings alike.
 */
export function lookbackStart(req: FastifyRequest, now: number): number | undefined {
  const minutes = req.principal?.lookbackMinutes;
  return minutes === undefined ? undefined : now - minutes * 60_000;
}
