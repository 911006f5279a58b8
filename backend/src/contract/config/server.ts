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
    publicNames: z
      .array(
        z
          .string()
          .min(1)
          .max(260)
          .regex(/^[a-z0-9.-]+(:\d{1,5})?$/i, 'a host name, optionally with :port (no scheme, no path)'),
      )
      .max(50)
      .default([])
      .describe(
        'Host names browsers use to reach this server besides loopback names and IP addresses (e.g. `vigil.example.com`, or `vigil.example.com:8443` behind a reverse proxy on another port). Requests for any other name are refused, which stops DNS-rebinding pages.',
      ),
    sessions: z
      .strictObject({
        loginCodeMinutes: z
          .int()
          .min(1)
          .max(60)
          .default(5)
          .describe('How long a login link stays valid (it also works only once).'),
        idleMinutes: z
          .int()
          .min(15)
          .max(7 * 24 * 60)
          .default(8 * 60)
          .describe('A browser session unused this long is ended.'),
        lifetimeHours: z
          .int()
          .min(1)
          .max(30 * 24)
          .default(24)
          .describe('A browser session ends this long after its login, used or not.'),
      })
      .prefault({})
      .describe('Browser sessions (log in through a one-time link; log out ends the session).'),
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
