import { describe, expect, it } from 'vitest';
import { uptimePercent } from './Dashboards';

const MIN = 60_000;
const DAY = 1440 * MIN;

describe('camera uptime', () => {
  it('rates a camera added minutes ago over its own minutes, not over the whole day', () => {
    const to = 10 * DAY;
    const added = to - 5 * MIN;
    const segments = [
      { start: added, end: added + 2 * MIN, bytes: 1 },
      { start: added + 2 * MIN, end: added + 4 * MIN, bytes: 1 },
    ];
    // The last minute is in the segment being written.
    const pct = uptimePercent(
      { segments, gaps: [], trackedSince: added, recordingSince: added + 4 * MIN },
      to - DAY,
      to,
    );
    expect(pct).toBeCloseTo(100, 5);
    // Without the segment in progress: 4 of 5 minutes.
    expect(uptimePercent({ segments, gaps: [], trackedSince: added }, to - DAY, to)).toBeCloseTo(80, 5);
  });

  it('counts a gap of an old camera against it over the whole range', () => {
    const to = 10 * DAY;
    const from = to - DAY;
    const segments = [{ start: from - DAY, end: to - DAY / 2, bytes: 1 }];
    const gaps = [{ start: to - DAY / 2, end: to, cause: 'camera down' as const }];
    expect(uptimePercent({ segments, gaps, trackedSince: from - 3 * DAY }, from, to)).toBeCloseTo(50, 5);
    // An older backend without trackedSince: the whole range.
    expect(uptimePercent({ segments, gaps }, from, to)).toBeCloseTo(50, 5);
  });
});
