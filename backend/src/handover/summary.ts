import {
  MAX_SHIFT_MS,
  type CameraOutage,
  type HandoverIncident,
  type HandoverSummary,
} from '../contract/handover.js';
import type { Incident, IncidentStore } from '../contract/incidents.js';
import type { CameraScope } from '../people/scope.js';
import type { HandoverStore } from './store.js';

/** How many incidents a summary lists at most in each of its lists. */
const MAX_LISTED = 200;

function mention(i: Incident, extra: Partial<HandoverIncident> = {}): HandoverIncident {
  return {
    id: i.id,
    cameraId: i.cameraId,
    severity: i.severity,
    labels: i.labels,
    startTs: i.startTs,
    state: i.state,
    ...(i.acknowledgedBy ? { acknowledgedBy: i.acknowledgedBy } : {}),
    ...extra,
  };
}

/**
 * What a guard did during the shift [fromTs, toTs): the incidents of their cameras they acknowledged or resolved
 * (with the notes), the incidents still open on their cameras, and their cameras' outages. Only cameras the scope
 * lets the guard see are mentioned.
 */
export async function prepareSummary(input: {
  user: string;
  scope: CameraScope;
  fromTs: number;
  toTs: number;
  incidents: IncidentStore;
  outages: HandoverStore;
}): Promise<HandoverSummary> {
  const { user, scope, fromTs, toTs } = input;
  const cameras = scope.cameras();
  const summary: HandoverSummary = {
    fromTs,
    toTs,
    cameras: cameras ?? '*',
    handled: [],
    open: [],
    outages: [],
  };
  if (cameras?.length === 0) return summary;
  const filter = cameras ? { cameras } : {};
  const during = (ts: number | undefined) => ts !== undefined && ts >= fromTs && ts <= toTs;

  // An incident handled during the shift may have begun before it: look a shift further back.
  const recent = await input.incidents.listIncidents({ ...filter, from: fromTs - MAX_SHIFT_MS, limit: 1000 });
  for (const i of recent) {
    if (!scope.sees(i.cameraId)) continue;
    if (i.resolvedBy === user && during(i.resolvedTs))
      summary.handled.push(
        mention(i, {
          action: 'resolved',
          actedTs: i.resolvedTs!,
          ...(i.resolveNote ? { note: i.resolveNote } : i.ackNote ? { note: i.ackNote } : {}),
        }),
      );
    else if (i.acknowledgedBy === user && during(i.acknowledgedTs))
      summary.handled.push(
        mention(i, {
          action: 'acknowledged',
          actedTs: i.acknowledgedTs!,
          ...(i.ackNote ? { note: i.ackNote } : {}),
        }),
      );
  }
  summary.handled.sort((a, b) => (b.actedTs ?? 0) - (a.actedTs ?? 0));
  summary.handled.splice(MAX_LISTED);

  const open = await input.incidents.listIncidents({
    ...filter,
    states: ['new', 'acknowledged'],
    limit: MAX_LISTED,
  });
  summary.open = open.filter((i) => scope.sees(i.cameraId)).map((i) => mention(i));

  const outages: CameraOutage[] = [];
  for (const o of await input.outages.outages(fromTs, toTs, cameras)) {
    if (!scope.sees(o.cameraId)) continue;
    const from = Math.max(o.startTs, fromTs);
    const to = o.endTs !== undefined ? Math.min(o.endTs, toTs) : toTs;
    outages.push({
      cameraId: o.cameraId,
      ...(o.cameraName ? { cameraName: o.cameraName } : {}),
      fromTs: from,
      ...(o.endTs !== undefined ? { toTs: to } : {}),
      downMs: Math.max(0, to - from),
      ...(o.reason ? { reason: o.reason } : {}),
    });
  }
  summary.outages = outages.sort((a, b) => b.downMs - a.downMs).slice(0, MAX_LISTED);
  return summary;
}
