import { ApiRoutes } from '../../backend/src/contract/api';
import type { SessionResponse } from '../../backend/src/contract/people';

/** Result of asking the backend who we are. */
export type SessionState =
  | { kind: 'loading' }
  | { kind: 'ready'; session: SessionResponse }
  | { kind: 'unauthorized' }
  | { kind: 'offline'; message: string };

/** Ends this browser's session (its cookie is removed); the UI then asks for a new login link. */
export async function logout(): Promise<void> {
  await fetch(ApiRoutes.logout, { method: 'POST', credentials: 'same-origin' }).catch(() => undefined);
}

/** Fetches the session; the cookie set by the login link (or the desktop shell) authenticates it. */
export async function fetchSession(): Promise<SessionState> {
  try {
    const res = await fetch(ApiRoutes.session, { credentials: 'same-origin' });
    if (res.status === 401) return { kind: 'unauthorized' };
    if (!res.ok) return { kind: 'offline', message: `The backend answered ${res.status}.` };
    return { kind: 'ready', session: (await res.json()) as SessionResponse };
  } catch {
    return { kind: 'offline', message: 'The backend is not reachable.' };
  }
}
