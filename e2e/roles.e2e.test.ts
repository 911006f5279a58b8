import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AuditPage } from '../backend/src/contract/audit.js';
import { openBrowserSession, type BackendProcess, type TestAccount } from '../test/fixtures/backend.js';
import { VTEST_H264 } from '../test/fixtures/video-frames.js';
import { skipWithoutChromiumOrFootage, useE2e, type E2eSession } from './harness.js';

const skip = skipWithoutChromiumOrFootage();

const GUARD: TestAccount = { user: 'gwen', role: 'guard', cameras: ['plaza'] };
const INVESTIGATOR: TestAccount = { user: 'ivan', role: 'investigator', cameras: ['plaza', 'yard'] };
const ADMIN: TestAccount = { user: 'ada', role: 'admin' };

let e2e: E2eSession;
let backend: BackendProcess | undefined;

/** A page signed in as one person. */
async function pageAs(account: TestAccount): Promise<Page> {
  return (await e2e.signedIn(account)).page;
}

/** A request from a page, with its session cookie and its own origin, as the UI makes it. */
function fromPage(page: Page, method: string, url: string, body?: unknown) {
  return page.evaluate(
    async ({ method, url, body }) => {
      const res = await fetch(url, {
        method,
        credentials: 'same-origin',
        ...(body !== undefined
          ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
          : {}),
      });
      return { status: res.status, body: await res.text() };
    },
    { method, url, body },
  );
}

describe.skipIf(skip)(
  'each role in headless Chromium: what a guard, an investigator and an administrator get',
  () => {
    e2e = useE2e({
      config: {
        video: { segmentSeconds: 2 },
        detect: { enabled: false },
        cameras: [
          { id: 'plaza', name: 'Plaza', main: { kind: 'file', path: VTEST_H264, loop: true } },
          {
            id: 'yard',
            name: 'Yard',
            main: { kind: 'testPattern', width: 160, height: 120, fps: 5 },
            analysis: { enabled: false },
          },
        ],
      },
      page: false,
    });
    beforeAll(() => {
      backend = e2e.backend;
    });

    it('the guard sees only the assigned camera and is refused the archive and export', async () => {
      const page = await pageAs(GUARD);
      await page.goto(`${backend!.url}/#/live`);
      await expect
        .poll(() => page.getByLabel('Signed in').textContent(), { timeout: 30_000 })
        .toContain('gwen');
      await page.locator('video[data-camera="plaza"]').waitFor({ timeout: 30_000 });
      expect(await page.locator('video[data-camera="yard"]').count()).toBe(0);
      expect(await page.locator('body').innerText()).not.toContain('Yard');
      const cameras = await fromPage(page, 'GET', '/api/cameras');
      expect((JSON.parse(cameras.body) as Array<{ id: string }>).map((c) => c.id)).toEqual(['plaza']);
      // Another camera does not exist for them.
      expect((await fromPage(page, 'GET', '/api/cameras/yard')).status).toBe(404);
      // The archive past the look-back, and any export, are refused.
      const search = await fromPage(page, 'GET', `/api/events?from=${Date.now() - 3_600_000}`);
      expect(search.status).toBe(403);
      const exported = await fromPage(page, 'POST', '/api/export', {
        cameraIds: ['plaza'],
        from: Date.now() - 20_000,
        to: Date.now(),
        format: 'folder',
        reason: 'curious',
        caseNumber: 'none',
      });
      expect(exported.status).toBe(403);
      // The navigation offers neither People nor Backup.
      const nav = page.getByRole('navigation', { name: 'Views' });
      expect(await nav.getByRole('button', { name: 'People', exact: true }).count()).toBe(0);
      expect(await nav.getByRole('button', { name: 'Backup', exact: true }).count()).toBe(0);
      // Nor playback of recordings, which is an investigator's.
      expect(await page.getByRole('button', { name: /Go back .* on the wall/ }).count()).toBe(0);
      await e2e.shot('roles-guard', page);
      await page.context().close();
    }, 120_000);

    it('the investigator exports with a case number and a reason, and the signed manifest names them', async () => {
      const cookie = `vigil_session=${encodeURIComponent(await openBrowserSession(backend!, INVESTIGATOR))}`;
      const call = (method: string, p: string, body?: unknown) =>
        fetch(`${backend!.url}${p}`, {
          method,
          headers: { cookie, ...(body ? { 'content-type': 'application/json' } : {}) },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
      // Wait for a few seconds of recorded footage.
      const deadline = Date.now() + 60_000;
      let recorded = 0;
      while (Date.now() < deadline) {
        const list = (await (await call('GET', '/api/recordings/plaza')).json()) as { segments: unknown[] };
        recorded = list.segments.length;
        if (recorded >= 3) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      expect(recorded).toBeGreaterThanOrEqual(3);
      const to = Date.now() - 2_000;
      const refused = await call('POST', '/api/export', {
        cameraIds: ['plaza'],
        from: to - 4_000,
        to,
        format: 'folder',
      });
      expect(refused.status).toBe(400);
      const res = await call('POST', '/api/export', {
        cameraIds: ['plaza'],
        from: to - 4_000,
        to,
        format: 'folder',
        reason: 'bag left at the plaza',
        caseNumber: 'C-2026-114',
      });
      expect(res.status).toBe(200);
      const { location } = (await res.json()) as { location: string };
      const manifest = JSON.parse(fs.readFileSync(path.join(location, 'manifest.json'), 'utf8')) as {
        exportedBy: string;
        caseNumber: string;
        reason: string;
      };
      expect(manifest).toMatchObject({
        exportedBy: 'ivan',
        caseNumber: 'C-2026-114',
        reason: 'bag left at the plaza',
      });
    }, 120_000);

    it('the administrator’s Audit view shows those actions in order', async () => {
      const token = { authorization: `Bearer ${backend!.token}` };
      const page = (await (
        await fetch(`${backend!.url}/api/audit?limit=200`, { headers: token })
      ).json()) as AuditPage;
      // Oldest first: the guard signed in and was refused nothing silently; the investigator signed in, then exported.
      const story = page.entries
        .slice()
        .reverse()
        .filter((e) => ['gwen', 'ivan'].includes(e.actor) && ['sign-in', 'export'].includes(e.action))
        .map((e) => `${e.actor} ${e.action}`);
      expect(story).toEqual(['gwen sign-in', 'ivan sign-in', 'ivan export']);

      const admin = await pageAs(ADMIN);
      await admin.goto(`${backend!.url}/#/audit`);
      const rows = admin.locator('table[aria-label="Audit entries"] tbody tr');
      await rows.first().waitFor({ timeout: 30_000 });
      const shown = await rows.evaluateAll((trs) =>
        trs.map((tr) => `${tr.getAttribute('data-action')} ${tr.textContent ?? ''}`),
      );
      const exportRow = shown.findIndex((r) => r.startsWith('export') && r.includes('ivan'));
      const guardSignIn = shown.findIndex((r) => r.startsWith('sign-in') && r.includes('gwen'));
      expect(exportRow).toBeGreaterThanOrEqual(0);
      // Newest first: the export is above the guard's sign-in.
      expect(guardSignIn).toBeGreaterThan(exportRow);
      await e2e.shot('roles-audit', admin);
      await admin.context().close();
    }, 120_000);
  },
);
