import { describe, expect, it } from 'vitest';
import type { Incident, VigilAlert } from '../../../backend/src/contract';
import {
  analysisIntervalMs,
  detectionBuffer,
  detectionLagMs,
  lastDetectionAt,
  mergeAlerts,
  mergeIncidents,
  OPEN_INCIDENTS_PATH,
  recordDetections,
} from './store';

const incident = (id: string, state: Incident['state'], updatedTs: number): Incident => ({
  id,
  cameraId: 'gate',
  startTs: 1000,
  lastTs: 1000,
  severity: 'warning',
  ruleIds: ['r'],
  ruleNames: ['Person at the gate'],
  labels: ['person'],
  eventIds: [],
  objectCount: 1,
  snapshots: [],
  state,
  notifications: [],
  updatedTs,
});

describe('the shared stores of the window', () => {
  it('never lets a stale message undo an acknowledgement, but takes a newer change of the same state', () => {
    const acked = incident('a', 'acknowledged', 2000);
    expect(mergeIncidents([acked], [incident('a', 'new', 3000)])).toEqual([acked]);
    const later = { ...acked, ackNote: 'on my way', updatedTs: 2500 };
    expect(mergeIncidents([acked], [later])).toEqual([later]);
    expect(mergeIncidents([acked], [{ ...acked, updatedTs: 1500, ackNote: 'old' }])).toEqual([acked]);
    const resolved = incident('a', 'resolved', 1800);
    expect(mergeIncidents([acked], [resolved])).toEqual([resolved]);
    expect(mergeIncidents([acked], [incident('b', 'new', 1)]).map((i) => i.id)).toEqual(['a', 'b']);
  });

  it('merges alerts by id, the newest fields winning', () => {
    const raised = { id: 'x', state: 'new', raisedTs: 1 } as VigilAlert;
    const acked = { id: 'x', state: 'acknowledged', acknowledgedBy: 'ann' } as VigilAlert;
    expect(mergeAlerts([raised], [acked])).toEqual([{ ...raised, ...acked }]);
  });

  it('measures the analysis interval from the shortest gaps, and the arrival delay of detections', () => {
    const now = Date.now();
    // 5 fps with one skipped frame: gaps of 200 ms and one of 400 ms.
    const stamps = [0, 200, 400, 800, 1000, 1200, 1400, 1600, 1800, 2000, 2200, 2400].map(
      (t) => now - 3000 + t,
    );
    for (const ts of stamps)
      recordDetections('dock', { cameraId: 'dock', ts, width: 640, height: 360, detections: [] });
    expect(analysisIntervalMs('dock')).toBe(200);
    expect(detectionLagMs('dock')).toBeGreaterThanOrEqual(600);
    expect(lastDetectionAt('dock')).toBeGreaterThanOrEqual(now);
    expect(detectionBuffer('dock').match(stamps.at(-1)!)?.ts).toBe(stamps.at(-1));
    // A camera with no detections yet has no figures (the overlay then does not guess).
    expect(analysisIntervalMs('unknown')).toBeUndefined();
    expect(detectionLagMs('unknown')).toBeUndefined();
  });

  it('asks for the open incidents (new and acknowledged) through the route table', () => {
    expect(OPEN_INCIDENTS_PATH).toBe('/api/incidents?state=new,acknowledged&limit=200');
  });
});
