import path from 'node:path';
import { afterEach } from 'vitest';

/** The repository root and the stand-in backend the shell's tests supervise. */
export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const FIXTURE = path.join(import.meta.dirname, 'fake-backend.mjs');

/** Undo steps run after each test, newest first (apps stopped, folders removed). */
export function cleanupAfterEach(): (() => Promise<void> | void)[] {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  return cleanup;
}

/** Polls `probe` every 25 ms until it answers, or rejects naming `what` after `ms`. */
export function waitFor<T>(what: string, probe: () => T | undefined | false, ms = 20_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = (): void => {
      const v = probe();
      if (v) return resolve(v);
      if (Date.now() - t0 > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 25);
    };
    tick();
  });
}
