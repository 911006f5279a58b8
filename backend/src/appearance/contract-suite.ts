import { afterEach, describe, expect, it } from 'vitest';
import type { AppearanceEntry, AppearanceIndex } from '../contract/appearance.js';
import { APPEARANCE_LENGTH } from './descriptor.js';

/** A unit vector of the descriptor's length pointing mostly along `axis`, a little along `lean`. */
export function axisVector(axis: number, lean = 0, amount = 0): number[] {
  const v = new Array<number>(APPEARANCE_LENGTH).fill(0.01);
  v[axis % APPEARANCE_LENGTH] = 1;
  v[lean % APPEARANCE_LENGTH] = (v[lean % APPEARANCE_LENGTH] as number) + amount;
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

export function entry(
  eventId: string,
  over: Partial<AppearanceEntry> & { vector?: number[] } = {},
): AppearanceEntry {
  const { vector, ...rest } = over;
  return {
    eventId,
    cameraId: 'left',
    family: 'person',
    ts: 1_000_000,
    appearance: { v: 1, vector: vector ?? axisVector(0) },
    ...rest,
  };
}

/**
 * What every AppearanceIndex does, run against each implementation: the most similar entries first, only the
 * family, time window and cameras asked for, never the source, replaced by id, and forgotten by age.
 */
export function runAppearanceIndexContractSuite(name: string, make: () => Promise<AppearanceIndex>): void {
  describe(`appearance index contract: ${name}`, () => {
    const open: AppearanceIndex[] = [];
    const index = async () => {
      const i = await make();
      open.push(i);
      return i;
    };
    afterEach(async () => {
      for (const i of open.splice(0)) await i.dispose();
    });

    it('ranks the most similar sightings first, with similarity scores between 0 and 1', async () => {
      const idx = await index();
      await idx.put([
        entry('same', { cameraId: 'right', vector: axisVector(3, 5, 0.1) }),
        entry('close', { cameraId: 'right', vector: axisVector(3, 5, 0.8) }),
        entry('other', { cameraId: 'right', vector: axisVector(9) }),
      ]);
      const hits = await idx.nearest({
        appearance: { v: 1, vector: axisVector(3) },
        family: 'person',
        from: 0,
        to: 2_000_000,
        limit: 10,
      });
      expect(hits.map((h) => h.eventId)).toEqual(['same', 'close', 'other']);
      expect(hits[0]?.score).toBeGreaterThan(0.99);
      for (const h of hits) {
        expect(h.score).toBeGreaterThanOrEqual(0);
        expect(h.score).toBeLessThanOrEqual(1);
      }
      expect(hits[2]?.score).toBeLessThan(0.2);
    });

    it('keeps to the family, the window and the cameras asked for, and leaves the source and excluded cameras out', async () => {
      const idx = await index();
      const v = axisVector(1);
      await idx.put([
        entry('source', { cameraId: 'left', vector: v }),
        entry('own-camera', { cameraId: 'left', vector: v }),
        entry('car', { cameraId: 'right', family: 'vehicle', vector: v }),
        entry('too-early', { cameraId: 'right', ts: 10, vector: v }),
        entry('too-late', { cameraId: 'right', ts: 9_000_000, vector: v }),
        entry('hidden', { cameraId: 'vault', vector: v }),
        entry('match', { cameraId: 'right', vector: axisVector(2) }),
      ]);
      const base = { appearance: { v: 1 as const, vector: v }, family: 'person', from: 500, to: 2_000_000 };
      const hits = await idx.nearest({
        ...base,
        cameras: ['left', 'right'],
        excludeCameras: ['left'],
        excludeEventId: 'source',
        limit: 10,
      });
      expect(hits.map((h) => h.eventId)).toEqual(['match']);
      const sameCamera = await idx.nearest({
        ...base,
        cameras: ['left', 'right'],
        excludeEventId: 'source',
        limit: 10,
      });
      expect(sameCamera.map((h) => h.eventId).sort()).toEqual(['match', 'own-camera']);
      expect(await idx.nearest({ ...base, cameras: [], limit: 10 })).toEqual([]);
      const limited = await idx.nearest({ ...base, limit: 2 });
      expect(limited).toHaveLength(2);
    });

    it('replaces an event’s descriptor when a better snapshot comes, and forgets old ones', async () => {
      const idx = await index();
      await idx.put([entry('e1', { vector: axisVector(4), ts: 100 })]);
      await idx.put([entry('e1', { vector: axisVector(7), ts: 5_000 }), entry('e2', { ts: 200 })]);
      const got = await idx.get('e1');
      expect(got?.ts).toBe(5_000);
      expect(got?.appearance.vector[7]).toBeCloseTo(axisVector(7)[7] as number, 4);
      expect(await idx.get('missing')).toBeUndefined();
      expect(await idx.deleteBefore(1_000)).toBe(1);
      expect(await idx.get('e2')).toBeUndefined();
      expect(await idx.get('e1')).toBeDefined();
    });
  });
}
