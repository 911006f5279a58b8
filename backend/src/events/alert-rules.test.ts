import { describe, expect, it } from 'vitest';
import type { AlertRuleLike } from '../contract/detect-api.js';
import type { Box, Detection } from '../contract/media.js';
import { AlertRuleEngine, scheduleActive } from './alert-rules.js';
import { Tracker } from '../detect/tracker.js';

const at = (hh: number, mm: number, day = 15) => new Date(2026, 0, day, hh, mm).getTime(); // 15 Jan 2026: Thursday

const DOCK = {
  name: 'Loading dock',
  points: [
    [0, 0.5],
    [0.5, 0.5],
    [0.5, 1],
    [0, 1],
  ] as Array<[number, number]>,
};

const rule: AlertRuleLike = {
  id: 'night-dock',
  name: 'Person in the loading dock at night',
  label: 'person',
  cameraId: 'dock',
  zone: 'Loading dock',
  schedule: { from: '22:00', to: '06:00' },
  minDurationSec: 5,
  severity: 'critical',
  enabled: true,
};

const tracking = {
  matchIou: 0.2,
  endAfterSec: 3,
  minHits: 2,
  stationaryAfterSec: 20,
  stationaryMovement: 0.02,
};

/** A person walking slowly right along the bottom of the frame, one sighting per second from `start`. */
function walk(tracker: Tracker, engine: AlertRuleEngine, start: number, seconds: number, x0 = 0.1) {
  const alerts = [];
  for (let s = 0; s <= seconds; s++) {
    const x = x0 + s * 0.01;
    const box: Box = [x, 0.6, x + 0.05, 0.8];
    const ts = start + s * 1000;
    const update = tracker.update(ts, [{ label: 'person', score: 0.8, box }], [DOCK]);
    for (const t of update.seen) if (t.confirmed) alerts.push(...engine.evaluate(t, ts));
  }
  return alerts;
}

describe('alert schedules', () => {
  it('handles windows that wrap midnight and day lists', () => {
    const night = { from: '22:00', to: '06:00' };
    expect(scheduleActive(night, at(23, 30))).toBe(true);
    expect(scheduleActive(night, at(3, 0))).toBe(true);
    expect(scheduleActive(night, at(12, 0))).toBe(false);
    expect(scheduleActive(night, at(6, 0))).toBe(false);
    // Friday night 22:00–06:00 covers Saturday 03:00 (the window started on Friday, day 5).
    expect(scheduleActive({ ...night, days: [5] }, at(3, 0, 17))).toBe(true);
    expect(scheduleActive({ ...night, days: [5] }, at(3, 0, 16))).toBe(false);
    expect(scheduleActive({ from: '08:00', to: '18:00', days: [1, 2, 3, 4, 5] }, at(9, 0))).toBe(true);
    expect(scheduleActive(undefined, at(9, 0))).toBe(true);
  });
});

describe('alert rules', () => {
  it('raises one alert for a person in the zone for longer than the minimum duration, inside the schedule', () => {
    const engine = new AlertRuleEngine([rule]);
    const alerts = walk(new Tracker('dock', tracking), engine, at(23, 0), 30);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      ruleId: 'night-dock',
      severity: 'critical',
      state: 'new',
      zone: 'Loading dock',
    });
    // The minimum duration counts from entering the zone.
    expect((alerts[0]?.raisedTs ?? 0) - at(23, 0)).toBeGreaterThanOrEqual(5000);
  });

  it('does not alert outside the schedule, for a short visit, or for another camera or label', () => {
    expect(walk(new Tracker('dock', tracking), new AlertRuleEngine([rule]), at(14, 0), 30)).toHaveLength(0);
    expect(walk(new Tracker('dock', tracking), new AlertRuleEngine([rule]), at(23, 0), 3)).toHaveLength(0);
    expect(walk(new Tracker('gate', tracking), new AlertRuleEngine([rule]), at(23, 0), 30)).toHaveLength(0);
    const carRule = { ...rule, label: 'car' };
    expect(walk(new Tracker('dock', tracking), new AlertRuleEngine([carRule]), at(23, 0), 30)).toHaveLength(
      0,
    );
    const disabled = { ...rule, enabled: false };
    expect(walk(new Tracker('dock', tracking), new AlertRuleEngine([disabled]), at(23, 0), 30)).toHaveLength(
      0,
    );
  });

  it('never alerts for a stationary object (a parked car)', () => {
    const engine = new AlertRuleEngine([
      { ...rule, label: 'car', zone: undefined, schedule: undefined, minDurationSec: 30 },
    ]);
    const tracker = new Tracker('dock', tracking);
    const alerts = [];
    for (let s = 0; s < 120; s++) {
      const ts = at(12, 0) + s * 1000;
      const update = tracker.update(ts, [{ label: 'car', score: 0.7, box: [0.8, 0.1, 0.95, 0.2] }], []);
      for (const t of update.seen) alerts.push(...engine.evaluate(t, ts));
    }
    expect(tracker.tracks[0]?.stationary).toBe(true);
    expect(alerts).toHaveLength(0);
  });
});

describe('tracker', () => {
  it('keeps one id for a walking person and ends the event after the unseen time', () => {
    const tracker = new Tracker('cam', tracking);
    const ids = new Set<string>();
    for (let s = 0; s < 10; s++) {
      const x = 0.1 + s * 0.03; // faster than its own width per frame at this rate
      const d: Detection = { label: 'person', score: 0.8, box: [x, 0.4, x + 0.025, 0.55] };
      tracker.update(s * 500, [d], []);
      ids.add(d.trackId as string);
    }
    expect(ids.size).toBe(1);
    expect(tracker.expire(4500 + 2000)).toHaveLength(0);
    const ended = tracker.expire(4500 + 3500);
    expect(ended.map((t) => t.id)).toEqual([...ids]);
  });

  it('gives the same ids when the same footage is replayed', () => {
    const run = () => {
      const tracker = new Tracker('cam', tracking);
      const ids: string[] = [];
      for (let s = 0; s < 3; s++) {
        const d: Detection = { label: 'person', score: 0.8, box: [0.2, 0.2, 0.25, 0.4] };
        tracker.update(1_700_000_000_000 + s * 200, [d], []);
        ids.push(d.trackId as string);
      }
      return ids;
    };
    expect(run()).toEqual(run());
  });

  it('keeps a parked car as one object across long gaps without analysis', () => {
    const tracker = new Tracker('cam', tracking);
    const car = (): Detection => ({ label: 'car', score: 0.6, box: [0.8, 0.05, 0.95, 0.15] });
    for (let s = 0; s < 25; s++) tracker.update(s * 1000, [car()], []);
    expect(tracker.tracks[0]?.stationary).toBe(true);
    expect(tracker.expire(25_000 + 60_000)).toHaveLength(0); // a minute with no motion, no analysis
    const again = car();
    const update = tracker.update(86_000, [again], []);
    expect(update.started).toHaveLength(0);
    expect(again.trackId).toBe(tracker.tracks[0]?.id);
  });
});
