import { ApiRoutes, SESSION_COOKIE } from '../backend/src/contract/api.js';

/** How often the shell opens a fresh session for its windows, well within the shortest idle time (15 minutes). */
export const BROWSER_SESSION_REFRESH_MS = 10 * 60_000;

/** The backend could not open a session for the shell's windows. */
export class BrowserSessionError extends Error {
  override readonly name = 'BrowserSessionError';
  constructor(
    message: string,
    /** People sign in themselves (the window shows the sign-in page): not a failure. */
    readonly signInRequired = false,
  ) {
    super(message);
  }
}

/** Whether a window session is still valid (GET /api/session with its cookie). */
export async function sessionIsValid(backend: { url: string }, sessionId: string): Promise<boolean> {
  const res = await fetch(new URL(ApiRoutes.session, backend.url), {
    headers: { cookie: `${SESSION_COOKIE}=${encodeURIComponent(sessionId)}` },
    signal: AbortSignal.timeout(10_000),
  });
  return res.ok;
}

/**
 * Trades the backend's bearer token for a browser session id (POST /api/auth/session): the windows' cookie then
 * carries a session that expires, idles out and can be ended, never the token itself, which stays in the main
 * process. The backend opens one only on a new installation (to create the first administrator) or when an
 * administrator lets the shell sign its OS user in; otherwise people sign in on the page (`signInRequired`).
 * Returns the session id.
 */
export async function openBrowserSession(backend: { url: string; token: string }): Promise<string> {
  const res = await fetch(new URL(ApiRoutes.authSession, backend.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${backend.token}` },
    signal: AbortSignal.timeout(10_000),
  });
  if (res.status === 403) {
    const body = (await res.json().catch(() => ({}))) as { error?: string };
    if (body.error === 'sign_in_required') throw new BrowserSessionError('people sign in on the page', true);
  }
  if (res.status !== 204) {
    throw new BrowserSessionError(`the backend refused to open a window session (HTTP ${res.status})`);
  }
  for (const header of res.headers.getSetCookie()) {
    const first = header.split(';')[0] ?? '';
    const eq = first.indexOf('=');
    if (eq > 0 && first.slice(0, eq).trim() === SESSION_COOKIE) {
      const id = decodeURIComponent(first.slice(eq + 1).trim());
      if (id) return id;
    }
  }
  throw new BrowserSessionError('the backend opened a window session but sent no session cookie');
}
