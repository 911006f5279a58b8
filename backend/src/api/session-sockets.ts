import type { WebSocket } from 'ws';

/** Close code of a live connection whose session ended (log out, idle, lifetime); the client must log in again. */
export const SESSION_ENDED_CLOSE_CODE = 4401;

/**
 * The open WebSockets of each browser session, so that ending a session also ends its live connections: at once
 * on log out, and at the next periodic check when the session idled out, reached its lifetime or was ended on
 * another instance.
 */
export class SessionSockets {
  readonly #bySession = new Map<string, Set<WebSocket>>();

  /** Number of sessions with an open socket. */
  get sessions(): number {
    return this.#bySession.size;
  }

  track(sessionId: string, socket: WebSocket): void {
    let sockets = this.#bySession.get(sessionId);
    if (!sockets) this.#bySession.set(sessionId, (sockets = new Set()));
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0 && this.#bySession.get(sessionId) === sockets) this.#bySession.delete(sessionId);
    });
  }

  /** Closes every socket of a session. */
  close(sessionId: string): void {
    const sockets = this.#bySession.get(sessionId);
    this.#bySession.delete(sessionId);
    for (const socket of sockets ?? []) socket.close(SESSION_ENDED_CLOSE_CODE, 'session ended: log in again');
  }

  /** Closes the sockets of every session that is no longer valid. */
  async recheck(isValid: (sessionId: string) => Promise<boolean>): Promise<void> {
    for (const sessionId of [...this.#bySession.keys()]) {
      if (!(await isValid(sessionId).catch(() => false))) this.close(sessionId);
    }
  }

  /** Forgets every socket (their server is closing them). */
  clear(): void {
    this.#bySession.clear();
  }
}
