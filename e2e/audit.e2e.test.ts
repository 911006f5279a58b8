import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { AuditPage } from '../backend/src/contract/audit.js';
import { logInBrowser, spawnBackend, type BackendProcess } from '../test/fixtures/backend.js';
import { CHROMIUM_INSTALL_HINT, chromiumAvailable, launchChromium } from '../test/fixtures/browser.js';
import { buildRendererIfStale } from '../test/fixtures/renderer-build.js';
import { skipWithout } from '../test/fixtures/require.js';
import { VTEST_H264, videoFramesAvailable } from '../test/fixtures/video-frames.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHOTS = path.join(ROOT, 'e2e/screenshots');

const skip =
  skipWithout('headless Chromium', chromiumAvailable(), CHROMIUM_INSTALL_HINT) ||
  skipWithout('ffmpeg and the demo footage', videoFramesAvailable(VTEST_H264), 'sudo apt-get install ffmpeg');

let backend: BackendProcess | undefined;
let browser: Browser | undefined;
let context: BrowserContext | undefined;
let page: Page;

async function call(method: string, p: string): Promise<Response> {
  if (!backend) throw new Error('backend not started');
  return fetch(`${backend.url}${p}`, { method, headers: { authorization: `Bearer ${backend.token}` } });
}

/** Opens the camera's live view for a moment, as a wall tile does, and closes it. */
async function watchLive(camera: string): Promise<void> {
  const b = backend as BackendProcess;
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

describe.skipIf(skip)('Audit view in headless Chromium', () => {
  beforeAll(async () => {
    buildRendererIfStale();
    backend = await spawnBackend(
      { cameras: [{ id: 'plaza', name: 'Plaza', main: { kind: 'file', path: VTEST_H264, loop: true } }] },
      { timeoutMs: 60_000 },
    );
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    await logInBrowser(context, backend);
    page = await context.newPage();
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await backend?.stop();
  });

  it('shows the actions just taken, newest first, with the chain intact; filters and exports CSV', async () => {
    // A search, a playback of recorded footage, a live view opened and closed.
    expect((await call('GET', '/api/events?q=bicycle')).status).toBe(200);
    const now = Date.now();
    await call('GET', `/api/clips/plaza.mp4?from=${now - 60_000}&to=${now - 30_000}`);
    await watchLive('plaza');
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

    await page.goto(`${backend?.url}/#/audit`);
    const rows = page.locator('table[aria-label="Audit entries"] tbody tr');
    await rows.first().waitFor();
    await page.getByTestId('audit-chain').filter({ hasText: 'Chain intact' }).waitFor();
    const actions = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-action')));
    expect(actions.slice(0, 4)).toEqual(['live-stop', 'live-start', 'playback', 'search']);
    expect(await rows.nth(2).innerText()).toContain('plaza');
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'audit-view.png') });

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
