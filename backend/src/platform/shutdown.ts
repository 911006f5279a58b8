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
}
