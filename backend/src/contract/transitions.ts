/**
 * State transitions of alerts and incidents, as pure functions: every store (SQLite, Elasticsearch) reads the
 * stored record, applies one of these and writes the result in one transaction or conditional write, so the
 * state machine (new → acknowledged → resolved; who, when, note; escalation records) is written once.
 *
 * A transition that does not apply returns its input unchanged (the same object), so a store can skip the write.
 */
import type { VigilAlert } from './events.js';
import {
  bestSnapshots,
  maxSeverity,
  MAX_INCIDENT_EVENTS,
  MAX_INCIDENT_NOTIFICATIONS,
  type Incident,
  type IncidentAction,
  type IncidentNotification,
  type IncidentState,
} from './incidents.js';

const STATE_RANK: Record<IncidentState, number> = { new: 0, acknowledged: 1, resolved: 2 };

/**
 * Merges a redelivered or updated alert into the stored one: the state never moves backwards, who acknowledged
 * it and when it was resolved are kept, the first raise time and the most escalations win.
 */
export function mergeAlert(stored: VigilAlert, incoming: VigilAlert): VigilAlert {
  const forward = STATE_RANK[incoming.state] > STATE_RANK[stored.state];
  const merged: VigilAlert = { ...stored, ...incoming, state: forward ? incoming.state : stored.state };
  merged.raisedTs = Math.min(stored.raisedTs, incoming.raisedTs);
  if (stored.acknowledgedBy !== undefined) {
    merged.acknowledgedBy = stored.acknowledgedBy;
    if (stored.acknowledgedTs !== undefined) merged.acknowledgedTs = stored.acknowledgedTs;
  }
  if (stored.resolvedTs !== undefined) merged.resolvedTs = stored.resolvedTs;
  const esc = Math.max(stored.escalations ?? 0, incoming.escalations ?? 0);
  if (esc > 0) merged.escalations = esc;
  return merged;
}

/** Acknowledges a new alert (who and when); any other alert is returned unchanged. */
export function acknowledgeAlert(a: VigilAlert, by: string, ts: number): VigilAlert {
  if (a.state !== 'new') return a;
  return { ...a, state: 'acknowledged', acknowledgedBy: by, acknowledgedTs: ts };
}

/** Resolves an unresolved alert; a resolved one is returned unchanged. */
export function resolveAlert(a: VigilAlert, ts: number): VigilAlert {
  if (a.state === 'resolved') return a;
  return { ...a, state: 'resolved', resolvedTs: ts };
}

function union(a: readonly string[], b: readonly string[], max = Infinity): string[] {
  const out = [...a];
  for (const x of b) if (!out.includes(x) && out.length < max) out.push(x);
  return out;
}

/**
 * Merges an activity message into the stored incident: times widen, objects, rules and
 * snapshots are unions, severity the highest; state, notes and notifications stay as stored.
 */
export function mergeIncidentActivity(stored: Incident, incoming: Incident, maxSnapshots = 6): Incident {
  const endTs =
    incoming.endTs !== undefined && incoming.endTs >= stored.lastTs ? incoming.endTs : stored.endTs;
  const eventIds = union(stored.eventIds, incoming.eventIds, MAX_INCIDENT_EVENTS);
  return {
    ...stored,
    startTs: Math.min(stored.startTs, incoming.startTs),
    lastTs: Math.max(stored.lastTs, incoming.lastTs),
    ...(endTs !== undefined ? { endTs } : {}),
    severity: maxSeverity(stored.severity, incoming.severity),
    ruleIds: union(stored.ruleIds, incoming.ruleIds),
    ruleNames: union(stored.ruleNames, incoming.ruleNames),
    labels: union(stored.labels, incoming.labels),
    eventIds,
    objectCount: Math.max(stored.objectCount, incoming.objectCount, eventIds.length),
    snapshots: bestSnapshots(stored.snapshots, incoming.snapshots, maxSnapshots),
    updatedTs: Math.max(stored.updatedTs, incoming.updatedTs),
  };
}

/** Applies a person's action. Returns the incident unchanged when it does not apply. */
export function applyIncidentAction(i: Incident, action: IncidentAction): Incident {
  if (action.kind === 'acknowledge') {
    if (i.state !== 'new') return i;
    return {
      ...i,
      state: 'acknowledged',
      acknowledgedBy: action.by,
      acknowledgedTs: action.ts,
      ...(action.note ? { ackNote: action.note } : {}),
      updatedTs: Math.max(i.updatedTs, action.ts),
    };
  }
  if (i.state === 'resolved') return i;
  return {
    ...i,
    state: 'resolved',
    // Resolving a new incident also acknowledges it: someone looked at it.
    ...(i.state === 'new' ? { acknowledgedBy: action.by, acknowledgedTs: action.ts } : {}),
    resolvedBy: action.by,
    resolvedTs: action.ts,
    ...(action.note ? { resolveNote: action.note } : {}),
    updatedTs: Math.max(i.updatedTs, action.ts),
  };
}

/** Records a notification on the incident; the list keeps the newest entries. */
export function addIncidentNotification(i: Incident, n: IncidentNotification): Incident {
  const notifications = [...i.notifications, n].slice(-MAX_INCIDENT_NOTIFICATIONS);
  return {
    ...i,
    notifications,
    escalationLevel: Math.max(i.escalationLevel ?? -1, n.level),
    updatedTs: Math.max(i.updatedTs, n.ts),
  };
}
