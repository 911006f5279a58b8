import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../backend/src/contract/incidents.js';
import type { BackendProcess } from '../test/fixtures/backend.js';
import { VTEST_H264 } from '../test/fixtures/video-frames.js';
import { skipWithoutChromiumOrFootage, useE2e, type E2eSession } from './harness.js';

const skip = skipWithoutChromiumOrFootage();

let e2e: E2eSession;
let backend: BackendProcess | undefined;
let page: Page;

const call = (method: string, p: string, body?: unknown): Promise<Response> => e2e.call(method, p, body);

const incidents = async (state: string): Promise<Incident[]> =>
  (await (await call('GET', `/api/incidents?state=${state}`)).json()) as Incident[];

const shot = (name: string): Promise<void> => e2e.shot(name);

describe.skipIf(skip)(
  'alert desk in headless Chromium: rules, incidents, false positives (demo camera)',
  () => {
    e2e = useE2e({
      config: {
        cameras: [{ id: 'plaza', name: 'Plaza', main: { kind: 'file', path: VTEST_H264, loop: true } }],
        // Incidents stay open while the test acts on them.
        detect: { incidents: { quietGapSec: 600 } },
      },
      viewport: { width: 1600, height: 900 },
    });

    beforeAll(async () => {
      ({ backend, page } = e2e);
      // Two zones, left and right half: rules naming them raise incidents of their own.
      const half = (x0: number, x1: number) => [
        [x0, 0],
        [x1, 0],
        [x1, 1],
        [x0, 1],
      ];
      await call('PUT', '/api/cameras/plaza/zones', {
        zones: [
          { name: 'West', points: half(0, 0.5) },
          { name: 'East', points: half(0.5, 1) },
        ],
        masks: [],
      });
    });

    it('the admin creates a rule in the editor (mistakes shown next to their fields) and sees it fire', async () => {
      await page.goto(`${backend!.url}/#/rules`);
      await page.getByRole('button', { name: 'New rule' }).click();
      await page.getByLabel('Minimum objects').fill('0');
      await page.getByRole('button', { name: 'Save rule' }).click();
      await expect.poll(() => page.locator('[data-field="name"]').textContent()).toBe('give the rule a name');
      expect(await page.locator('[data-field="minCount"]').textContent()).toBe(
        'minimum object count: from 1 to 50',
      );
      await page.getByLabel('Name').fill('Person on the plaza');
      await page.getByLabel('Minimum objects').fill('1');
      await page.getByLabel('Dwell in zone (s)').fill('5');
      await page.getByRole('button', { name: 'Save rule' }).click();
      // A dwell time without a zone is refused, next to the dwell field.
      await expect
        .poll(() => page.locator('[data-field="dwellSec"]').textContent())
        .toBe('a dwell time needs a zone to dwell in');
      await page.getByLabel('Dwell in zone (s)').fill('0');
      await page.getByRole('group', { name: 'Cameras' }).getByLabel('Plaza').check();
      await page.getByLabel('Severity').selectOption('critical');
      await page.getByRole('button', { name: 'Save rule' }).click();
      await page.getByRole('status').filter({ hasText: 'Saved "Person on the plaza".' }).waitFor();
      await shot('rule-editor');
      const rules = (await (await call('GET', '/api/alert-rules')).json()) as Array<Record<string, unknown>>;
      expect(rules).toEqual([
        expect.objectContaining({
          name: 'Person on the plaza',
          labels: ['person'],
          cameraIds: ['plaza'],
          minCount: 1,
          severity: 'critical',
          enabled: true,
        }),
      ]);
      // Changes to rules are audited.
      const audit = (await (await call('GET', '/api/audit?limit=20')).json()) as {
        entries: Array<{ action: string }>;
      };
      expect(audit.entries.some((a) => a.action === 'alert-rule')).toBe(true);

      // It fires: an incident of the rule appears in the panel, with its snapshot strip.
      const card = page.locator('li.alert', { hasText: 'Person on the plaza' }).first();
      // The model loads and the camera starts first: on a busy machine this takes a while.
      await card.waitFor({ timeout: 150_000 });
      await card.locator('.snapshot-strip img').first().waitFor({ timeout: 30_000 });
    }, 240_000);

    it('the guard acknowledges an incident with a note, then bulk-acknowledges the others', async () => {
      // Rules per zone: incidents of their own beside the plaza one.
      for (const zone of ['West', 'East'])
        await call('POST', '/api/alert-rules', {
          name: `Person ${zone}`,
          labels: ['person'],
          cameraIds: ['plaza'],
          zone,
          severity: 'warning',
        });
      await page.goto(`${backend!.url}/#/live`);
      await expect
        .poll(async () => (await incidents('new')).length, { timeout: 90_000 })
        .toBeGreaterThanOrEqual(3);
      await expect
        .poll(() => page.locator('li.alert.state-new').count(), { timeout: 20_000 })
        .toBeGreaterThanOrEqual(3);

      const first = page.locator('li.alert.state-new').first();
      const id = (await first.getAttribute('data-incident')) as string;
      await first.getByLabel('Note').fill('guard went to look');
      await first.getByRole('button', { name: /^Acknowledge/ }).click();
      await page.locator(`li.alert.state-acknowledged[data-incident="${id}"]`).waitFor();
      const acked = (await incidents('acknowledged')).find((i) => i.id === id);
      expect(acked).toMatchObject({ acknowledgedBy: 'test-admin', ackNote: 'guard went to look' });

      const rest = await page
        .locator('li.alert.state-new')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-incident')));
      expect(rest.length).toBeGreaterThanOrEqual(2);
      for (const other of rest)
        await page
          .locator(`li.alert[data-incident="${other}"]`)
          .getByRole('checkbox', { name: /^Select incident/ })
          .check();
      await page.getByLabel('Note for the selected incidents').fill('crowd on the plaza, all fine');
      await page.getByRole('button', { name: `Acknowledge ${rest.length} selected` }).click();
      await expect.poll(() => page.locator('li.alert.state-new').count(), { timeout: 10_000 }).toBe(0);
      const all = await incidents('acknowledged');
      for (const other of rest)
        expect(all.find((i) => i.id === other)).toMatchObject({ ackNote: 'crowd on the plaza, all fine' });
      await shot('incidents-acknowledged');
    }, 180_000);

    it('the guard marks a snapshot "not a person": the incident is resolved, a suppression and a feedback example exist', async () => {
      const card = page.locator('li.alert').first();
      const id = (await card.getAttribute('data-incident')) as string;
      await card.getByRole('button', { name: 'Not a person' }).first().click();
      await expect
        .poll(() => page.locator(`li.alert[data-incident="${id}"]`).count(), { timeout: 10_000 })
        .toBe(0);
      const resolved = (await incidents('resolved')).find((i) => i.id === id);
      expect(resolved).toMatchObject({ resolvedBy: 'test-admin', resolveNote: 'not a person: suppressed' });
      const suppressions = (await (await call('GET', '/api/suppressions')).json()) as Array<{
        incidentId: string;
      }>;
      expect(suppressions.map((s) => s.incidentId)).toContain(id);
      const feedback = (await (await call('GET', '/api/feedback')).json()) as Array<{ incidentId: string }>;
      expect(feedback.map((f) => f.incidentId)).toContain(id);
    }, 60_000);
  },
);
