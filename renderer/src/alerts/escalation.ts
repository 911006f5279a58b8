import type { VigilAlert } from '../../../backend/src/contract';

export interface ShownAlert {
  alert: VigilAlert;
  /** Unacknowledged for longer than the escalation delay. */
  escalated: boolean;
  /** How many escalation periods have passed (for repeated notifications). */
  level: number;
}

const SEVERITY_RANK = { critical: 0, warning: 1, info: 2 } as const;

/**
 * The alerts an operator must see, in the order to handle them: escalated first, then by severity, then newest.
 * Acknowledged and resolved alerts are not shown.
 */
export function orderAlerts(
  alerts: readonly VigilAlert[],
  now: number,
  escalateAfterMs: number,
): ShownAlert[] {
  return alerts
    .filter((a) => a.state === 'new')
    .map((alert) => {
      const age = now - alert.raisedTs;
      const level = escalateAfterMs > 0 ? Math.floor(age / escalateAfterMs) : 0;
      return { alert, escalated: level >= 1 || (alert.escalations ?? 0) > 0, level };
    })
    .sort(
      (a, b) =>
        Number(b.escalated) - Number(a.escalated) ||
        SEVERITY_RANK[a.alert.severity] - SEVERITY_RANK[b.alert.severity] ||
        b.alert.raisedTs - a.alert.raisedTs,
    );
}
