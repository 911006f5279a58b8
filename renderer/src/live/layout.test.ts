import { describe, expect, it } from 'vitest';
import { assignCamera, decodeLayout, encodeLayout, tileCount, withKind } from './layout';

describe('wall layouts', () => {
  it('has the tile counts of each grid', () => {
    expect(['1x1', '2x2', '3x3', '4x4', '1+5'].map((k) => tileCount(k as never))).toEqual([1, 4, 9, 16, 6]);
  });

  it('fills a first layout and keeps cameras in place when the grid changes', () => {
    const l = withKind(undefined, '2x2', ['a', 'b', 'c', 'd', 'e']);
    expect(l.tiles).toEqual(['a', 'b', 'c', 'd']);
    const bigger = withKind(l, '3x3');
    expect(bigger.tiles.slice(0, 4)).toEqual(['a', 'b', 'c', 'd']);
    expect(bigger.tiles).toHaveLength(9);
    expect(withKind(bigger, '1x1').tiles).toEqual(['a']);
  });

  it('dragging a camera onto a tile swaps it with the tile it came from', () => {
    const l = withKind(undefined, '2x2', ['a', 'b', 'c']);
    expect(assignCamera(l, 3, 'x').tiles).toEqual(['a', 'b', 'c', 'x']);
    expect(assignCamera(l, 0, 'c').tiles).toEqual(['c', 'b', 'a', null]);
    expect(assignCamera(l, 1, null).tiles).toEqual(['a', null, 'c', null]);
    expect(assignCamera(l, 9, 'x')).toBe(l);
  });

  it('round-trips through the second-window URL form', () => {
    const l = { kind: '1+5' as const, tiles: ['gate', null, 'dock/2', null, null, 'lobby'] };
    expect(decodeLayout(encodeLayout(l))).toEqual(l);
    expect(decodeLayout('9x9:a')).toBeUndefined();
    expect(decodeLayout('2x2')).toEqual({ kind: '2x2', tiles: [null, null, null, null] });
  });
});
