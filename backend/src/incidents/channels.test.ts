import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  type IncidentNotificationPayload,
} from '../contract/incidents.js';
import { makeIncident } from '../../../test/contracts/event-store.js';
import { SqliteEventStore } from '../store/sqlite-store.js';
import { skipWithout } from '../../../test/fixtures/require.js';
import { sendWithRetries, verifyWebhookSignature } from './channels.js';
import { EscalationService } from './escalation.js';
import { AlertSettingsStore } from './site-settings.js';

const MQTT_URL = 'mqtt://127.0.0.1:1883';

/** Whether something listens on a TCP port (the machine's Mosquitto broker). */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}
const mosquitto = await listening(1883);
const skipMqtt = skipWithout(
  'the Mosquitto broker on 127.0.0.1:1883',
  mosquitto,
  'sudo apt-get install mosquitto',
);

const payload = (id = 'inc-plaza-1'): IncidentNotificationPayload => ({
  type: 'vigil.incident',
  level: 1,
  levelName: 'Supervisor on duty',
  incident: {
    id,
    cameraId: 'plaza',
    startTs: 1_700_000_000_000,
    lastTs: 1_700_000_030_000,
    severity: 'critical',
    ruleNames: ['Person on the plaza'],
    labels: ['person'],
    objectCount: 3,
    state: 'new',
  },
  sentTs: 1_700_000_060_000,
});

