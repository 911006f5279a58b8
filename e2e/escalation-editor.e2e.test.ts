// The administrator sets up a signed webhook and the escalation chain in the Rules view, tests the channel, and an
// incident raised afterwards reaches a real HTTP receiver with a signature the receiver verifies.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertSiteSettings, IncidentNotificationPayload } from '../backend/src/contract/incidents.js';
import { verifyWebhookSignature } from '../backend/src/incidents/channels.js';
import { VTEST_H264 } from '../test/fixtures/video-frames.js';
import { skipWithoutChromiumOrFootage, useE2e } from './harness.js';

const SECRET = 'e2e-signing-secret-4c1f';

interface Delivery {
  body: string;
  timestamp: string;
  signature: string;
}

describe.skipIf(skipWithoutChromiumOrFootage())(
  'escalation editor in headless Chromium (demo camera)',
  () => {
    const deliveries: Delivery[] = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        deliveries.push({
          body,
          timestamp: String(req.headers['x-vigil-timestamp']),
          signature: String(req.headers['x-vigil-signature']),
        });
        res.writeHead(204).end();
      });
    });
    let receiverUrl = '';
    beforeAll(async () => {
      await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
      receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/vigil`;
    });
    afterAll(() => receiver.close());

    const e2e = useE2e({
      config: {
        cameras: [{ id: 'plaza', name: 'Plaza', main: { kind: 'file', path: VTEST_H264, loop: true } }],
        detect: { incidents: { quietGapSec: 600 } },
      },
      viewport: { width: 1500, height: 1300 },
    });

    it('shows mistakes next to their fields in words: a bad URL, a level without a channel', async () => {
      const page = e2e.page;
      await page.goto(e2e.url('/#/rules'));
      await page.getByLabel('New channel').selectOption('webhook');
      await page.getByRole('button', { name: 'Add channel' }).click();
      const card = page.locator('.channel-card').last();
      await card.getByLabel('Name').fill('Control room');
      await card.getByLabel('URL').fill('ftp://control-room.example/hook');
      await page.getByRole('button', { name: 'Add level' }).click();
      await page.getByRole('button', { name: 'Save channels and escalation' }).click();
      await expect
        .poll(() => page.locator('[data-field="channels.0.url"]').textContent())
        .toBe('Enter a URL starting with https:// or http://');
      expect(await page.locator('[data-field="channels.0.secret"]').textContent()).toMatch(
        /^Enter a signing secret/,
      );
      expect(await page.locator('[data-field="escalation.0.channelIds"]').textContent()).toBe(
        'Choose at least one channel',
      );
      await page.getByRole('status').filter({ hasText: 'Not saved' }).waitFor();
      await e2e.shot('escalation-editor-errors');
      // Nothing reached the backend.
      expect((await e2e.json<AlertSiteSettings>('GET', '/api/alert-settings')).channels).toEqual([]);
    });

    it('saves a signed webhook on level 1 after 0 minutes; the secret is only "set"; Send test says delivered', async () => {
      const page = e2e.page;
      const card = page.locator('.channel-card').last();
      await card.getByLabel('URL').fill(receiverUrl);
      await card.getByLabel('Signing secret').fill(SECRET);
      await page.getByLabel('Level 1 minutes').fill('0');
      await page.getByRole('group', { name: 'Level 1 channels' }).getByLabel('Control room').check();
      await page.getByRole('button', { name: 'Save channels and escalation' }).click();
      await page.getByRole('status').filter({ hasText: 'Saved for the whole site.' }).waitFor();
      expect(await page.locator('.field-error').count()).toBe(0);

      // Write-only: the editor shows "set" with a way to replace it, and the API never answers the secret.
      await card.locator('.secret-set .badge', { hasText: 'set' }).waitFor();
      await card.getByRole('button', { name: 'Replace' }).waitFor();
      const raw = await (await e2e.call('GET', '/api/alert-settings')).text();
      expect(raw).not.toContain(SECRET);
      const saved = JSON.parse(raw) as AlertSiteSettings;
      expect(saved.channels).toEqual([
        { id: 'control-room', name: 'Control room', kind: 'webhook', url: receiverUrl, secretSet: true },
      ]);
      expect(saved.escalation).toEqual([{ name: 'Level 1', afterSec: 0, channelIds: ['control-room'] }]);

      await card.getByRole('button', { name: 'Send test' }).click();
      await card
        .locator('[data-delivery="ok"]', { hasText: 'delivered (test)' })
        .waitFor({ timeout: 15_000 });
      expect(deliveries).toHaveLength(1);
      const test = deliveries[0] as Delivery;
      expect(verifyWebhookSignature(SECRET, test.timestamp, test.body, test.signature)).toBe(true);
      expect(JSON.parse(test.body)).toMatchObject({ type: 'vigil.incident', test: true });
      await e2e.shot('escalation-editor-saved');

      // The test is audited, without the secret.
      const audit = await e2e.json<{ entries: Array<{ action: string; target?: string; detail?: unknown }> }>(
        'GET',
        '/api/audit?limit=20',
      );
      const entry = audit.entries.find((a) => a.target === 'channel:control-room');
      expect(entry).toMatchObject({ action: 'alert-settings', detail: { test: true, ok: true } });
      expect(JSON.stringify(audit.entries)).not.toContain(SECRET);
    });

    it('an incident raised afterwards reaches the receiver, signed with the secret, and the channel shows it', async () => {
      await e2e.call('POST', '/api/alert-rules', {
        name: 'Person on the plaza',
        labels: ['person'],
        cameraIds: ['plaza'],
        severity: 'critical',
      });
      // The model loads and the camera starts first: on a busy machine this takes a while.
      await expect
        .poll(
          () => deliveries.filter((d) => !(JSON.parse(d.body) as IncidentNotificationPayload).test).length,
          {
            timeout: 200_000,
            interval: 1000,
          },
        )
        .toBeGreaterThanOrEqual(1);
      const real = deliveries.find(
        (d) => !(JSON.parse(d.body) as IncidentNotificationPayload).test,
      ) as Delivery;
      expect(verifyWebhookSignature(SECRET, real.timestamp, real.body, real.signature)).toBe(true);
      expect(verifyWebhookSignature('another-secret', real.timestamp, real.body, real.signature)).toBe(false);
      const payload = JSON.parse(real.body) as IncidentNotificationPayload;
      expect(payload).toMatchObject({
        type: 'vigil.incident',
        level: 0,
        levelName: 'Level 1',
        incident: { cameraId: 'plaza', ruleNames: ['Person on the plaza'], state: 'new' },
      });
      const card = e2e.page.locator('.channel-card').last();
      await card
        .locator('[data-delivery="ok"]', { hasText: 'delivered (Level 1)' })
        .waitFor({ timeout: 30_000 });
      await e2e.shot('escalation-editor-delivered');
    }, 260_000);
  },
);
