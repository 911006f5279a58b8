import type { Handover } from '../contract/handover.js';
import type { Permission, Role } from '../contract/people.js';
import type { CameraScope } from '../people/scope.js';

/** Who is looking at handovers: the caller's name, role, rights, cameras and team (with its members). */
export interface HandoverViewer {
  user: string;
  role: Role | 'token' | undefined;
  permissions: ReadonlySet<Permission>;
  cameras: CameraScope;
  team?: string;
  /** Members of the viewer's team (lower-case names), for a supervisor. */
  teamMembers: ReadonlySet<string>;
}

const same = (a: string | undefined, b: string | undefined) =>
  a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();

/** Whether the viewer wrote the handover. */
export function isOwn(h: Handover, v: HandoverViewer): boolean {
  return same(h.author, v.user);
}

/** Whether the viewer may see any of the cameras a handover covers. */
function coversViewer(h: Handover, v: HandoverViewer): boolean {
  const cams = h.summary.cameras;
  if (cams === '*') return (v.cameras.cameras() ?? ['*']).length > 0;
  return cams.some((id) => v.cameras.sees(id));
}

/**
 * Whether a handover is addressed to the viewer: someone else's, and the viewer takes over shifts (handover.own) on
 * at least one of its cameras, or in the same team when it covered no camera.
 */
export function addressedTo(h: Handover, v: HandoverViewer): boolean {
  if (isOwn(h, v) || !v.permissions.has('handover.own')) return false;
  const coversNone = Array.isArray(h.summary.cameras) && h.summary.cameras.length === 0;
  return coversViewer(h, v) || (coversNone && same(h.team, v.team));
}

/**
 * Whether the handover waits for the viewer's acknowledgement. Not for an administrator: every camera is theirs, so
 * every handover would wait for them; they may still acknowledge one addressed to them.
 */
export function awaiting(h: Handover, v: HandoverViewer): boolean {
  return h.acknowledgedTs === undefined && !seesAll(v) && addressedTo(h, v);
}

/** Whether the viewer sees every handover (an administrator, or the instance's own token). */
export function seesAll(v: HandoverViewer): boolean {
  return v.permissions.has('handover.review') && (v.role === 'admin' || v.role === 'token');
}

/** Whether the handover is in the viewer's team (its author's team then, or a member of it now). */
function inTeam(h: Handover, v: HandoverViewer): boolean {
  if (!v.team) return false;
  return same(h.team, v.team) || v.teamMembers.has(h.author.toLowerCase());
}

/**
 * Whether the viewer may see a handover: one's own, those waiting for one and those one acknowledged; for a
 * supervisor (handover.review) also their team's and every unacknowledged one; everything for an administrator.
 */
export function visible(h: Handover, v: HandoverViewer): boolean {
  if (seesAll(v) || isOwn(h, v) || awaiting(h, v) || same(h.acknowledgedBy, v.user)) return true;
  if (!v.permissions.has('handover.review')) return false;
  return h.acknowledgedTs === undefined || inTeam(h, v);
}
