/** HTTP routes of the backend API, shared by the backend, the renderer and the desktop shell. */
export const ApiRoutes = {
  health: '/healthz',
  login: '/login',
  session: '/api/session',
  /** POST with the bearer token: opens a browser session for the desktop shell's window (Set-Cookie). */
  authSession: '/api/auth/session',
  /** POST: ends the caller's browser session and removes its cookie. */
  logout: '/api/auth/logout',
  openapi: '/api/openapi.json',
  metrics: '/metrics',
  realtime: '/api/ws',
  kibana: '/api/kibana',
} as const;

/** Name of the HttpOnly cookie that carries a browser's session id (never the bearer token). */
export const SESSION_COOKIE = 'vigil_session';

/** GET /healthz: liveness and a summary of every service. Unauthenticated (for supervisors and load balancers). */
export interface HealthResponse {
  status: 'ok' | 'degraded';
  version: string;
  uptimeSeconds: number;
  services: Record<string, { status: 'ok' | 'degraded' | 'down'; detail?: string }>;
}

/** Body of every error answer: a message a person can act on, and the offending field when there is one. */
export interface ApiError {
  error: string;
  message: string;
  field?: string;
}

/** GET /api/kibana: the Kibana dashboards to embed; `enabled` is false (and the tab hidden) without a Kibana URL. */
export interface KibanaResponse {
  enabled: boolean;
  url: string;
  dashboards: Array<{ id: string; title: string }>;
}

/**
 * The Content-Security-Policy of the app's pages in a browser: everything from the backend itself, and frames only
 * from the configured Kibana origin (the Kibana tab).
 */
export function appContentSecurityPolicy(kibanaOrigin?: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "connect-src 'self' ws: wss:",
    `frame-src ${kibanaOrigin ?? "'none'"}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
