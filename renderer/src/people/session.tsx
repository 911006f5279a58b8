import { createContext, useCallback, useContext, type ReactNode } from 'react';
import type { Permission, SessionResponse } from '../../../backend/src/contract/people';

/**
 * The signed-in caller, shared with every view. `can` only hides what the caller may not do: the backend checks
 * every request on its own, so a hidden button is a courtesy, never the protection.
 */
interface SessionContextValue {
  session: SessionResponse;
  /** Ends this browser's session and shows the sign-in page. */
  signOut: () => void;
}

const SessionContext = createContext<SessionContextValue | undefined>(undefined);

export function SessionProvider(props: {
  session: SessionResponse;
  signOut: () => void;
  children: ReactNode;
}) {
  return (
    <SessionContext.Provider value={{ session: props.session, signOut: props.signOut }}>
      {props.children}
    </SessionContext.Provider>
  );
}

/** Whether a session grants a permission. */
export function sessionCan(session: Pick<SessionResponse, 'permissions'>, permission: Permission): boolean {
  return session.permissions.includes(permission);
}

/** The caller's session; undefined outside the signed-in app (the sign-in page). */
export function useSession(): SessionContextValue | undefined {
  return useContext(SessionContext);
}

/**
 * `can(permission)`: whether the signed-in caller may do something. Outside a session (tests rendering a view on
 * its own) everything is shown, as before people existed.
 */
export function useCan(): (permission: Permission) => boolean {
  const ctx = useContext(SessionContext);
  return useCallback((permission: Permission) => (ctx ? sessionCan(ctx.session, permission) : true), [ctx]);
}

/** A role as people say it. */
export function roleLabel(role: SessionResponse['role']): string {
  return {
    guard: 'Guard',
    investigator: 'Investigator',
    supervisor: 'Supervisor',
    admin: 'Administrator',
    token: 'API token',
  }[role];
}
