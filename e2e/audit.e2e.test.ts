import type { AuditPage } from '../backend/src/contract/audit.js';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { BackendProcess } from '../test/fixtures/backend.js';
import { VTEST_H264 } from '../test/fixtures/video-frames.js';
import { skipWithoutChromiumOrFootage, useE2e } from './harness.js';

/** Opens the camera's live view for a moment, as a wall tile does, and closes it. */
async function watchLive(b: BackendProcess, camera: string): Promise<void> {
  const ws = new WebSocket(`${b.url.replace(/^http/, 'ws')}/api/live/${camera}`, {
    headers: { authorization: `Bearer ${b.token}` },
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  await new Promise((r) => setTimeout(r, 300));
  await new Promise<void>((resolve) => {
    ws.once('close', () => resolve());
    ws.close();
  });
}

describe.skipIf(skipWithoutChromiumOrFootage())('Audit view in headless Chromium', () => {
  const e2e = useE2e({
    config: {
      cameras: [{ id: 'plaza', name: 'Plaza', main: { kind: 'file', path: VTEST_H264, loop: true } }],
    },
  });

  it('shows the actions just taken, newest first, with the chain intact; filters and exports CSV', async () => {
    const { page, backend } = e2e;
    const call = e2e.call;
    // A search, a playback of recorded footage, a live view opened and closed.
    expect((await call('GET', '/api/events?q=bicycle')).status).toBe(200);
    const now = Date.now();
    await call('GET', `/api/clips/plaza.mp4?from=${now - 60_000}&to=${now - 30_000}`);
    await watchLive(backend, 'plaza');
    // The live view's closing is recorded once the backend has seen the socket close.
    const deadline = Date.now() + 10_000;
    let api: AuditPage;
    do {
      api = (await (await call('GET', '/api/audit')).json()) as AuditPage;
      if (api.entries[0]?.action === 'live-stop') break;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < deadline);
    expect(api.entries.slice(0, 4).map((e) => e.action)).toEqual([
      'live-stop',
      'live-start',
      'playback',
      'search',
    ]);

    await page.goto(`${backend.url}/#/audit`);
    const rows = page.locator('table[aria-label="Audit entries"] tbody tr');
    await rows.first().waitFor();
    await page.getByTestId('audit-chain').filter({ hasText: 'Chain intact' }).waitFor();
    const actions = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-action')));
    expect(actions.slice(0, 4)).toEqual(['live-stop', 'live-start', 'playback', 'search']);
    expect(await rows.nth(2).innerText()).toContain('plaza');
    await e2e.shot('audit-view');

    // Only playbacks of plaza.
    const filters = page.getByRole('form', { name: 'Audit filters' });
    await filters.getByLabel('Action').selectOption('playback');
    await filters.getByLabel('Camera', { exact: true }).fill('plaza');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForFunction(
      () => document.querySelectorAll('table[aria-label="Audit entries"] tbody tr').length === 1,
    );
    expect(await rows.first().getAttribute('data-action')).toBe('playback');

    // The CSV link carries the same filters; what it downloads has the header and the playback.
    const href = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
    expect(href).toBe('/api/audit/export.csv?action=playback&camera=plaza');
    const csv = await page.evaluate(
      async (u) => (await fetch(u, { credentials: 'same-origin' })).text(),
      href as string,
    );
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe('seq,time,actor,action,camera,target,detail,hash');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(',playback,plaza,');
  });
});
