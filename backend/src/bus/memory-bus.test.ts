import { describe, expect, it } from 'vitest';
import { TOPIC_DELIVERY, Topics, type Topic } from '../contract/bus.js';
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

  it('drops only on the topics the contract calls lossy: the others make publish wait and lose nothing', async () => {
    // Every topic with a queue of two, as each topic's own policy in the contract (TOPIC_DELIVERY) makes it.
    const topics = Object.values(Topics);
    const bus = new MemoryBus(
      Object.fromEntries(
        topics.map((t) => [t, { ...DEFAULT_TOPIC_POLICIES[t], capacity: 2 }]),
      ) as typeof DEFAULT_TOPIC_POLICIES,
    );
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const seen = new Map<Topic, number[]>(topics.map((t) => [t, []]));
    for (const t of topics)
      await bus.subscribe<number>(
        t,
        async (m) => {
          await gate;
          seen.get(t)?.push(m);
        },
        { group: 'reader' },
      );
    // One message taken by the stuck reader, two queued, three more: a lossy topic drops, a lossless one waits.
    const settled = new Map<Topic, number>(topics.map((t) => [t, 0]));
    const publishes = topics.flatMap((t) =>
      [0, 1, 2, 3, 4, 5].map((i) =>
        bus.publish(t, 'cam-a', i).then(() => settled.set(t, (settled.get(t) ?? 0) + 1)),
      ),
    );
    await tick();
    for (const t of topics) {
      if (TOPIC_DELIVERY[t].delivery === 'lossy') {
        expect(settled.get(t), `${t}: publish never waits`).toBe(6);
        expect(bus.stats(t).dropped, `${t}: the oldest queued are dropped`).toBe(3);
      } else {
        expect(settled.get(t), `${t}: publish waits for room`).toBeLessThan(6);
        expect(bus.stats(t).dropped, `${t}: nothing dropped`).toBe(0);
      }
    }
    release();
    await Promise.all(publishes);
    await bus.drain();
    for (const t of topics)
      expect(seen.get(t), t).toEqual(TOPIC_DELIVERY[t].delivery === 'lossy' ? [0, 4, 5] : [0, 1, 2, 3, 4, 5]);
    expect(TOPIC_DELIVERY[Topics.frames].delivery).toBe('lossy');
    expect(TOPIC_DELIVERY[Topics.events].delivery).toBe('lossless');
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
