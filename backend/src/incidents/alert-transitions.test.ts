import { describe, expect, it } from 'vitest';
import type { VigilAlert } from '../contract/events.js';
import { acknowledgeAlert, mergeAlert, resolveAlert } from '../contract/transitions.js';

const alert: VigilAlert = {
  id: 'rule-1:ev-1',
  ruleId: 'rule-1',
  ruleName: 'Night intrusion',
  eventId: 'ev-1',
  cameraId: 'gate',
  label: 'person',
  severity: 'critical',
  state: 'new',
  raisedTs: 1000,
};

describe('alert transitions', () => {
  it('acknowledges a new alert once: the first person and time stay', () => {
    const acked = acknowledgeAlert(alert, 'ann', 2000);
    expect(acked).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'ann', acknowledgedTs: 2000 });
    expect(alert.state).toBe('new');
    expect(acknowledgeAlert(acked, 'bob', 3000)).toBe(acked);
  });

  it('resolves an unresolved alert; a resolved one keeps its time', () => {
    const resolved = resolveAlert(acknowledgeAlert(alert, 'ann', 2000), 4000);
    expect(resolved).toMatchObject({ state: 'resolved', acknowledgedBy: 'ann', resolvedTs: 4000 });
    expect(resolveAlert(resolved, 5000)).toBe(resolved);
    expect(acknowledgeAlert(resolved, 'bob', 6000)).toBe(resolved);
  });

  it('a redelivered alert never moves its state back nor forgets who acknowledged it', () => {
    const acked = acknowledgeAlert(alert, 'ann', 2000);
    const merged = mergeAlert(acked, { ...alert, raisedTs: 1500, escalations: 2 });
    expect(merged).toMatchObject({
      state: 'acknowledged',
      acknowledgedBy: 'ann',
      acknowledgedTs: 2000,
      raisedTs: 1000,
      escalations: 2,
    });
    expect(mergeAlert(merged, { ...alert, escalations: 1 }).escalations).toBe(2);
  });
});
