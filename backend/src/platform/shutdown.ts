import type { Logger } from './log.js';
import { flushLogs } from './log.js';

/** How long a graceful stop may take before the process exits anyway. */
export const SHUTDOWN_DEADLINE_MS = 4500;

/**
 * Stops the app on SIGINT/SIGTERM (and on a disconnect from a supervising parent) within the deadline. A second
 * signal exits at once.
 */
export function installShutdownHandlers(stop: () => Promise<void>, log: Logger): void {
  let stopping = false;
  const shutdown = (reason: string): void => {
    if (stopping) {
      log.warn({ reason }, 'second stop request: exiting now');
      flushLogs();
      process.exit(130);
    }
    stopping = true;
    log.info({ reason }, 'stopping');
    const deadline = setTimeout(() => {
      log.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, 'graceful stop took too long: exiting');
      flushLogs();
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    stop().then(
      () => {
        log.info('stopped');
        flushLogs();
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        flushLogs();
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  if (process.send) process.on('disconnect', () => shutdown('supervisor disconnected'));
  // The desktop shell asks for a stop over the message port first: on Windows it has no signal to send (a
  // utilityProcess kill() is TerminateProcess, which would leave ffmpeg running).
  onSupervisorMessage((message) => {
    if ((message as { type?: unknown } | null)?.type === 'stop') shutdown('stop requested by the supervisor');
  });
}

/** The message port to a supervising parent: a utilityProcess's parentPort, or a forked child's IPC channel. */
interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
  postMessage(message: unknown): void;
}

function parentPort(): ParentPort | undefined {
  return (process as { parentPort?: ParentPort }).parentPort;
}

/** Calls the listener with each message the supervisor sends. */
export function onSupervisorMessage(listener: (message: unknown) => void): void {
  const port = parentPort();
  if (port) port.on('message', (event) => listener(event.data));
  else if (process.send) process.on('message', listener);
}

/** Sends a message to the supervisor, if there is one. */
export function postToSupervisor(message: unknown): void {
  const port = parentPort();
  if (port) port.postMessage(message);
  else if (process.send && process.connected) process.send(message as Parameters<typeof process.send>[0]);
}
