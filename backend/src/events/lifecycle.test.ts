import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../bus/memory-bus.js';
import { Topics } from '../contract/bus.js';
import { DetectConfig } from '../contract/config/detect.js';
import type { VigilAlert, VigilEvent } from '../contract/events.js';
import type { Incident } from '../contract/incidents.js';
import type { AnalysisFrame, Box } from '../contract/media.js';
import { DetectSettingsStore } from '../detect/settings-store.js';
import { Tracker } from '../detect/tracker.js';
import { EventLifecycle } from './lifecycle.js';
import { appearanceSimilarity, describeAppearance } from '../appearance/descriptor.js';

const T0 = 1_700_000_000_000;

/** A uniform grey 320×240 frame: its grey level tells which frame a snapshot was taken from. */
function frame(n: number, grey: number): AnalysisFrame {
  const data = new Uint8Array(320 * 240 * 3).fill(grey);
  return { cameraId: 'yard', ts: T0 + n * 1000, seq: n, width: 320, height: 240, format: 'rgb24', data };
}

type Rgb = [number, number, number];

/** A grey 320×240 frame with one figure at `box`: `top` clothes over its upper half, `bottom` over the lower. */
function figureFrame(n: number, box: Box, top: Rgb, bottom: Rgb): AnalysisFrame {
  const f = frame(n, 110);
  const [x0, y0, x1, y1] = [box[0] * 320, box[1] * 240, box[2] * 320, box[3] * 240];
  for (let y = Math.ceil(y0); y < y1; y++)
    for (let x = Math.ceil(x0); x < x1; x++) {
      const c = (y - y0) / (y1 - y0) < 0.5 ? top : bottom;
      f.data.set(c, (y * 320 + x) * 3);
    }
  return f;
}

describe('event lifecycle: a tracked person becomes an event, an alert and an incident', () => {
  let dataDir: string;
  let bus: MemoryBus;
  let settings: DetectSettingsStore;
  const events: VigilEvent[] = [];
  const alerts: VigilAlert[] = [];
  const incidents: Incident[] = [];

  beforeEach(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-lifecycle-'));
    bus = new MemoryBus();
    settings = new DetectSettingsStore(path.join(dataDir, 'settings.json'));
    await settings.load();
    events.length = alerts.length = incidents.length = 0;
    await bus.subscribe<VigilEvent>(Topics.events, (e) => void events.push(e), { group: 'store' });
    await bus.subscribe<VigilAlert>(Topics.alerts, (a) => void alerts.push(a), { group: 'store' });
    await bus.subscribe<Incident>(Topics.incidents, (i) => void incidents.push(i), { group: 'store' });
  });
  afterEach(async () => {
    await settings.dispose();
    await bus.dispose();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('publishes start, updates and end with the best snapshot, raises the rule once and closes its incident', async () => {
    await settings.upsertRule({
      id: 'yard-person',
      name: 'Person in the yard',
      label: 'person',
      cameraId: 'yard',
      minDurationSec: 0,
      severity: 'warning',
      enabled: true,
    });
    const config = DetectConfig.parse({});
    const lifecycle = new EventLifecycle({ config, bus, settings });
    lifecycle.reloadRules();
    const tracker = new Tracker('yard', config.tracking);
    // A person walking right for seven seconds; the detector is surest of it at the fourth frame (grey 200).
    const scores = [0.6, 0.65, 0.7, 0.95, 0.7, 0.66, 0.62];
    for (const [n, score] of scores.entries()) {
      const x = 0.2 + n * 0.02;
      const box: Box = [x, 0.3, x + 0.1, 0.8];
      const f = frame(n, n === 3 ? 200 : 40);
      const update = tracker.update(f.ts, [{ label: 'person', score, box }], []);
      await lifecycle.tracked(f, tracker, update, performance.now());
    }
    // Nobody for a while: the track ends (tracking.endAfterSec), then everything still open is closed.
    await lifecycle.quiet('yard', tracker, T0 + 20_000);
    await lifecycle.close();
    await bus.drain();

    const ids = new Set(events.map((e) => e.id));
    expect(ids.size).toBe(1);
    expect(events[0]?.phase).toBe('start');
    expect(events.at(-1)).toMatchObject({ phase: 'end', endTs: T0 + 6000, topScore: 0.95 });
    expect(events.filter((e) => e.phase === 'update').length).toBeGreaterThan(0);
    // The snapshot the event ends with is the frame the person was seen best in, and its box.
    const snapshot = events.findLast((e) => e.snapshot)?.snapshot;
    expect(snapshot).toMatchObject({ ts: T0 + 3000, score: 0.95 });
    const picture = jpeg.decode(Buffer.from(snapshot?.frameJpeg ?? '', 'base64'), { useTArray: true });
    expect(picture.width).toBe(320);
    expect(Math.abs((picture.data[0] ?? 0) - 200)).toBeLessThan(8);
    expect(snapshot?.cropJpeg).toBeTruthy();

    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ ruleId: 'yard-person', cameraId: 'yard', eventId: [...ids][0] });
    const incident = incidents.at(-1);
    expect(incident).toMatchObject({ cameraId: 'yard', objectCount: 1 });
    expect(incident?.endTs).toBeDefined();
  });

  it('publishes the appearance averaged over the track, so one frame of another person does not become its look', async () => {
    const config = DetectConfig.parse({});
    const lifecycle = new EventLifecycle({ config, bus, settings });
    lifecycle.reloadRules();
    const tracker = new Tracker('yard', config.tracking);
    const RED: Rgb = [190, 30, 40];
    const BLUE: Rgb = [30, 50, 170];
    const GREEN: Rgb = [40, 150, 60];
    // A person in red over blue walks for eight seconds; where two people cross (the fourth frame) the tracker follows
    // a person in green, and that is the frame the detector is surest of: the best snapshot is of the wrong person.
    const boxes: Box[] = [];
    for (let n = 0; n < 8; n++) {
      const x = 0.2 + n * 0.02;
      const box: Box = [x, 0.3, x + 0.12, 0.8];
      boxes.push(box);
      const f = n === 3 ? figureFrame(n, box, GREEN, GREEN) : figureFrame(n, box, RED, BLUE);
      const update = tracker.update(f.ts, [{ label: 'person', score: n === 3 ? 0.95 : 0.8, box }], []);
      await lifecycle.tracked(f, tracker, update, performance.now());
    }
    await lifecycle.quiet('yard', tracker, T0 + 20_000);
    await lifecycle.close();
    await bus.drain();

    expect(events.findLast((e) => e.snapshot)?.snapshot).toMatchObject({ ts: T0 + 3000 });
    const look = events.findLast((e) => e.appearance)?.appearance;
    expect(look).toBeDefined();
    const redBlue = describeAppearance(figureFrame(0, boxes[0]!, RED, BLUE), boxes[0]!)!;
    const green = describeAppearance(figureFrame(3, boxes[3]!, GREEN, GREEN), boxes[3]!)!;
    // Searching for the person in red over blue finds this event; searching for the one in green does not.
    expect(appearanceSimilarity(look!, redBlue)).toBeGreaterThan(0.9);
    expect(appearanceSimilarity(look!, green)).toBeLessThan(appearanceSimilarity(look!, redBlue) - 0.3);
    // Updates carry the look as it improves, the end the final one.
    expect(events.filter((e) => e.appearance).length).toBeGreaterThan(1);
    expect(events.at(-1)?.phase).toBe('end');
  });
});
