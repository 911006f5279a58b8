import type { DesktopSiteState } from '../backend/src/contract/desktop.js';
import { backoffDelay } from './backend-supervisor.js';

/** What one probe of a site (GET /healthz, then GET /api/session with its token) or one relayed request found. */
export type SiteOutcome = 'ok' | 'unauthorized' | 'unreachable';

/** The connection state of one site, kept by the main process. */
export interface SiteHealth {
  readonly state: DesktopSiteState;
  /** Consecutive failed attempts since the site last answered. */
  readonly failures: number;
  /** When the next probe is due (ms since the epoch). */
  readonly nextProbeAt: number;
  readonly detail?: string;
}

export interface SiteHealthTiming {
  /** Between probes of a site that answers. */
  intervalMs: number;
  /** First retry after a failure; doubles per failure up to `maxMs`. */
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_SITE_TIMING: SiteHealthTiming = { intervalMs: 5000, baseMs: 1000, maxMs: 30_000 };

/** A site just added (or the app just started): probed at once. */
export function initialHealth(now: number): SiteHealth {
  return { state: 'connecting', failures: 0, nextProbeAt: now };
}

/**
 * The state after an outcome. A site that answers is online and probed again after the interval; one that does not
 * is offline and retried with exponential backoff, by itself, until it answers; a refused token stays refused until
 * the token changes (retrying a wrong token would only fill the site's audit log).
 */
export function nextHealth(
  prev: SiteHealth,
  outcome: SiteOutcome,
  now: number,
  timing: SiteHealthTiming = DEFAULT_SITE_TIMING,
): SiteHealth {
  if (outcome === 'ok') return { state: 'online', failures: 0, nextProbeAt: now + timing.intervalMs };
  if (outcome === 'unauthorized') {
    return {
      state: 'unauthorized',
      failures: prev.failures + 1,
      nextProbeAt: Number.POSITIVE_INFINITY,
      detail: 'the site refused the API token; add the site again with a valid token',
    };
  }
  const failures = prev.failures + 1;
  const delay = backoffDelay(failures, timing.baseMs, timing.maxMs);
  return {
    state: 'offline',
    failures,
    nextProbeAt: now + delay,
    detail: `not reachable; retrying in ${Math.ceil(delay / 1000)} s`,
  };
}

/** Whether a site should be probed now. */
export function probeDue(h: SiteHealth, now: number): boolean {
  return now >= h.nextProbeAt;
}
