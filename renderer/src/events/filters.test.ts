import { describe, expect, it } from 'vitest';
import { MAX_CLIP_MS } from '../../../backend/src/contract/video-api';
import { DEFAULT_FILTER, clipRange, filterToQuery, resolveRange, resultCount, snapshotBox } from './filters';

const NOW = 1_764_000_000_000;

describe('event filter → query string', () => {
  it('turns a preset into an absolute range and leaves empty criteria out', () => {
    const q = new URLSearchParams(filterToQuery({ ...DEFAULT_FILTER, preset: '5m' }, NOW));
    expect(q.get('from')).toBe(String(NOW - 300_000));
    expect(q.get('to')).toBe(String(NOW));
    expect(q.get('sort')).toBe('newest');
    expect([...q.keys()].sort()).toEqual(['from', 'sort', 'to']);
  });

  it('joins lists with commas and encodes text', () => {
    const q = filterToQuery(
      {
        ...DEFAULT_FILTER,
        cameras: ['gate', 'dock'],
        labels: ['person'],
        zones: [' door '],
        minScore: 0.6,
        q: 'red coat & hat',
      },
      NOW,
      { limit: 40, cursor: 'abc' },
    );
    const p = new URLSearchParams(q);
    expect(p.get('cameras')).toBe('gate,dock');
    expect(p.get('labels')).toBe('person');
    expect(p.get('zones')).toBe('door');
    expect(p.get('minScore')).toBe('0.6');
    expect(p.get('q')).toBe('red coat & hat');
    expect(q).toContain('q=red+coat+%26+hat');
    expect(p.get('limit')).toBe('40');
    expect(p.get('cursor')).toBe('abc');
  });

  it('puts a reversed custom range the right way round', () => {
    expect(resolveRange({ ...DEFAULT_FILTER, preset: 'custom', from: 5000, to: 1000 }, NOW)).toEqual({
      from: 1000,
      to: 5000,
    });
  });

  it('pads an event clip by a few seconds each side', () => {
    expect(clipRange({ startTs: 10_000, lastTs: 15_000 })).toEqual({ from: 7000, to: 18_000 });
    expect(clipRange({ startTs: 10_000, lastTs: 15_000, endTs: 16_000 })).toEqual({ from: 7000, to: 19_000 });
    // An event longer than a clip may be: the clip covers its start, up to the cap the clip route enforces.
    expect(clipRange({ startTs: 10_000, endTs: 10_000 + 3 * 3_600_000 })).toEqual({
      from: 7000,
      to: 7000 + MAX_CLIP_MS,
    });
  });
});

describe('the results header and the snapshot box', () => {
  it('counts the whole search, not the cards loaded, and says "more than" for a lower bound', () => {
    expect(resultCount({ total: 575 }, 80)).toBe('575 events');
    expect(resultCount({ total: 1 }, 1)).toBe('1 event');
    expect(resultCount({ total: 100_000, totalRelation: 'gte' }, 80)).toBe('more than 100,000 events');
  });

  it('draws the box of the snapshot frame, not the box of the top score', () => {
    const atSnapshot = [0.4, 0.1, 0.5, 0.45] as const;
    const later = [0.4, 0.4, 0.5, 0.75] as const;
    expect(snapshotBox({ box: [...later], snapshot: { ts: 1000, box: [...atSnapshot] } })).toEqual(
      atSnapshot,
    );
    // Stored before snapshots kept their box: the path point nearest the snapshot's time.
    expect(
      snapshotBox({
        box: [...later],
        snapshot: { ts: 1100 },
        path: [
          { ts: 1000, box: [...atSnapshot] },
          { ts: 4000, box: [...later] },
        ],
      }),
    ).toEqual(atSnapshot);
    expect(snapshotBox({ box: [...later] })).toEqual(later);
  });
});
