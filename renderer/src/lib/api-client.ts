/**
 * The renderer's one API client: paths built from the contract's route tables, one request function, one result
 * shape. No page writes an `/api/…` string of its own; a route missing here belongs in its contract table.
 * Imports carry `.js` so that Node tests of this module (under test/) resolve them as the backend does.
 */
import { ApiRoutes, type ApiError } from '../../../backend/src/contract/api.js';
import { AuditApiRoutes } from '../../../backend/src/contract/audit.js';
import { BackupApiRoutes } from '../../../backend/src/contract/backup.js';
import { DetectApiRoutes } from '../../../backend/src/contract/detect-api.js';
import { EventsApiRoutes } from '../../../backend/src/contract/events-api.js';
import { HandoverApiRoutes } from '../../../backend/src/contract/handover.js';
import { IncidentApiRoutes } from '../../../backend/src/contract/incidents.js';
import { InvestigationApiRoutes } from '../../../backend/src/contract/investigation.js';
import { LayoutsApiRoutes } from '../../../backend/src/contract/layouts-api.js';
import { PeopleApiRoutes } from '../../../backend/src/contract/people.js';
import { VideoRoutes } from '../../../backend/src/contract/video-api.js';

/** Every route table of the contract, by area. */
export const Routes = {
  app: ApiRoutes,
  audit: AuditApiRoutes,
  backup: BackupApiRoutes,
  detect: DetectApiRoutes,
  events: EventsApiRoutes,
  handover: HandoverApiRoutes,
  incidents: IncidentApiRoutes,
  investigation: InvestigationApiRoutes,
  layouts: LayoutsApiRoutes,
  people: PeopleApiRoutes,
  video: VideoRoutes,
} as const;

/** The `:name` placeholders of a route, e.g. `'kind' | 'target'` for `/api/snoozes/:kind/:target`. */
export type RouteParams<R extends string> = R extends `${string}:${infer P}/${infer Rest}`
  ? P | RouteParams<`/${Rest}`>
  : R extends `${string}:${infer P}`
    ? P
    : never;

/** A query value: lists are sent comma-separated (`cameras=a,b`); undefined, null and '' are left out. */
export type QueryValue = string | number | boolean | readonly (string | number)[] | undefined | null;
/** A query: named values, or a query string built elsewhere (without the leading `?`). */
export type Query = Record<string, QueryValue> | string;

/** Thrown for a route whose placeholder got no value: a programming error, never a user's. */
export class MissingRouteParamError extends Error {
  constructor(route: string, param: string) {
    super(`route ${route} needs a value for :${param}`);
  }
}

/** The query string of `query`, with its `?`, or '' when there is nothing to send. */
export function queryString(query: Query | undefined): string {
  if (query === undefined) return '';
  if (typeof query === 'string') return query ? `?${query.replace(/^\?/, '')}` : '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    const text = Array.isArray(value)
      ? (value as readonly (string | number)[]).map((v) => encodeURIComponent(String(v))).join(',')
      : encodeURIComponent(String(value as string | number | boolean));
    parts.push(`${encodeURIComponent(key)}=${text}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

type PathArgs<R extends string> = [RouteParams<R>] extends [never]
  ? [params?: Record<string, never>, query?: Query]
  : [params: Record<RouteParams<R>, string | number>, query?: Query];

/**
 * A route of the contract with its placeholders filled in (each one URL-encoded) and an optional query:
 * `path(Routes.video.camera, { id: 'front door' })` → `/api/cameras/front%20door`.
 */
export function path<R extends string>(route: R, ...[params, query]: PathArgs<R>): string {
  const values = (params ?? {}) as Record<string, string | number | undefined>;
  const filled = route.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined || value === '') throw new MissingRouteParamError(route, name);
    return encodeURIComponent(String(value));
  });
  return filled + queryString(query);
}

/**
 * Result of an API call: the data, or why not in words. `notAvailable`: the backend has no such route or feature
 * (404, 501). `message`: the backend's own words when it gave some, else a sentence about the status. `field`: the
 * request field the refusal is about (ApiError.field, e.g. `main.url`), for showing the error beside it.
 */
export type ApiResult<T> =
  | { ok: true; data: T }
  | { ok: false; status: number; notAvailable: boolean; message: string; field?: string };

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Calls the backend with this window's session cookie; failures come back as results, never as exceptions. */
export async function request<T>(method: HttpMethod, url: string, body?: unknown): Promise<ApiResult<T>> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    return { ok: false, status: 0, notAvailable: false, message: 'The backend is not reachable.' };
  }
  const text = await res.text().catch(() => '');
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (res.ok) return { ok: true, data: (data ?? (text || undefined)) as T };
  const err = (data && typeof data === 'object' ? data : {}) as Partial<ApiError>;
  const notAvailable = res.status === 404 || res.status === 501;
  const message =
    typeof err.message === 'string' && err.message
      ? err.message
      : notAvailable
        ? 'Not available on this backend.'
        : `The backend answered ${res.status}.`;
  const field = typeof err.field === 'string' && err.field ? err.field : undefined;
  return { ok: false, status: res.status, notAvailable, message, ...(field ? { field } : {}) };
}

/** Shorthands of `request` by method. */
export const api = {
  get: <T>(url: string) => request<T>('GET', url),
  post: <T>(url: string, body?: unknown) => request<T>('POST', url, body ?? {}),
  put: <T>(url: string, body: unknown) => request<T>('PUT', url, body),
  patch: <T>(url: string, body: unknown) => request<T>('PATCH', url, body),
  del: <T>(url: string) => request<T>('DELETE', url),
};
