import { describe, expect, it } from 'vitest';
import { Topics } from '../contract/bus.js';
import { MemoryBus, DEFAULT_TOPIC_POLICIES } from './memory-bus.js';

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('MemoryBus', () => {
  it('delivers each message to every group and to one member per group, in order per key', async () => {
    const bus = new MemoryBus();
    const a: number[] = [];
    const b: number[] = [];
    await bus.subscribe<number>(Topics.events, (m) => void a.push(m), { group: 'store' });
    await bus.subscribe<number>(Topics.events, (m) => void b.push(m), { group: 'alerts' });
    for (let i = 0; i < 5; i++) await bus.publish(Topics.events, 'cam1', i);
    await bus.drain();
    expect(a).toEqual([0, 1, 2, 3, 4]);
    expect(b).toEqual([0, 1, 2, 3, 4]);
    await bus.dispose();
  });

  it('drops the oldest frame of the same camera when the detector falls behind; publish never waits', async () => {
    const bus = new MemoryBus({
      ...DEFAULT_TOPIC_POLICIES,
      [Topics.frames]: { capacity: 4, overflow: 'drop-oldest-per-key' },
    });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const seen: string[] = [];
    await bus.subscribe<string>(
      Topics.frames,
      async (m) => {
        seen.push(m);
        await gate;
      },
      { group: 'detect' },
    );
    await bus.publish(Topics.frames, 'a', 'a0'); // taken by the handler, which then blocks
    await tick();
    for (let i = 1; i <= 6; i++) await bus.publish(Topics.frames, 'a', `a${i}`);
    await bus.publish(Topics.frames, 'b', 'b1');
    const stats = bus.stats(Topics.frames);
    expect(stats.dropped).toBe(3);
    expect(stats.droppedByKey).toEqual({ a: 3 });
    release();
    await bus.drain();
    expect(seen).toEqual(['a0', 'a4', 'a5', 'a6', 'b1']);
    await bus.dispose();
  });

  it('makes publish wait on a full lossless topic instead of losing events', async () => {
    const bus = new MemoryBus({
      ...DEFAULT_TOPIC_POLICIES,
      [Topics.events]: { capacity: 2, overflow: 'block' },
    });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const seen: number[] = [];
    await bus.subscribe<number>(
      Topics.events,
      async (m) => {
        await gate;
        seen.push(m);
      },
      { group: 'store' },
    );
    const publishes = [0, 1, 2, 3, 4].map((i) => bus.publish(Topics.events, 'k', i));
    let settled = 0;
    for (const p of publishes) void p.then(() => settled++);
    await tick();
    expect(settled).toBeLessThan(5);
    release();
    await Promise.all(publishes);
    await bus.drain();
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(bus.stats(Topics.events).dropped).toBe(0);
    await bus.dispose();
  });

  it('keeps delivering after a handler throws', async () => {
    const bus = new MemoryBus();
    const seen: number[] = [];
    await bus.subscribe<number>(
      Topics.events,
      (m) => {
        if (m === 1) throw new Error('bad message');
        seen.push(m);
      },
      { group: 'g' },
    );
    for (const i of [0, 1, 2]) await bus.publish(Topics.events, 'k', i);
    await bus.drain();
    expect(seen).toEqual([0, 2]);
    await bus.dispose();
  });
});
