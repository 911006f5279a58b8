import { describe, expect, it } from 'vitest';
import type { VigilAlert } from '../../../backend/src/contract';
import { orderAlerts } from './escalation';

const alert = (
  id: string,
  raisedTs: number,
  severity: VigilAlert['severity'] = 'warning',
  state: VigilAlert['state'] = 'new',
): VigilAlert => ({
  id,
  ruleId: 'r',
  ruleName: 'rule',
  eventId: id,
  cameraId: 'gate',
  label: 'person',
  severity,
  state,
  raisedTs,
});

describe('alert ordering and escalation', () => {
  it('moves alerts unacknowledged for N seconds to the top, marked escalated', () => {
    const now = 100_000;
    const shown = orderAlerts(
      [
        alert('fresh-critical', 95_000, 'critical'),
        alert('old-info', 30_000, 'info'),
        alert('done', 1, 'critical', 'acknowledged'),
      ],
      now,
      60_000,
    );
    expect(shown.map((s) => s.alert.id)).toEqual(['old-info', 'fresh-critical']);
    expect(shown[0]?.escalated).toBe(true);
    expect(shown[1]?.escalated).toBe(false);
  });

  it('orders by severity then newest among equals, and counts escalation levels', () => {
    const shown = orderAlerts([alert('w1', 10), alert('c1', 5, 'critical'), alert('w2', 20)], 50, 60_000);
    expect(shown.map((s) => s.alert.id)).toEqual(['c1', 'w2', 'w1']);
    expect(orderAlerts([alert('a', 0)], 130_000, 60_000)[0]?.level).toBe(2);
  });
});
