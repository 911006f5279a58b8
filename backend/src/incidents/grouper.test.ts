import { describe, expect, it } from 'vitest';
import { normaliseAlertRule, type AlertRule } from '../contract/detect-api.js';
import type { VigilAlert } from '../contract/events.js';
import { IncidentGrouper } from './grouper.js';

const rule = (over: Partial<AlertRule> = {}): AlertRule =>
  normaliseAlertRule({
    id: 'r',
    name: 'Person',
    labels: ['person'],
    minDurationSec: 0,
    severity: 'warning',
    enabled: true,
    ...over,
  });
const hit = (r: AlertRule, objectId: string, ts: number): VigilAlert => ({
  id: `${r.id}:${objectId}`,
  ruleId: r.id,
  ruleName: r.name,
  eventId: objectId,
  cameraId: 'plaza',
  label: 'person',
  ...(r.zone ? { zone: r.zone } : {}),
  severity: r.severity,
  state: 'new',
  raisedTs: ts,
});
const obj = (id: string, stationary = false) => ({ id, cameraId: 'plaza', label: 'person', stationary });
const shot = (score: number) => ({ ts: 0, score, box: [0, 0, 0.1, 0.2] as [number, number, number, number] });

describe('incident grouping', () => {
  it('joins hits on one camera while activity continues, keeps zones apart, and closes after the quiet gap', () => {
    const g = new IncidentGrouper({ quietGapSec: 10, maxSnapshots: 2 });
    const plaza = rule();
    const gate = rule({ id: 'g', zone: 'Gate', severity: 'critical' });
    const a = g.hit(hit(plaza, 'p1', 0), plaza, obj('p1'), shot(0.5));
    expect(a).toMatchObject({ objectCount: 1, startTs: 0 });
    expect(g.hit(hit(plaza, 'p2', 4000), plaza, obj('p2'), shot(0.9))).toMatchObject({
      id: a?.id,
      objectCount: 2,
    });
    expect(g.hit(hit(gate, 'p2', 5000), gate, obj('p2'), shot(0.9))?.id).not.toBe(a?.id);
    // p1 moving keeps the plaza incident open past the gap counted from the last hit.
    g.seen(obj('p1'), 12_000, shot(0.95));
    expect(g.tick('plaza', 20_000, () => undefined).closed.map((i) => i.zone ?? 'plaza')).toEqual(['Gate']);
    g.hit(hit(plaza, 'p3', 14_000), plaza, obj('p3'), shot(0.6));
    const { closed } = g.tick('plaza', 25_000, () => undefined);
    expect(closed).toHaveLength(1);
    expect(closed[0]).toMatchObject({ id: a?.id, objectCount: 3, lastTs: 14_000, endTs: 14_000 });
    // The strip keeps the two best shots, one per object.
    expect(closed[0]?.snapshots.map((s) => [s.eventId, s.score])).toEqual([
      ['p1', 0.95],
      ['p2', 0.9],
    ]);
  });

  it('a stationary object neither opens nor extends an incident; a cooling-down rule opens none', () => {
    const g = new IncidentGrouper({ quietGapSec: 5, maxSnapshots: 6 });
    const r = rule({ cooldownSec: 60 });
    expect(g.hit(hit(r, 'car', 0), r, obj('car', true), undefined)).toBeUndefined();
    g.hit(hit(r, 'p1', 0), r, obj('p1'), undefined);
    g.seen(obj('p1', true), 4000, undefined);
    const { closed } = g.tick('plaza', 6000, (id) => (id === r.id ? r : undefined));
    expect(closed[0]).toMatchObject({ lastTs: 0, endTs: 0 });
    // Within the cooldown after it closed: no new incident; after it, a new one.
    expect(g.hit(hit(r, 'p2', 30_000), r, obj('p2'), undefined)).toBeUndefined();
    expect(g.hit(hit(r, 'p3', 61_000), r, obj('p3'), undefined)).toMatchObject({ startTs: 61_000 });
  });
});
