import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logInBrowser, spawnBackend, tempHome, type BackendProcess } from '../test/fixtures/backend.js';
import { CHROMIUM_INSTALL_HINT, chromiumAvailable, launchChromium } from '../test/fixtures/browser.js';
import { realSegments, vtestPath } from '../test/fixtures/footage.js';
import { skipWithout } from '../test/fixtures/require.js';
import { verifyEvidence } from '../backend/src/export/verify.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHOTS = path.join(ROOT, 'e2e/screenshots');
const skip = skipWithout('Chromium', chromiumAvailable(), CHROMIUM_INSTALL_HINT);

describe.skipIf(skip)('Backup page in headless Chromium against the real backend', () => {
  let backend: BackendProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let home: string;

  beforeAll(async () => {
    if (!fs.existsSync(path.join(ROOT, 'dist/renderer/index.html'))) {
      const r = spawnSync(
        process.execPath,
        [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'],
        {
          cwd: ROOT,
          stdio: 'inherit',
        },
      );
      if (r.status !== 0) throw new Error('renderer build failed');
    }
    home = tempHome('vigil-backup-e2e-');
    // Footage already recorded in the data folder: three real segments.
    fs.mkdirSync(path.join(home, 'data/recordings/plaza'), { recursive: true });
    for (const [i, seg] of realSegments().slice(0, 3).entries())
      fs.copyFileSync(seg, path.join(home, `data/recordings/plaza/${i}.mp4`));
    backend = await spawnBackend(
      {
        video: { segmentSeconds: 2 },
        cameras: [{ id: 'plaza', name: 'Plaza', main: { kind: 'file', path: vtestPath(), loop: true } }],
        dataDir: path.join(home, 'data'),
        backup: {
          targets: [{ id: 'nas', name: 'NAS share', kind: 'folder', path: path.join(home, 'nas') }],
          jobs: [
            { id: 'nightly', name: 'Nightly', targetId: 'nas', schedule: { kind: 'daily', at: '02:30' } },
          ],
        },
      },
      { home, timeoutMs: 60_000 },
    );
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    await logInBrowser(context, backend);
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await backend?.stop();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('tests the target, runs the job to completion, and verifies the backup from the wizard', async () => {
    await page.goto(backend.url);
    await page.getByRole('button', { name: 'Backup', exact: true }).click();
    const targets = page.getByRole('region', { name: 'Backup targets' });
    // The configured target's row (the form below has a Test connection button of its own).
    const nas = targets.getByRole('row', { name: /NAS share/ });
    await nas.getByRole('button', { name: 'Test connection' }).click();
    await expect
      .poll(() => nas.getByRole('status').textContent(), { timeout: 10_000 })
      .toMatch(/✓ .*can be written/);

    await page.getByRole('button', { name: 'Run now' }).click();
    const history = page.getByRole('region', { name: 'Backup history' });
    await expect.poll(() => history.textContent(), { timeout: 20_000 }).toMatch(/succeeded/);

    const wizard = page.getByRole('region', { name: 'Restore and verify' });
    await wizard.getByRole('combobox').first().selectOption('nas');
    const backupPicker = wizard.getByRole('combobox').nth(1);
    await expect.poll(() => backupPicker.locator('option').count(), { timeout: 10_000 }).toBe(2);
    await backupPicker.selectOption({ index: 1 });
    await wizard.getByRole('button', { name: '3. Verify only' }).click();
    // The three segments plus the databases of the event store and the recording index.
    await expect
      .poll(() => wizard.getByRole('status').textContent(), { timeout: 20_000 })
      .toMatch(/All ([5-9]|\d\d+) files match the manifest/);
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'backup.png'), fullPage: true });
  });

  it('exports signed evidence from the Export dialog and offers the zip for download', async () => {
    const section = page.getByRole('region', { name: 'Evidence export' });
    await expect.poll(() => section.textContent(), { timeout: 10_000 }).toMatch(/[0-9a-f]{64}/);
    await section.getByRole('button', { name: 'Export evidence…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Export evidence' });
    // Case number and reason are required: Export stays disabled until both are given.
    const exportButton = dialog.getByRole('button', { name: 'Export', exact: true });
    expect(await exportButton.isDisabled()).toBe(true);
    await dialog.getByLabel('Case number (required)').fill('2026-7');
    expect(await exportButton.isDisabled()).toBe(true);
    await dialog.getByLabel(/^Reason \(required/).fill('footage requested by the police');
    await exportButton.click();
    await expect
      .poll(() => dialog.getByRole('status').textContent(), { timeout: 30_000 })
      .toMatch(/Exported \d+ files/);
    const href = await dialog.getByRole('link', { name: 'Download the export' }).getAttribute('href');
    expect(href).toMatch(/^\/api\/export\/.+\/download$/);
    await page.screenshot({ path: path.join(SHOTS, 'export-dialog.png') });
    const zip = await page.request.get(`${backend.url}${href}`);
    expect(zip.headers()['content-type']).toBe('application/zip');
    const file = path.join(home, 'evidence.zip');
    fs.writeFileSync(file, await zip.body());
    expect((await verifyEvidence(file)).intact).toBe(true);
    const manifest = JSON.parse(
      spawnSync('unzip', ['-p', file, 'manifest.json'], { encoding: 'utf8' }).stdout,
    ) as { caseNumber: string; reason: string; exportedBy: string };
    expect(manifest).toMatchObject({ caseNumber: '2026-7', reason: 'footage requested by the police' });
    expect(manifest.exportedBy.length).toBeGreaterThan(0);
  });
});
