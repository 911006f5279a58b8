import { describe, expect, it } from 'vitest';
import { drawTrail, markerRadius, planFraction, viewWedge } from './trail-model';

const placements = [
  { cameraId: 'gate', x: 0.1, y: 0.5 },
  { cameraId: 'yard', x: 0.9, y: 0.5 },
  { cameraId: 'dock', x: 0.9, y: 0.9 },
];
const s = (cameraId: string, confirmed = true) => ({ cameraId, confirmed });

describe('a trail drawn on the site map', () => {
  it('numbers the sightings in time order, one marker per camera, arrows between cameras', () => {
    const d = drawTrail(
      [s('gate'), s('yard'), s('yard', false), s('gate'), s('lobby')],
      placements,
      1000,
      500,
    );
    expect(d.markers.map((m) => [m.cameraId, m.numbers, m.candidate, m.x, m.y])).toEqual([
      ['gate', [1, 4], false, 100, 250],
      ['yard', [2, 3], false, 900, 250],
    ]);
    // gate → yard (2) and yard → gate (4); the repeat at the yard draws no arrow; the lobby is not placed.
    expect(d.arrows.map((a) => a.n)).toEqual([2, 4]);
    expect(d.unplaced).toEqual(['lobby']);
    const r = markerRadius(1000, 500);
    expect(d.arrows[0]?.from).toEqual({ x: 100 + r, y: 250 });
    expect(d.arrows[0]!.to.x).toBeCloseTo(900 - r * 1.15);
  });

  it('marks a camera whose sightings are all candidates', () => {
    const d = drawTrail([s('gate'), s('dock', false)], placements, 100, 100);
    expect(d.markers.map((m) => [m.cameraId, m.candidate])).toEqual([
      ['gate', false],
      ['dock', true],
    ]);
  });

  it('turns pointer positions into plan fractions inside the plan', () => {
    const rect = { left: 10, top: 20, width: 200, height: 100 };
    expect(planFraction(60, 70, rect)).toEqual({ x: 0.25, y: 0.5 });
    expect(planFraction(-50, 500, rect)).toEqual({ x: 0, y: 1 });
  });

  it('draws a camera looking right as a wedge to its right', () => {
    expect(viewWedge({ x: 0, y: 0 }, 90, 10, 90)).toBe('M 0.0 0.0 L 7.1 -7.1 A 10.0 10.0 0 0 1 7.1 7.1 Z');
  });
});
