import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempHome } from '../test/fixtures/backend.js';
import { realSegments, vtestPath } from '../test/fixtures/footage.js';
import { verifyEvidence } from '../backend/src/export/verify.js';
import { skipWithoutChromium, useE2e } from './harness.js';

describe.skipIf(skipWithoutChromium())('Backup page in headless Chromium against the real backend', () => {
  let home: string;
  const e2e = useE2e(() => {
    home = tempHome('vigil-backup-e2e-');
    // Footage already recorded in the data folder: three real segments.
    fs.mkdirSync(path.join(home, 'data/recordings/plaza'), { recursive: true });
    for (const [i, seg] of realSegments().slice(0, 3).entries())
      fs.copyFileSync(seg, path.join(home, `data/recordings/plaza/${i}.mp4`));
    return {
      config: {
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
      backend: { home },
      removeHome: true,
    };
  });

  it('tests the target, runs the job to completion, and verifies the backup from the wizard', async () => {
    const { page, backend } = e2e;
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
    await e2e.shot('backup', page, { fullPage: true });
  });

  it('exports signed evidence from the Export dialog and offers the zip for download', async () => {
    const { page, backend } = e2e;
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
    await e2e.shot('export-dialog');
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
