import { describe, expect, it } from 'vitest';
import { formatDays, formatSpan } from '../lib/format';

describe('retention in words', () => {
  it('says how long footage fits, and over how much footage the rate was measured', () => {
    expect(formatDays(6.34)).toBe('6.3 days');
    expect(formatDays(0.5)).toBe('12 hours');
    expect(formatDays(200)).toBe('about 7 months');
    expect(formatDays(1000)).toBe('about 3 years');
    expect(formatSpan(40_000)).toBe('40 seconds');
    expect(formatSpan(12 * 60_000)).toBe('12 minutes');
    expect(formatSpan(5 * 3_600_000)).toBe('5 hours');
    expect(formatSpan(7 * 86_400_000)).toBe('7 days');
  });
});
