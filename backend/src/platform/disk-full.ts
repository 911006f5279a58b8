/**
 * Whether an error means the disk (or the quota) is full: a file write that failed with ENOSPC or EDQUOT, or
 * SQLite's SQLITE_FULL ("database or disk is full", also raised when a WAL or journal cannot grow). Such a write can
 * succeed later, once space is freed, so it is retried rather than dropped.
 */
export function isDiskFullError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL') return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  return /no space left on device|database or disk is full|disk quota exceeded/i.test(message);
}

/** Delay before retry `attempt` (0-based): doubling from `firstMs`, at most `maxMs`. */
export function retryDelay(attempt: number, firstMs = 250, maxMs = 10_000): number {
  return Math.min(maxMs, firstMs * 2 ** Math.min(attempt, 20));
}
