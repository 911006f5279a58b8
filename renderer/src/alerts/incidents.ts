import type { Incident } from '../../../backend/src/contract';

const SEVERITY_RANK = { critical: 0, warning: 1, info: 2 } as const;

/**
 * The incidents a guard must see, in the order to handle them: new before acknowledged, then escalated (a level
 * past the first notification was reached), then by severity, then newest. Resolved incidents are not shown.
 */
export function orderIncidents<T extends Incident>(incidents: readonly T[]): T[] {
  return incidents
    .filter((i) => i.state !== 'resolved')
    .sort(
      (a, b) =>
        Number(a.state !== 'new') - Number(b.state !== 'new') ||
        (b.escalationLevel ?? -1) - (a.escalationLevel ?? -1) ||
        SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
        b.startTs - a.startTs,
    );
}

/** Notifications that failed on the incident's latest try of each channel, in words for the card. */
export function failedChannels(incident: Incident): string[] {
  const latest = new Map<string, Incident['notifications'][number]>();
  for (const n of incident.notifications) latest.set(`${n.level}/${n.channelId}`, n);
  return [...latest.values()]
    .filter((n) => n.status === 'failed')
    .map(
      (n) => `${n.levelName}: ${n.channelId} failed after ${n.attempts} tries (${n.error ?? 'no answer'})`,
    );
}

/** "3 persons" / "1 person, 1 car": what the incident's objects are. */
export function objectsText(incident: Incident): string {
  const what = incident.labels.join(', ') || 'object';
  return `${incident.objectCount} × ${what}`;
}
