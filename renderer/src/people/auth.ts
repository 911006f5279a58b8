import { PeopleApiRoutes, type SessionResponse } from '../../../backend/src/contract/people';
import { api, path, type ApiResult } from '../lib/api-client';

/** POST /api/auth/login: signs in with a user name and password (the answer sets the session cookie). */
export function signIn(username: string, password: string): Promise<ApiResult<SessionResponse>> {
  return api.post<SessionResponse>(PeopleApiRoutes.signIn, { username, password });
}

/** POST /api/auth/setup: creates the first administrator from a setup session and signs them in. */
export function createFirstAdmin(username: string, password: string): Promise<ApiResult<SessionResponse>> {
  return api.post<SessionResponse>(PeopleApiRoutes.setup, { username, password });
}

/** GET /api/auth/status: whether the site has any account yet. */
export function authStatus(): Promise<ApiResult<{ accounts: boolean }>> {
  return api.get<{ accounts: boolean }>(PeopleApiRoutes.status);
}

/** POST /api/users/:name/password: one's own new password, with the current one. */
export function changeOwnPassword(user: string, current: string, password: string): Promise<ApiResult<void>> {
  return api.post<void>(path(PeopleApiRoutes.userPassword, { name: user }), { current, password });
}
