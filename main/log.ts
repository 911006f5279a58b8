import pino, { type Logger } from 'pino';

let root: Logger | undefined;

/** A named logger for one main-process module. Lines go to standard output as JSON, like the backend's. */
export function createMainLogger(module: string): Logger {
  root ??= pino({
    level: process.env.VIGIL_LOG_LEVEL ?? (process.env.VITEST ? 'error' : 'info'),
    base: { pid: process.pid, process: 'main' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // The session token and remote credentials never reach a log line.
    redact: { paths: ['token', '*.token', 'password', '*.password', 'credentials'], censor: '[redacted]' },
  });
  return root.child({ module });
}