/** A real HTTP receiver that checks signatures as a customer's endpoint would, and can refuse the first tries. */
async function webhookReceiver(key: string, failFirst = 0) {
  const received: Array<{ body: string; valid: boolean; timestamp: string }> = [];
  let calls = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      calls++;
      if (calls <= failFirst) {
        res.writeHead(503).end();
        return;
      }
      const timestamp = String(req.headers[WEBHOOK_TIMESTAMP_HEADER] ?? '');
      const signature = String(req.headers[WEBHOOK_SIGNATURE_HEADER] ?? '');
      const valid = verifyWebhookSignature(key, timestamp, body, signature);
      received.push({ body, valid, timestamp });
      res.writeHead(valid ? 204 : 401).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    calls: () => calls,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('signed webhook channel (real HTTP receiver)', () => {
  const env = { VIGIL_TEST_HOOK_KEY: 'k3y-for-the-test-receiver' };

  it('posts the incident as JSON with an HMAC-SHA256 signature over timestamp and body that the receiver verifies', async () => {
    const hook = await webhookReceiver(env.VIGIL_TEST_HOOK_KEY);
    try {
      const r = await sendWithRetries(
        {
          id: 'hook',
          name: 'Control room',
          kind: 'webhook',
          url: hook.url,
          secretEnv: 'VIGIL_TEST_HOOK_KEY',
        },
        payload(),
        { retries: 0 },
        { env },
      );
      expect(r).toEqual({ ok: true, attempts: 1 });
      expect(hook.received).toHaveLength(1);
      expect(hook.received[0]?.valid).toBe(true);
      expect(hook.received[0]?.timestamp).toBe('1700000060000');
      expect(JSON.parse(hook.received[0]?.body ?? '{}')).toMatchObject({ incident: { id: 'inc-plaza-1' } });
      // A receiver with another key refuses it: the signature is really bound to the key.
      expect(
        verifyWebhookSignature(
          'another-key',
          hook.received[0]?.timestamp ?? '',
          hook.received[0]?.body ?? '',
          'x',
        ),
      ).toBe(false);
    } finally {
      await hook.close();
    }
  });

  it('retries a refusing endpoint, and reports a failure in words after the last try (never silently)', async () => {
    const flaky = await webhookReceiver(env.VIGIL_TEST_HOOK_KEY, 2);
    try {
      const channel = {
        id: 'hook',
        name: 'Control room',
        kind: 'webhook' as const,
        url: flaky.url,
        secretEnv: 'VIGIL_TEST_HOOK_KEY',
      };
      expect(await sendWithRetries(channel, payload(), { retries: 3, backoffMs: 10 }, { env })).toEqual({
        ok: true,
        attempts: 3,
      });
      const down = await webhookReceiver(env.VIGIL_TEST_HOOK_KEY, 100);
      const failed = await sendWithRetries(
        { ...channel, url: down.url },
        payload(),
        { retries: 2, backoffMs: 10 },
        { env },
      );
      await down.close();
      expect(failed).toEqual({ ok: false, attempts: 3, error: 'the webhook answered HTTP 503' });
      // No key in the environment: refused before anything is sent unsigned.
      const unsigned = await sendWithRetries(channel, payload(), { retries: 0 }, { env: {} });
      expect(unsigned.error).toBe(
        'the environment variable VIGIL_TEST_HOOK_KEY (webhook signing key) is not set',
      );
    } finally {
      await flaky.close();
    }
  });
});

describe.skipIf(skipMqtt)('MQTT channel (the real Mosquitto broker on 127.0.0.1:1883)', () => {
  it('publishes the incident on the configured topic; a subscriber of the broker receives it', async () => {
    const topic = `vigil-test/${process.pid}/${Date.now()}/incidents`;
    const sub = await mqtt.connectAsync(MQTT_URL, { reconnectPeriod: 0 });
    try {
      await sub.subscribeAsync(topic, { qos: 1 });
      const got = new Promise<string>((resolve) => sub.on('message', (_t, m) => resolve(m.toString())));
      const r = await sendWithRetries(
        { id: 'bus', name: 'Site MQTT', kind: 'mqtt', url: MQTT_URL, topic },
        payload('inc-mqtt'),
        { retries: 0 },
      );
      expect(r).toEqual({ ok: true, attempts: 1 });
      expect(JSON.parse(await got)).toMatchObject({ type: 'vigil.incident', incident: { id: 'inc-mqtt' } });
    } finally {
      await sub.endAsync();
    }
  });

  it('reports a broker that cannot be reached as a failure after its retries', async () => {
    const r = await sendWithRetries(
      { id: 'bus', name: 'Site MQTT', kind: 'mqtt', url: 'mqtt://127.0.0.1:1', topic: 'x' },
      payload(),
      { retries: 1, backoffMs: 10 },
    );
    expect(r.ok).toBe(false);
    expect(r.attempts).toBe(2);
    expect(r.error).toMatch(/^the MQTT broker did not take the message \(.*ECONNREFUSED/);
  });
});

describe('e-mail channel (a real SMTP server: smtp-server)', () => {
  const mails: Array<{ from: string; to: string[]; data: string; user?: string }> = [];
  let smtp: SMTPServer;
  let port = 0;
  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onAuth(auth, _session, cb) {
        if (auth.username === 'vigil' && auth.password === 'mail-pass') cb(null, { user: auth.username });
        else cb(new Error('Invalid username or password'));
      },
      onData(stream, session, cb) {
        let data = '';
        stream.on('data', (c: Buffer) => (data += c.toString()));
        stream.on('end', () => {
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            data,
            ...(typeof session.user === 'string' ? { user: session.user } : {}),
          });
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    port = (smtp.server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => smtp.close(() => r())));

  it('sends the incident to every recipient, logged in with the credentials from the environment', async () => {
    const r = await sendWithRetries(
      {
        id: 'mail',
        name: 'Supervisors',
        kind: 'email',
        host: '127.0.0.1',
        port,
        secure: false,
        from: 'vigil@site.example',
        to: ['supervisor@site.example', 'ops@site.example'],
        usernameEnv: 'VIGIL_TEST_SMTP_USER',
        passwordEnv: 'VIGIL_TEST_SMTP_PASS',
      },
      payload('inc-mail'),
      { retries: 0 },
      { env: { VIGIL_TEST_SMTP_USER: 'vigil', VIGIL_TEST_SMTP_PASS: 'mail-pass' } },
    );
    expect(r).toEqual({ ok: true, attempts: 1 });
    const mail = mails.at(-1);
    expect(mail?.user).toBe('vigil');
    expect(mail?.from).toBe('vigil@site.example');
    expect(mail?.to).toEqual(['supervisor@site.example', 'ops@site.example']);
    expect(mail?.data).toMatch(/Subject: \[Vigil critical\] Supervisor on duty: 3 x person on plaza\r\n/);
    expect(mail?.data).toContain('inc-mail');
  });

  it('a wrong password is a failure with the server’s answer, after the retries', async () => {
    const r = await sendWithRetries(
      {
        id: 'mail',
        name: 'Supervisors',
        kind: 'email',
        host: '127.0.0.1',
        port,
        secure: false,
        from: 'vigil@site.example',
        to: ['supervisor@site.example'],
        usernameEnv: 'VIGIL_TEST_SMTP_USER',
        passwordEnv: 'VIGIL_TEST_SMTP_PASS',
      },
      payload(),
      { retries: 1, backoffMs: 10 },
      { env: { VIGIL_TEST_SMTP_USER: 'vigil', VIGIL_TEST_SMTP_PASS: 'wrong' } },
    );
    expect(r.ok).toBe(false);
    expect(r.attempts).toBe(2);
    expect(r.error).toMatch(/SMTP server did not take the message .*Invalid username or password/);
    expect(r.error).not.toContain('wrong');
  });
});

describe('escalation chain (SQLite store, real webhook receivers)', () => {
  it('notifies level 0 on raise, the next level after T1 while unacknowledged, records every try, and stops once acknowledged', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-escalation-'));
    const store = new SqliteEventStore({ file: path.join(dir, 'events.db') });
    const key = 'escalation-key';
    process.env.VIGIL_TEST_ESC_KEY = key;
    const guards = await webhookReceiver(key);
    const supervisor = await webhookReceiver(key, 1000); // always refuses: the failure must show
    const settings = new AlertSettingsStore(path.join(dir, 'alerts.json'));
    settings.set({
      retries: 1,
      channels: [
        {
          id: 'guards',
          name: 'Guard desk',
          kind: 'webhook',
          url: guards.url,
          secretEnv: 'VIGIL_TEST_ESC_KEY',
        },
        {
          id: 'supervisor',
          name: 'Supervisor on duty',
          kind: 'webhook',
          url: supervisor.url,
          secretEnv: 'VIGIL_TEST_ESC_KEY',
        },
      ],
      escalation: [
        { name: 'On raise', afterSec: 0, channelIds: ['guards'] },
        { name: 'Supervisor on duty', afterSec: 60, channelIds: ['supervisor'] },
        { name: 'Site manager', afterSec: 300, channelIds: ['guards', 'supervisor'] },
      ],
    });
    let now = 1_700_000_000_000;
    const changed: string[] = [];
    const service = new EscalationService({
      incidents: () => store.incidents,
      settings,
      backoffMs: 5,
      now: () => now,
      onChanged: (i) => changed.push(`${i.id}@${i.escalationLevel}`),
    });
    try {
      await store.incidents.upsertIncidents([
        makeIncident({ id: 'inc-1', startTs: now, lastTs: now }),
        makeIncident({ id: 'inc-2', startTs: now, lastTs: now }),
      ]);
      await service.tick();
      expect(guards.received.filter((r) => r.valid)).toHaveLength(2);
      await service.tick(); // nothing more is due
      expect(guards.received).toHaveLength(2);

      // A guard acknowledges inc-2; 61 s later only inc-1 goes to the supervisor, whose endpoint refuses.
      await store.incidents.actOnIncident('inc-2', { kind: 'acknowledge', by: 'guard', ts: now + 10_000 });
      now += 61_000;
      await service.tick();
      expect(supervisor.calls()).toBe(2); // one try and one retry
      const inc1 = await store.incidents.getIncident('inc-1');
      expect(inc1?.notifications.map((n) => [n.levelName, n.channelId, n.status, n.attempts])).toEqual([
        ['On raise', 'guards', 'sent', 1],
        ['Supervisor on duty', 'supervisor', 'failed', 2],
      ]);
      expect(inc1?.notifications[1]?.error).toBe('the webhook answered HTTP 503');
      expect((await store.incidents.getIncident('inc-2'))?.notifications).toHaveLength(1);
      expect(service.health()).toMatchObject({ status: 'degraded' });
      expect(changed.sort()).toEqual(['inc-1@0', 'inc-1@1', 'inc-2@0']);
    } finally {
      delete process.env.VIGIL_TEST_ESC_KEY;
      await service.dispose();
      await guards.close();
      await supervisor.close();
      await store.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
