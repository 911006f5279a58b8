import { describe, expect, it } from 'vitest';
import { MAX_CLIP_MS } from '../../../backend/src/contract/video-api';
import { DEFAULT_FILTER, clipRange, filterToQuery, resolveRange } from './filters';

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
