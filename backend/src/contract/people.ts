/**
 * People, roles and what each may do. The backend enforces these after routing, in one place (the access check
 * reads the matched route's entry in `ROUTE_PERMISSIONS`); the UI reads the caller's permissions from
 * GET /api/session only to hide what the caller cannot do.
 */

/** The roles of a site, from least to most trusted. */
export const ROLES = ['guard', 'investigator', 'supervisor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What a person (or an API token) may do. Camera-scoped permissions apply only to the cameras granted. */
export const PERMISSIONS = [
  /** The live wall, camera list and camera snapshots of the cameras granted `live`. */
  'live.view',
  /** Built-in dashboards (counts of the cameras one may see). */
  'dashboards.view',
  /** Incidents and alerts of one's cameras: list, acknowledge, resolve, notes, "not a person", snooze. */
  'alerts.handle',
  /** Events of the last few minutes (`people.guardLookbackMinutes`) of one's cameras. */
  'events.recent',
  /** The whole archive: search, facets, saved searches, event details of one's cameras. */
  'events.search',
  /** Notes, tags and the retain flag on events. */
  'events.annotate',
  /** Recordings and clips of the cameras granted `recordings`. */
  'recordings.view',
  /** Legal holds on recordings. */
  'recordings.hold',
  /** Evidence exports of the cameras granted `export` (a case number and a reason are required). */
  'export.create',
  /** One's own shift handover. */
  'handover.own',
  /** The handovers of one's team (all of them for an administrator). */
  'handover.review',
  /** Incidents escalated past the first level reach this person. */
  'escalations.receive',
  /** The audit log (one's team's for a supervisor, all of it for an administrator). */
  'audit.view',
  /** Named wall layouts shared by the site. */
  'layouts.manage',
  /** Alert rules, zones, suppressions, the feedback set. */
  'rules.manage',
  /** The site's alert settings: sound, channels, escalation levels. */
  'settings.manage',
  /** Cameras: add, change, remove, probe; retention. */
  'cameras.manage',
  /** People, camera groups and API tokens. */
  'users.manage',
  /** Storage and retention settings. */
  'storage.manage',
  /** Backups, restores and their targets. */
  'backup.manage',
  /** Metrics and the OpenAPI document. */
  'system.view',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Per-camera rights a grant gives (capped by the role). */
export const CAMERA_RIGHTS = ['live', 'recordings', 'export'] as const;
export type CameraRight = (typeof CAMERA_RIGHTS)[number];

/** What each role may do at most. */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  guard: ['live.view', 'dashboards.view', 'alerts.handle', 'events.recent', 'handover.own'],
  investigator: [
    'live.view',
    'dashboards.view',
    'events.recent',
    'events.search',
    'events.annotate',
    'recordings.view',
    'recordings.hold',
    'export.create',
  ],
  supervisor: [
    'live.view',
    'dashboards.view',
    'alerts.handle',
    'events.recent',
    'handover.own',
    'handover.review',
    'escalations.receive',
    'audit.view',
    'layouts.manage',
  ],
  admin: [...PERMISSIONS],
};

/** The camera rights a role can be granted at most. */
export const ROLE_CAMERA_RIGHTS: Readonly<Record<Role, readonly CameraRight[]>> = {
  guard: ['live'],
  investigator: ['live', 'recordings', 'export'],
  supervisor: ['live'],
  admin: ['live', 'recordings', 'export'],
};

/**
 * Who may call a route: `public` (anyone), `signed-in` (any person or token), or a permission. Every route the
 * server registers has an entry in `ROUTE_PERMISSIONS`, keyed `METHOD /route/:pattern`; a route without one stops
 * the server at start.
 */
export type RouteRule = 'public' | 'signed-in' | Permission;

/** The key of a route in `ROUTE_PERMISSIONS`: its method and the route pattern it was registered with. */
export function routeKey(method: string, url: string): string {
  return `${method.toUpperCase()} ${url}`;
}
