import type { SessionResponse } from '../../backend/src/contract/people';
import { request, Routes } from './lib/api-client';

/** Result of asking the backend who we are. */
export type SessionState =
  | { kind: 'loading' }
  | { kind: 'ready'; session: SessionResponse }
  | { kind: 'unauthorized' }
  | { kind: 'offline'; message: string };

/** Ends this browser's session (its cookie is removed); the UI then asks for a new login link. */
export async function logout(): Promise<void> {
  await request('POST', Routes.app.logout);
}

/** Fetches the session; the cookie set by the login link (or the desktop shell) authenticates it. */
export async function fetchSession(): Promise<SessionState> {
  const r = await request<SessionResponse>('GET', Routes.app.session);
  if (r.ok) return { kind: 'ready', session: r.data };
  if (r.status === 401) return { kind: 'unauthorized' };
  return { kind: 'offline', message: r.status === 0 ? r.message : `The backend answered ${r.status}.` };
}
