import { z } from 'zod';
import { Limits } from './limits.js';

/** HTTP + WebSocket API server settings. */
export const ServerConfig = z
  .strictObject({
    host: z
      .string()
      .max(Limits.token)
      .min(1)
      .default('127.0.0.1')
      .describe(
        'Address the API binds to. Keep 127.0.0.1 unless remote desktop clients must connect; then put it behind TLS.',
      ),
    port: z
      .int()
      .min(0)
      .max(65535)
      .default(8470)
      .describe('TCP port of the API and the web UI. 0 picks a free port (tests).'),
  })
  .prefault({})
  .describe('The API server that the desktop window, browsers and remote clients talk to.');
export type ServerConfig = z.infer<typeof ServerConfig>;

/** Logging settings. */
export const LoggingConfig = z
  .strictObject({
    level: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('Minimum level written to the log.'),
  })
  .prefault({})
  .describe('Structured logs (JSON lines on standard output). Secrets are always redacted.');
export type LoggingConfig = z.infer<typeof LoggingConfig>;
