import { describe, expect, it } from 'vitest';
import { initialHealth, nextHealth, probeDue, type SiteHealth } from './site-health.js';

const timing = { intervalMs: 5000, baseMs: 1000, maxMs: 8000 };

describe('site health (reconnect by itself)', () => {
  it('a new site is probed at once; an answer makes it online and schedules the next check', () => {
    const h = initialHealth(1000);
    expect(h.state).toBe('connecting');
    expect(probeDue(h, 1000)).toBe(true);
    const on = nextHealth(h, 'ok', 1000, timing);
    expect(on).toEqual({ state: 'online', failures: 0, nextProbeAt: 6000 });
    expect(probeDue(on, 5999)).toBe(false);
    expect(probeDue(on, 6000)).toBe(true);
  });

  it('a site that stops answering goes offline and is retried with growing delays, capped, until it answers', () => {
    let h: SiteHealth = nextHealth(initialHealth(0), 'ok', 0, timing);
    const delays: number[] = [];
    let now = 10_000;
    for (let i = 0; i < 6; i++) {
      h = nextHealth(h, 'unreachable', now, timing);
      expect(h.state).toBe('offline');
      delays.push(h.nextProbeAt - now);
      now = h.nextProbeAt;
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    expect(h.detail).toBe('not reachable; retrying in 8 s');
    h = nextHealth(h, 'ok', now, timing);
    expect(h).toEqual({ state: 'online', failures: 0, nextProbeAt: now + 5000 });
    // After reconnecting, the next outage starts again from the shortest delay.
    expect(nextHealth(h, 'unreachable', now, timing).nextProbeAt - now).toBe(1000);
  });

  it('a refused token is not retried (it would only fill the site audit log) and says what to do', () => {
    const h = nextHealth(initialHealth(0), 'unauthorized', 0, timing);
    expect(h.state).toBe('unauthorized');
    expect(probeDue(h, Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(h.detail).toMatch(/valid token/);
  });
});
