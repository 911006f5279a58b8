import { describe, expect, it } from 'vitest';
import { auditCsvUrl, auditListUrl, detailText, EMPTY_FILTERS } from './query';

describe('audit view filters', () => {
  it('sends only the filters set, times as ms, and the same filters to the CSV export', () => {
    expect(auditListUrl(EMPTY_FILTERS, { limit: '100' })).toBe('/api/audit?limit=100');
    const f = { ...EMPTY_FILTERS, user: ' ann ', action: 'playback' as const, from: '2026-12-06T10:00' };
    const from = new Date('2026-12-06T10:00').getTime();
    expect(auditListUrl(f)).toBe(`/api/audit?user=ann&action=playback&from=${from}`);
    expect(auditCsvUrl(f)).toBe(`/api/audit/export.csv?user=ann&action=playback&from=${from}`);
  });

  it('shows detail times as dates, other values as they are', () => {
    const t = Date.UTC(2026, 11, 6, 10);
    expect(detailText({ from: t, q: 'van', cameras: ['dock'] })).toBe(
      `from: ${new Date(t).toLocaleString()}, q: van, cameras: ["dock"]`,
    );
    expect(detailText(undefined)).toBe('');
  });
});
