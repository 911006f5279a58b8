import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SessionAuth } from '../api/auth.js';
import { RealtimeHub } from '../api/realtime.js';
import { ApiServer } from '../api/server.js';
import { MemoryBus } from '../bus/memory-bus.js';
import type { IncidentNotificationPayload } from '../contract/incidents.js';
import { signInCookie, tempPeople } from '../../../test/fixtures/people.js';
import { sendThroughChannel } from './channels.js';

const PASSWORD = 'a long enough password';
const payload = {
  type: 'vigil.incident',
  level: 1,
  levelName: 'Supervisor on duty',
  incident: {
    id: 'inc-1',
    cameraId: 'gate',
    startTs: 1,
    lastTs: 2,
    severity: 'critical',
    ruleNames: ['Person at the gate'],
    labels: ['person'],
    objectCount: 1,
    state: 'new',
  },
  sentTs: 3,
} as IncidentNotificationPayload;

describe('"supervisors on duty" channel (real API server, real sockets of signed-in people)', () => {
  const people = tempPeople();
  const bus = new MemoryBus();
  const hub = new RealtimeHub({ bus });
  const server = new ApiServer({
    host: '127.0.0.1',
    port: 0,
    auth: new SessionAuth(),
    people,
    mode: 'local',
    routes: [hub],
  });
  const sockets: WebSocket[] = [];

  async function connectAs(name: string): Promise<void> {
    const cookie = await signInCookie(server.url, name, PASSWORD);
    const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/api/ws`, { headers: { cookie } });
    sockets.push(ws);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
  }

  beforeAll(async () => {
    await hub.start();
    await server.start();
    await people.addUser(
      { name: 'sam', role: 'supervisor', team: 'night', password: PASSWORD, cameras: [] },
      't',
    );
    await people.addUser({ name: 'gus', role: 'guard', team: 'night', password: PASSWORD, cameras: [] }, 't');
  });
  afterAll(async () => {
    for (const s of sockets) s.terminate();
    await server.dispose();
    await hub.dispose();
    await bus.dispose();
  });

  const send = (team?: string) =>
    sendThroughChannel(
      { id: 'sup', name: 'Supervisor on duty', kind: 'supervisors', ...(team ? { team } : {}) },
      payload,
      { supervisorsOnDuty: (t) => hub.connectedWith('escalations.receive', t) },
    );

  it('fails (so it is retried and shown) while no supervisor is signed in; a guard is not one', async () => {
    await connectAs('gus');
    await expect(send()).rejects.toThrow(/no supervisor is signed in/);
  });

  it('reaches a supervisor of the team once one has a window open; another team’s channel still fails', async () => {
    await connectAs('sam');
    await expect(send()).resolves.toBeUndefined();
    await expect(send('night')).resolves.toBeUndefined();
    await expect(send('day')).rejects.toThrow(/no supervisor of team day/);
  });
});
