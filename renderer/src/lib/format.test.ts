import { describe, expect, it } from 'vitest';
import { formatBytes, formatDateTime, formatDuration, formatTime } from './format';

describe('formatting', () => {
  it('writes sizes in decimal units on every page (1 kB = 1000 bytes)', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1000)).toBe('1.0 kB');
    expect(formatBytes(1_536_000)).toBe('1.5 MB');
    expect(formatBytes(250_000_000)).toBe('250 MB');
    expect(formatBytes(42e9)).toBe('42 GB');
    expect(formatBytes(3.2e12)).toBe('3.2 TB');
    // Rounding never shows "1000 kB".
    expect(formatBytes(999_999)).toBe('1.0 MB');
    expect(formatBytes(Number.NaN)).toBe('–');
  });

  it('writes durations in the largest two units', () => {
    expect(formatDuration(45)).toBe('45 s');
    expect(formatDuration(200)).toBe('3 min 20 s');
    expect(formatDuration(7500)).toBe('2 h 5 min');
  });

  it('writes clock times without AM/PM, with the date when asked', () => {
    const ts = new Date(2026, 0, 2, 14, 3, 7).getTime();
    expect(formatTime(ts)).toMatch(/^14.03.07$/);
    expect(formatTime(ts, true)).toContain(new Date(ts).toLocaleDateString());
    expect(formatTime(ts, true)).toMatch(/14.03.07$/);
    expect(formatDateTime(ts)).toBe(new Date(ts).toLocaleString());
  });
});
