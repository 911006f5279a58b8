import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Topics } from '../contract/bus.js';
import type { VigilEvent } from '../contract/events.js';
import { parseEventQuery } from '../contract/store.js';
import { MemoryBus } from '../bus/memory-bus.js';
import { makeEvent } from '../../../test/contracts/event-store.js';
import { EventWriter } from './event-writer.js';
import { SqliteEventStore } from './sqlite-store.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function setup(maxEvents = 100) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-writer-'));
  const bus = new MemoryBus();
  const store = new SqliteEventStore({ file: path.join(dir, 'events.db') });
  const batches: number[] = [];
  const writer = new EventWriter({
    bus,
    store,
    maxEvents,
    maxDelayMs: 10,
    onCommitted: (e) => batches.push(e.length),
  });
  await writer.start();
  cleanup.push(
    () => fs.rmSync(dir, { recursive: true, force: true }),
    () => store.dispose(),
    () => bus.dispose(),
    () => writer.dispose(),
  );
  return { bus, store, writer, batches };
}

describe('event writer', () => {
  it('stores start/update/end messages from the bus in batched transactions', async () => {
    const { bus, store, batches } = await setup(100);
    const t0 = Date.now() - 3_600_000;
    const firsts: VigilEvent[] = [];
    for (let i = 0; i < 300; i++) {
      const e = makeEvent({ id: `w${i}`, cameraId: `cam-${i % 7}`, startTs: t0 + i * 1000, zones: ['gate'] });
      firsts.push(e);
      await bus.publish(Topics.events, e.cameraId, e);
    }
    for (const e of firsts) {
      await bus.publish(Topics.events, e.cameraId, {
        ...e,
        phase: 'end',
        lastTs: e.startTs + 5000,
        endTs: e.startTs + 5000,
        topScore: 0.9,
        zones: ['yard'],
        path: [{ ts: e.startTs + 5000, box: e.box, score: 0.9 }],
      });
    }
    await bus.drain();
    const all = await store.search(parseEventQuery({ limit: 500 }));
    expect(all.total).toBe(300);
    expect(all.items.every((i) => i.phase === 'end' && i.topScore === 0.9 && i.zones.length === 2)).toBe(
      true,
    );
    // 600 messages in far fewer transactions than messages.
    expect(batches.reduce((a, b) => a + b, 0)).toBe(600);
    expect(batches.length).toBeLessThan(60);
  });

  it('refuses malformed messages and keeps going; stores alerts', async () => {
    const { bus, store } = await setup();
    await bus.publish(Topics.events, 'cam-a', { id: 'broken', startTs: 'yesterday' });
    await bus.publish(Topics.events, 'cam-a', makeEvent({ id: 'good' }));
    await bus.publish(Topics.alerts, 'cam-a', {
      id: 'al-1',
      ruleId: 'r1',
      ruleName: 'Intrusion',
      eventId: 'good',
      cameraId: 'cam-a',
      label: 'person',
      severity: 'critical',
      state: 'new',
      raisedTs: Date.now(),
    });
    await bus.drain();
    expect(await store.getEvent('broken')).toBeUndefined();
    expect(await store.getEvent('good')).toBeDefined();
    expect(await store.alerts.getAlert('al-1')).toMatchObject({ state: 'new', ruleName: 'Intrusion' });
  });

  it('commits what it holds when disposed', async () => {
    const { bus, store, writer } = await setup(1000);
    for (let i = 0; i < 20; i++) void bus.publish(Topics.events, 'cam-a', makeEvent({ id: `d${i}` }));
    await new Promise((r) => setTimeout(r, 5));
    await writer.dispose();
    expect((await store.search(parseEventQuery({}))).total).toBe(20);
  });
});
