import pino, { type Logger, type DestinationStream } from 'pino';
import { redactUrl, redactValue } from './redact.js';

export type { Logger } from 'pino';

let root: Logger | undefined;

/** Options for the process-wide root logger. */
export interface LogOptions {
  level?: string;
  /** Where lines go; standard output by default. Tests pass a memory stream. */
  destination?: DestinationStream;
}

/** Configures the process-wide root logger. Every module logger derives from it. */
export function configureLogging(options: LogOptions = {}): Logger {
  root = pino(
    {
      level: options.level ?? process.env.VIGIL_LOG_LEVEL ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Secrets never reach a log line: secret-looking keys are censored and URL credentials masked, in the
      // structured fields and in the message text alike.
      formatters: { log: (obj) => redactValue(obj) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          // pino takes the message of a logged error as the line's message: mask errors before it does.
          const masked = args.map((a) => {
            if (typeof a === 'string') return redactUrl(a);
            if (a instanceof Error) return redactValue(a);
            if (a && typeof a === 'object' && (a as { err?: unknown }).err instanceof Error)
              return { ...a, err: redactValue((a as { err: Error }).err) };
            return a;
          }) as Parameters<typeof method>;
          method.apply(this, masked);
        },
      },
      serializers: { err: pino.stdSerializers.err },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
  return root;
}

/** A named logger for one module, e.g. `createLogger('video.camera')`. */
export function createLogger(module: string, bindings: Record<string, unknown> = {}): Logger {
  if (!root) root = configureLogging();
  return root.child({ module, ...bindings });
}

/** Flushes buffered log lines (before exit). */
export function flushLogs(): void {
  try {
    root?.flush();
  } catch {
    // The stream may already be closed during shutdown.
  }
}
