// The Backup page shows and changes how many backups a job keeps, a second backup of the day does not remove the
// first from the restore list, and verifies appear in the history next to the runs.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BackupJobView } from '../backend/src/contract/backup.js';
import { tempHome } from '../test/fixtures/backend.js';
import { realSegments } from '../test/fixtures/footage.js';
import { skipWithoutChromium, useE2e } from './harness.js';

describe.skipIf(skipWithoutChromium())('backup retention on the Backup page in headless Chromium', () => {
  let home: string;
  let added = 0;
  /** New footage in the data folder, so that the next run has something to back up. */
  const newFootage = () => {
    const seg = realSegments()[added % 3]!;
    fs.copyFileSync(seg, path.join(home, `data/recordings/plaza/n${added++}.mp4`));
  };
  const e2e = useE2e(() => {
    home = tempHome('vigil-backup-retention-e2e-');
    fs.mkdirSync(path.join(home, 'data/recordings/plaza'), { recursive: true });
    newFootage();
    return {
      config: {
        dataDir: path.join(home, 'data'),
        backup: { targets: [{ id: 'nas', name: 'NAS share', kind: 'folder', path: path.join(home, 'nas') }] },
      },
      backend: { home },
      removeHome: true,
      viewport: { width: 1400, height: 1000 },
    };
  });

  it('a job keeps its last N backups as set and shown on the page; runs, removals and verifies are in the history', async () => {
    const { page, backend } = e2e;
    await page.goto(`${backend.url}/#/backup`);
    const jobs = page.getByRole('region', { name: 'Backup jobs' });
    const form = jobs.getByLabel('Add a job');
    await form.getByLabel('Id').fill('hourly');
    await form.getByLabel('Schedule').selectOption('manual');
    await form.getByLabel('Keep last').fill('2');
    await form.getByLabel('Keep daily').fill('1');
    await form.getByLabel('Keep weekly').fill('0');
    await form.getByRole('button', { name: 'Add job' }).click();
    const job = jobs.getByLabel('Job hourly');
    await expect
      .poll(() => job.textContent(), { timeout: 10_000 })
      .toContain('keeps its last 2 backups, and the newest of each of the last 1 day');

    const history = page.getByRole('region', { name: 'Backup history' });
    for (let run = 1; run <= 3; run++) {
      if (run > 1) newFootage();
      await job.getByRole('button', { name: 'Run now' }).click();
      await expect
        .poll(async () => await history.getByRole('row', { name: /Backup\s*hourly\s*succeeded/ }).count(), {
          timeout: 30_000,
        })
        .toBe(run);
    }
    // The second run of the day kept the first; the third removed the oldest, and says so.
    await expect.poll(() => history.textContent()).toMatch(/retention removed 1 older backup: \d{8}T/);
    const wizard = page.getByRole('region', { name: 'Restore and verify' });
    await wizard.getByRole('combobox').first().selectOption('nas');
    const picker = wizard.getByRole('combobox').nth(1);
    await expect.poll(() => picker.locator('option').count(), { timeout: 10_000 }).toBe(3); // a prompt + 2 backups
    await picker.selectOption({ index: 1 });
    await wizard.getByRole('button', { name: '3. Verify only' }).click();
    await expect
      .poll(() => history.getByRole('row', { name: /Verify/ }).textContent(), { timeout: 20_000 })
      .toMatch(/succeeded.*files? checked, all intact/);

    // Change the retention of the job from the page.
    await job.getByRole('button', { name: 'Change retention of hourly' }).click();
    const editor = jobs.getByLabel('Retention of hourly');
    await editor.getByLabel('Keep last').fill('5');
    await editor.getByRole('button', { name: 'Save retention' }).click();
    await expect.poll(() => job.textContent(), { timeout: 10_000 }).toContain('keeps its last 5 backups');
    const views = (await (
      await page.request.get(`${backend.url}/api/backup/jobs`)
    ).json()) as BackupJobView[];
    expect(views.find((j) => j.id === 'hourly')).toMatchObject({ keepLast: 5, keepDaily: 1, keepWeekly: 0 });
    await e2e.shot('backup-retention', page, { fullPage: true });
  });
});
