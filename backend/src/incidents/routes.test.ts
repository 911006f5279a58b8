import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempPeople } from '../../../test/fixtures/people.js';
import { SessionAuth } from '../api/auth.js';
import { ApiServer } from '../api/server.js';
import { DetectSettingsStore } from '../detect/settings-store.js';
import { makeIncident } from '../../../test/contracts/event-store.js';
import { SqliteEventStore } from '../store/sqlite-store.js';
import { FeedbackStore } from './feedback.js';
import { incidentRoutes } from './routes.js';
import { AlertSettingsStore } from './site-settings.js';
import http from 'node:http';
import { MemorySecretStore } from '../platform/secret-store.js';
import { channelSecretName, verifyWebhookSignature } from './channels.js';
import { AuditRecorder, logWriter } from '../audit/recorder.js';
import { SqliteAuditLog } from '../audit/sqlite-audit-log.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-incident-routes-'));
const store = new SqliteEventStore({ file: path.join(dir, 'events.db') });
const settings = new DetectSettingsStore(path.join(dir, 'detect.json'));
const alertSettings = new AlertSettingsStore(path.join(dir, 'alerts', 'settings.json'));
const auditLog = new SqliteAuditLog({ file: path.join(dir, 'audit.db') });
const auth = new SessionAuth();
const secrets = new MemorySecretStore();
const pushed: string[] = [];
const server = new ApiServer({
  host: '127.0.0.1',
  port: 0,
  auth,
  people: tempPeople(),
  mode: 'local',
  routes: [
    incidentRoutes({
      store: () => store,
      settings: () => settings,
      alertSettings,
      feedback: new FeedbackStore(path.join(dir, 'feedback')),
      onIncidentChanged: (i) => void pushed.push(`${i.id}:${i.state}`),
      audit: new AuditRecorder(logWriter(() => auditLog)),
      secrets,
    }),
  ],
});

