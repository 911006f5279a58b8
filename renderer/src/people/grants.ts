import {
  ROLE_CAMERA_RIGHTS,
  type CameraGrant,
  type CameraRight,
  type Permission,
  type Role,
} from '../../../backend/src/contract/people';

/** Camera grants as a form edits them: target (camera id, `@group` or `*`) → rights. */
export type GrantDraft = ReadonlyMap<string, readonly CameraRight[]>;

/** The rights a role may hold on a camera, in the contract's order. */
export function rightsOf(role: Role): readonly CameraRight[] {
  return ROLE_CAMERA_RIGHTS[role];
}

/** Keeps only the rights the role may have; targets left with none are dropped (the backend refuses them). */
export function capGrants(draft: GrantDraft, allowed: readonly CameraRight[]): Map<string, CameraRight[]> {
  const out = new Map<string, CameraRight[]>();
  for (const [target, rights] of draft) {
    const kept = allowed.filter((r) => rights.includes(r));
    if (kept.length > 0) out.set(target, kept);
  }
  return out;
}

/** A form's draft as the API's grant list; "all cameras" replaces every other target. */
export function toGrants(draft: GrantDraft): CameraGrant[] {
  const all = draft.get('*');
  if (all && all.length > 0) return [{ target: '*', rights: [...all] }];
  return [...draft]
    .filter(([, rights]) => rights.length > 0)
    .map(([target, rights]) => ({ target, rights: [...rights] }));
}

/** An account's or token's grants as a form's draft. */
export function fromGrants(grants: readonly CameraGrant[]): Map<string, CameraRight[]> {
  return new Map(grants.map((g) => [g.target, [...g.rights]]));
}

/** Grants in words for a table cell: "all cameras (live)", "lobby (live, recordings), @north (live)". */
export function describeGrants(grants: readonly CameraGrant[], cameraName: (id: string) => string): string {
  if (grants.length === 0) return 'no cameras';
  return grants
    .map((g) => {
      const who =
        g.target === '*' ? 'all cameras' : g.target.startsWith('@') ? g.target : cameraName(g.target);
      return `${who} (${g.rights.join(', ')})`;
    })
    .join(', ');
}

/**
 * The views of the app and what opens each: any one of the permissions listed. Views not listed (the desktop
 * shell's own) need none.
 */
export const VIEW_PERMISSIONS: Readonly<Record<string, readonly Permission[]>> = {
  live: ['live.view'],
  events: ['events.search', 'events.recent'],
  dashboards: ['dashboards.view'],
  rules: ['rules.manage'],
  cameras: ['cameras.manage'],
  system: ['system.view'],
  backup: ['backup.manage'],
  kibana: ['dashboards.view'],
  people: ['users.manage'],
  playback: ['recordings.view'],
  // Trails for those who search the archive; the site map editor for those who manage cameras.
  investigation: ['events.search', 'cameras.manage'],
  audit: ['audit.view'],
  handover: ['handover.own', 'handover.review'],
};

/** Whether a caller holding `permissions` may open a view. */
export function mayOpen(view: string, can: (p: Permission) => boolean): boolean {
  const needs = VIEW_PERMISSIONS[view];
  return !needs || needs.some(can);
}
