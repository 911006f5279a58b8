import { z } from 'zod';

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

/** Routes of accounts, sign-in, camera groups, API tokens and handovers. */
export const PeopleApiRoutes = {
  /** POST {username, password}: signs in (session cookie). */
  signIn: '/api/auth/login',
  /** GET: whether the site has any account yet (public). */
  status: '/api/auth/status',
  /** POST {username, password}: creates the first administrator (only while there is none, from a setup session). */
  setup: '/api/auth/setup',
  users: '/api/users',
  user: '/api/users/:name',
  /** POST {password} (own, with the current one) or an administrator's reset. */
  userPassword: '/api/users/:name/password',
  groups: '/api/camera-groups',
  group: '/api/camera-groups/:name',
  tokens: '/api/tokens',
  token: '/api/tokens/:id',
  settings: '/api/people/settings',
} as const;

/** A time in ms since the epoch. */
const Timestamp = z.number().int().min(0).max(8.64e15);

/** A person's sign-in name: letters, digits and . _ - (case-insensitive, kept as typed). */
export const UserName = z
  .string()
  .trim()
  .min(1, 'a user name is required')
  .max(64, 'at most 64 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dots, dashes and underscores only');

/** The shortest password accepted (the UI checks it before asking the backend). */
export const PASSWORD_MIN_LENGTH = 10;

/** Passwords: long enough to resist guessing, bounded so hashing a huge one cannot stall the server. */
export const Password = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(256, 'at most 256 characters');

/** A camera id, a camera group (`@name`) or every camera (`*`). */
export const GrantTarget = z
  .string()
  .min(1)
  .max(65)
  .regex(/^(\*|@[A-Za-z0-9._-]{1,64}|[A-Za-z0-9][A-Za-z0-9_-]{0,63})$/, 'a camera id, @group or *');

/** Rights on some cameras. */
export const CameraGrant = z.object({
  target: GrantTarget,
  rights: z.array(z.enum(CAMERA_RIGHTS)).min(1).max(CAMERA_RIGHTS.length),
});
export type CameraGrant = z.infer<typeof CameraGrant>;

/** A person as the API shows them (never their password hash). */
export const UserAccount = z.object({
  name: UserName,
  role: z.enum(ROLES),
  displayName: z.string().max(120).optional(),
  /** A supervisor's team, or the team a guard belongs to. */
  team: z.string().max(64).optional(),
  cameras: z.array(CameraGrant).max(500),
  disabled: z.boolean(),
  createdTs: Timestamp,
  lastSignInTs: Timestamp.optional(),
  /** Until when sign-in is locked after failures (ms since the epoch). */
  lockedUntilTs: Timestamp.optional(),
});
export type UserAccount = z.infer<typeof UserAccount>;

/** POST /api/users body. */
export const NewUserBody = z.object({
  name: UserName,
  role: z.enum(ROLES),
  password: Password,
  displayName: z.string().trim().max(120).optional(),
  team: z.string().trim().max(64).optional(),
  /** Camera grants; a role's default rights on every camera when absent for an administrator. */
  cameras: z.array(CameraGrant).max(500).default([]),
});
export type NewUserBody = z.input<typeof NewUserBody>;

/** PUT /api/users/:name body (every field optional). */
export const UserPatch = z.object({
  role: z.enum(ROLES).optional(),
  displayName: z.string().trim().max(120).optional(),
  team: z.string().trim().max(64).optional(),
  cameras: z.array(CameraGrant).max(500).optional(),
  disabled: z.boolean().optional(),
});
export type UserPatch = z.infer<typeof UserPatch>;

/** POST /api/auth/login body. */
export const SignInBody = z.object({
  username: z.string().trim().min(1, 'enter your user name').max(64),
  password: z.string().min(1, 'enter your password').max(256),
});
export type SignInBody = z.infer<typeof SignInBody>;

/** POST /api/users/:name/password body: a new password; one's own change also needs the current one. */
export const PasswordBody = z.object({
  password: Password,
  current: z.string().max(256).optional(),
});
export type PasswordBody = z.infer<typeof PasswordBody>;

/** A named set of cameras, granted as `@name`. */
export const CameraGroup = z.object({
  name: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dots, dashes and underscores'),
  cameras: z.array(z.string().min(1).max(64)).max(500),
});
export type CameraGroup = z.infer<typeof CameraGroup>;

/** An API token as listed (its secret is shown once, at creation). */
export const ApiTokenInfo = z.object({
  id: z.string().max(40),
  name: z.string().max(80),
  permissions: z.array(z.enum(PERMISSIONS)).max(PERMISSIONS.length),
  cameras: z.array(CameraGrant).max(500),
  createdBy: z.string().max(64),
  createdTs: Timestamp,
  expiresTs: Timestamp.optional(),
  lastUsedTs: Timestamp.optional(),
  revokedTs: Timestamp.optional(),
});
export type ApiTokenInfo = z.infer<typeof ApiTokenInfo>;

/** POST /api/tokens body. */
export const NewTokenBody = z.object({
  name: z.string().trim().min(1, 'name the token after what uses it').max(80),
  permissions: z.array(z.enum(PERMISSIONS)).min(1, 'grant at least one permission').max(PERMISSIONS.length),
  cameras: z
    .array(CameraGrant)
    .max(500)
    .default([{ target: '*', rights: ['live', 'recordings', 'export'] }]),
  /** Days until it stops working (none: until revoked). */
  expiresDays: z.int().min(1).max(3650).optional(),
});
export type NewTokenBody = z.input<typeof NewTokenBody>;

/** POST /api/tokens answer: the only time the secret is shown. */
export interface NewTokenResponse {
  token: ApiTokenInfo;
  secret: string;
}

/** Site-wide people settings an administrator edits. */
export const PeopleSettings = z.object({
  /** How far back a guard may look in the archive (minutes). */
  guardLookbackMinutes: z
    .int()
    .min(1)
    .max(24 * 60)
    .default(15),
  /** Sign the desktop shell's OS user in automatically as the account of the same name (single-person sites). */
  desktopAutoSignIn: z.boolean().default(false),
  /** Failed sign-ins in a row before an account is locked, and the first lock (doubling for each further failure). */
  lockoutAfter: z.int().min(3).max(20).default(5),
  lockoutSeconds: z.int().min(10).max(3600).default(60),
});
export type PeopleSettings = z.infer<typeof PeopleSettings>;

/** GET /api/session: who the caller is and what they may do. */
export interface SessionResponse {
  user: string;
  displayName?: string;
  /** The person's role; `token` for an API token. */
  role: Role | 'token';
  /** What the caller may do (the UI hides the rest; the backend enforces it). */
  permissions: Permission[];
  /** Cameras the caller may see at all (every camera: `'*'`). */
  cameras: string[] | '*';
  /** How far back the archive reaches for this caller (minutes); absent: no limit. */
  lookbackMinutes?: number;
  /** No administrator exists yet: the UI asks for the first one. */
  setup?: boolean;
  mode: 'local' | 'cluster';
  version: string;
}
