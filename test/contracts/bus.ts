import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bus } from '../../backend/src/contract/bus.js';
import { Topics } from '../../backend/src/contract/bus.js';
import type { VigilEvent } from '../../backend/src/contract/events.js';
import { settingsKey, type DetectSettingsChange } from '../../backend/src/contract/detect-api.js';

/** What a bus implementation under test provides to the shared suite. */
export interface BusUnderTest {
  /** A fresh bus on the same backing system (a second process of the cluster, for Kafka). */
  bus(): Promise<Bus>;
  /** Stops what `bus()` created. */
  cleanup(): Promise<void>;
}

/** Polls until `cond` holds; fails with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A valid event message; `run` keeps tests on a shared real cluster apart. */
export function sampleEvent(run: string, cameraId: string, n: number): VigilEvent {
  return {
    id: `${run}-${cameraId}-${n}`,
    cameraId,
    label: 'person',
    phase: 'update',
    startTs: 1_700_000_000_000,
    lastTs: 1_700_000_000_000 + n,
    topScore: 0.8,
    box: [0.1, 0.1, 0.3, 0.6],
    zones: [],
    path: [],
  };
}

/**
 * The bus contract, run against every implementation whose semantics agree (the in-process bus and Kafka): each
 * consumer group gets every message, one member of a group handles each message, order is kept per key, a failing
 * handler does not stop its subscription, and disposing stops delivery.
 */
export function busContractSuite(name: string, make: () => BusUnderTest, timeoutMs = 60_000): void {
  describe(`Bus contract: ${name}`, () => {
    let under: BusUnderTest;
    let run: string;
    beforeEach(() => {
      under = make();
      run = randomUUID().slice(0, 8);
    });
    afterEach(async () => {
      await under.cleanup();
    });

    it(
      'delivers every message to each group once, split between the members of a group, in order per camera',
      async () => {
        const bus = await under.bus();
        const store: string[] = [];
        const alertsA: string[] = [];
        const alertsB: string[] = [];
        const mine = (e: VigilEvent) => e.id.startsWith(run);
        await bus.subscribe<VigilEvent>(Topics.events, (e) => void (mine(e) && store.push(e.id)), {
          group: `store-${run}`,
        });
        const second = await under.bus();
        await Promise.all([
          bus.subscribe<VigilEvent>(Topics.events, (e) => void (mine(e) && alertsA.push(e.id)), {
            group: `alerts-${run}`,
          }),
          second.subscribe<VigilEvent>(Topics.events, (e) => void (mine(e) && alertsB.push(e.id)), {
            group: `alerts-${run}`,
          }),
        ]);
        const sent: string[] = [];
        for (let i = 0; i < 20; i++) {
          for (const cam of ['cam-a', 'cam-b', 'cam-c', 'cam-d']) {
            const e = sampleEvent(run, cam, i);
            sent.push(e.id);
            await bus.publish(Topics.events, cam, e);
          }
        }
        await waitFor(() => store.length >= sent.length, 'the store group to get every event');
        await waitFor(() => alertsA.length + alertsB.length >= sent.length, 'the alerts group');
        await new Promise((r) => setTimeout(r, 300)); // anything extra would show up now
        expect([...store].sort()).toEqual([...sent].sort());
        expect([...alertsA, ...alertsB].sort()).toEqual([...sent].sort());
        for (const cam of ['cam-a', 'cam-b', 'cam-c', 'cam-d']) {
          const order = store
            .filter((id) => id.includes(`-${cam}-`))
            .map((id) => Number(id.split('-').pop()));
          expect(order).toEqual([...order].sort((x, y) => x - y));
        }
        expect(bus.stats(Topics.events).published).toBe(sent.length);
      },
      timeoutMs,
    );

    it(
      'keeps a subscription running after its handler throws',
      async () => {
        const bus = await under.bus();
        const seen: number[] = [];
        await bus.subscribe<VigilEvent>(
          Topics.events,
          (e) => {
            if (!e.id.startsWith(run)) return;
            const n = Number(e.id.split('-').pop());
            if (n === 1) throw new Error('store rejected the write');
            seen.push(n);
          },
          { group: `store-${run}` },
        );
        for (let i = 0; i < 4; i++) await bus.publish(Topics.events, 'cam-a', sampleEvent(run, 'cam-a', i));
        await waitFor(() => seen.length >= 3, 'the messages after the failing one');
        expect(seen).toEqual([0, 2, 3]);
      },
      timeoutMs,
    );

    it(
      'hands a replaying reader started later the latest settings of each key before it starts, then follows changes',
      async () => {
        const writer = await under.bus();
        const zones = (name: string): DetectSettingsChange => ({
          kind: 'zones',
          cameraId: `${run}-gate`,
          zones: {
            zones: [
              {
                name,
                points: [
                  [0, 0],
                  [1, 0],
                  [1, 1],
                ],
              },
            ],
            masks: [],
          },
          ts: Date.now(),
        });
        const rule: DetectSettingsChange = {
          kind: 'alert-rule',
          rule: {
            id: `${run}-night`,
            name: 'Night',
            labels: ['person'],
            cameraIds: [],
            minDurationSec: 0,
            dwellSec: 0,
            minCount: 1,
            cooldownSec: 0,
            severity: 'warning',
            enabled: true,
          },
          ts: Date.now(),
        };
        for (const change of [zones('Old'), zones('Driveway'), rule])
          await writer.publish(Topics.settings, settingsKey(change), change);

        const reader = await under.bus();
        const latest = new Map<string, DetectSettingsChange>();
        await reader.subscribe<DetectSettingsChange>(
          Topics.settings,
          (change, key) => void (key.includes(run) && latest.set(key, change)),
          { group: `settings-reader-${run}`, replay: true },
        );
        // Already there when subscribe resolves: a detect instance has its zones before its first frame.
        const gate = latest.get(`zones/${run}-gate`);
        expect(gate?.kind === 'zones' && gate.zones.zones.map((z) => z.name)).toEqual(['Driveway']);
        expect(latest.get(`alert-rule/${run}-night`)).toMatchObject({ kind: 'alert-rule' });

        const deleted: DetectSettingsChange = {
          kind: 'alert-rule-deleted',
          id: `${run}-night`,
          ts: Date.now(),
        };
        await writer.publish(Topics.settings, settingsKey(deleted), deleted);
        await waitFor(
          () => latest.get(`alert-rule/${run}-night`)?.kind === 'alert-rule-deleted',
          'the deletion reaching the reader',
        );
      },
      timeoutMs,
    );

    it(
      'stops delivering to a disposed subscription and rejects publishing on a disposed bus',
      async () => {
        const bus = await under.bus();
        const seen: string[] = [];
        const sub = await bus.subscribe<VigilEvent>(
          Topics.events,
          (e) => void (e.id.startsWith(run) && seen.push(e.id)),
          { group: `store-${run}` },
        );
        await bus.publish(Topics.events, 'cam-a', sampleEvent(run, 'cam-a', 0));
        await waitFor(() => seen.length === 1, 'the first event');
        await sub.dispose();
        await bus.publish(Topics.events, 'cam-a', sampleEvent(run, 'cam-a', 1));
        await new Promise((r) => setTimeout(r, 1500));
        expect(seen).toHaveLength(1);
        await bus.dispose();
        await expect(bus.publish(Topics.events, 'cam-a', sampleEvent(run, 'cam-a', 2))).rejects.toThrow(
          /disposed/,
        );
      },
      timeoutMs,
    );
  });
}