async function api(method: string, url: string, body?: unknown) {
  const res = await fetch(`${server.url}${url}`, {
    method,
    headers: {
      authorization: `Bearer ${auth.token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  // JSON of many shapes: the assertions check them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, data: (await res.json().catch(() => undefined)) as any };
}

beforeAll(async () => {
  await server.start();
  const t = Date.now() - 60_000;
  await store.incidents.upsertIncidents([
    makeIncident({ id: 'inc-1', startTs: t }),
    makeIncident({ id: 'inc-2', startTs: t + 1000, severity: 'critical' }),
    makeIncident({ id: 'inc-3', startTs: t + 2000, cameraId: 'cam-b' }),
  ]);
});
afterAll(async () => {
  await server.dispose();
  await auditLog.dispose();
  await store.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('incident routes', () => {
  it('need the session token', async () => {
    expect((await fetch(`${server.url}/api/incidents`)).status).toBe(401);
  });

  it('bulk-acknowledge with one note, says which ids do not exist, pushes each change and audits once', async () => {
    const r = await api('POST', '/api/incidents/ack', {
      ids: ['inc-1', 'inc-2', 'nope'],
      note: 'crowd, all fine',
    });
    expect(r.status).toBe(200);
    expect(r.data.missing).toEqual(['nope']);
    expect(r.data.acknowledged.map((i: { id: string; ackNote: string }) => [i.id, i.ackNote])).toEqual([
      ['inc-1', 'crowd, all fine'],
      ['inc-2', 'crowd, all fine'],
    ]);
    expect(pushed).toEqual(['inc-1:acknowledged', 'inc-2:acknowledged']);
    expect((await api('GET', '/api/incidents?state=new')).data.map((i: { id: string }) => i.id)).toEqual([
      'inc-3',
    ]);
    expect((await api('GET', '/api/incidents?severity=critical&camera=cam-a')).data).toHaveLength(1);
    const audit = (await auditLog.list({ limit: 5 })).entries;
    expect(audit[0]).toMatchObject({
      actor: 'instance-token',
      action: 'acknowledge',
      detail: { bulk: true, count: 2 },
    });
    expect((await api('POST', '/api/incidents/ack', { ids: [] })).data).toMatchObject({ field: 'ids' });
  });

  it('resolve with a note; an unknown incident is a 404 in words', async () => {
    const r = await api('POST', '/api/incidents/inc-3/resolve', { note: 'false alarm, cleaner' });
    expect(r.data).toMatchObject({
      state: 'resolved',
      resolvedBy: 'instance-token',
      resolveNote: 'false alarm, cleaner',
    });
    expect(await api('POST', '/api/incidents/missing/ack', {})).toMatchObject({
      status: 404,
      data: { message: 'no incident "missing"' },
    });
  });

  it('keep the site’s alert settings on the backend, refusing a level that names no channel', async () => {
    const bad = await api('PUT', '/api/alert-settings', {
      sound: false,
      channels: [
        {
          id: 'hook',
          name: 'Desk',
          kind: 'webhook',
          url: 'https://desk.example/hook',
          secretEnv: 'DESK_KEY',
        },
      ],
      escalation: [{ name: 'Supervisor', afterSec: 60, channelIds: ['mail'] }],
    });
    expect(bad).toMatchObject({
      status: 400,
      data: { field: 'escalation.0.channelIds.0', message: expect.stringContaining('no channel "mail"') },
    });
    const good = await api('PUT', '/api/alert-settings', {
      sound: false,
      channels: [
        {
          id: 'hook',
          name: 'Desk',
          kind: 'webhook',
          url: 'https://desk.example/hook',
          secretEnv: 'DESK_KEY',
        },
      ],
      escalation: [{ name: 'Supervisor', afterSec: 60, channelIds: ['hook'] }],
    });
    expect(good.status).toBe(200);
    // Another window (or a reload) reads the same settings from the backend's file.
    const reread = new AlertSettingsStore(alertSettings.file);
    reread.load();
    expect(reread.get()).toMatchObject({ sound: false, escalation: [{ afterSec: 60 }] });
    expect((await api('GET', '/api/alert-settings')).data).toMatchObject({ sound: false, retries: 3 });
  });

  it('keep a channel’s secret write-only: stored apart, answered only as set, kept when not sent again', async () => {
    const received: Array<{ body: string; ts: string; sig: string }> = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push({
          body,
          ts: String(req.headers['x-vigil-timestamp']),
          sig: String(req.headers['x-vigil-signature']),
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const port = (receiver.address() as { port: number }).port;
    try {
      const hook = { id: 'ops', name: 'Ops desk', kind: 'webhook', url: `http://127.0.0.1:${port}/hook` };
      const escalation = [{ name: 'On raise', afterSec: 0, channelIds: ['ops'] }];
      const missing = await api('PUT', '/api/alert-settings', { channels: [hook], escalation });
      expect(missing).toMatchObject({
        status: 400,
        data: { field: 'channels.0.secret', message: 'channels.0.secret: enter a signing secret' },
      });
      const saved = await api('PUT', '/api/alert-settings', {
        channels: [{ ...hook, secret: 'correct-horse-signing' }],
        escalation,
      });
      expect(saved.status).toBe(200);
      expect(saved.data.channels[0]).toEqual({ ...hook, secretSet: true });
      expect(JSON.stringify((await api('GET', '/api/alert-settings')).data)).not.toContain('correct-horse');
      expect(fs.readFileSync(alertSettings.file, 'utf8')).not.toContain('correct-horse');
      expect(secrets.get(channelSecretName('ops'))).toBe('correct-horse-signing');
      // Saved again as the editor sends it (the flag, no secret): the secret stays.
      const again = await api('PUT', '/api/alert-settings', {
        channels: [{ ...hook, name: 'Ops desk 2', secretSet: true }],
        escalation,
      });
      expect(again.data.channels[0]).toMatchObject({ name: 'Ops desk 2', secretSet: true });

      const test = await api('POST', '/api/alert-settings/channels/ops/test');
      expect(test).toMatchObject({ status: 200, data: { channelId: 'ops', ok: true } });
      expect(received).toHaveLength(1);
      const got = received[0]!;
      expect(verifyWebhookSignature('correct-horse-signing', got.ts, got.body, got.sig)).toBe(true);
      expect(JSON.parse(got.body)).toMatchObject({ type: 'vigil.incident', test: true });

      receiver.close();
      const down = await api('POST', '/api/alert-settings/channels/ops/test');
      expect(down.data).toMatchObject({ ok: false, error: expect.stringContaining('could not be reached') });
      expect((await api('POST', '/api/alert-settings/channels/nope/test')).status).toBe(404);

      // Removing the channel removes its secret.
      await api('PUT', '/api/alert-settings', { channels: [], escalation: [] });
      expect(secrets.has(channelSecretName('ops'))).toBe(false);
    } finally {
      receiver.close();
    }
  });
});
