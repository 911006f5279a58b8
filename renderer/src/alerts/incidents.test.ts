import { describe, expect, it } from 'vitest';
import type { Incident } from '../../../backend/src/contract';
import { failedChannels, orderIncidents } from './incidents';

function incident(id: string, over: Partial<Incident> = {}): Incident {
  return {
    id,
    cameraId: 'plaza',
    startTs: 1000,
    lastTs: 2000,
    severity: 'warning',
    ruleIds: ['r'],
    ruleNames: ['Person'],
    labels: ['person'],
    eventIds: ['e'],
    objectCount: 1,
    snapshots: [],
    state: 'new',
    notifications: [],
    updatedTs: 2000,
    ...over,
  };
}

describe('incident order', () => {
  it('puts new before acknowledged, escalated first, then severity, then newest; hides resolved', () => {
    const shown = orderIncidents([
      incident('ack', { state: 'acknowledged', severity: 'critical' }),
      incident('old-warning', { startTs: 10 }),
      incident('new-warning', { startTs: 50 }),
      incident('critical', { severity: 'critical', startTs: 5 }),
      incident('escalated', { escalationLevel: 1, severity: 'info' }),
      incident('done', { state: 'resolved' }),
    ]);
    expect(shown.map((i) => i.id)).toEqual(['escalated', 'critical', 'new-warning', 'old-warning', 'ack']);
  });

  it('shows a channel whose latest try failed, in words', () => {
    const n = {
      ts: 1,
      level: 1,
      levelName: 'Supervisor on duty',
      channelKind: 'webhook' as const,
      attempts: 3,
    };
    const i = incident('x', {
      notifications: [
        { ...n, channelId: 'hook', status: 'failed', error: 'the webhook answered HTTP 503' },
        { ...n, channelId: 'mail', status: 'sent', attempts: 1 },
      ],
    });
    expect(failedChannels(i)).toEqual([
      'Supervisor on duty: hook failed after 3 tries (the webhook answered HTTP 503)',
    ]);
  });
});
