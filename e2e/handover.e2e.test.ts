import net from 'node:net';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureAccount, tempHome, type TestAccount } from '../test/fixtures/backend.js';
import { skipWithoutChromium, useE2e } from './harness.js';

const skip = skipWithoutChromium();

/** A TCP port nothing listens on: a camera there is down from the start (connection refused). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const GUARD_A: TestAccount = { user: 'guard-a', role: 'guard', cameras: ['gate'] };
const GUARD_B: TestAccount = { user: 'guard-b', role: 'guard', cameras: ['gate'] };
const SUPERVISOR: TestAccount = { user: 'sup-night', role: 'supervisor', cameras: ['gate'] };

describe.skipIf(skip)('Shift handover in headless Chromium: two guards and their supervisor', () => {
  const e2e = useE2e(async () => {
    const home = tempHome('vigil-handover-e2e-');
    return {
      config: {
        cameras: [
          {
            id: 'gate',
            name: 'Gate',
            main: { kind: 'rtsp', url: `rtsp://127.0.0.1:${await closedPort()}/live` },
          },
        ],
        dataDir: path.join(home, 'data'),
      },
      backend: { home },
      removeHome: true,
      page: false,
    };
  });

  /** A browser of its own for one person, signed in as them. */
  async function pageOf(account: TestAccount): Promise<Page> {
    const { page } = await e2e.signedIn(account);
    await page.goto(e2e.backend.url);
    return page;
  }

  beforeAll(async () => {
    const { backend } = e2e;
    // The three people of the night team, with the names the handover shows.
    for (const [account, displayName] of [
      [GUARD_A, 'Ada Night'],
      [GUARD_B, 'Ben Night'],
      [SUPERVISOR, 'Sam Supervisor'],
    ] as const) {
      await ensureAccount(backend, account);
      const res = await fetch(`${backend.url}/api/users/${account.user}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${backend.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ team: 'night', displayName }),
      });
      expect(res.status).toBe(200);
    }
  });

  it('guard A ends the shift with the prepared summary and notes', async () => {
    const page = await pageOf(GUARD_A);
    await page.getByRole('button', { name: 'Handover', exact: true }).click();
    const end = page.getByRole('region', { name: 'End shift' });
    // The gate camera has been refusing connections since the backend started: it is in the summary.
    await page.waitForTimeout(3000);
    await end.getByRole('button', { name: 'End shift…' }).click();
    await expect.poll(() => end.textContent(), { timeout: 10_000 }).toMatch(/Cameras down \(1\)/);
    expect(await end.textContent()).toMatch(/Gate down .* still down/);
    expect(await end.textContent()).toMatch(/connection refused|Connection refused/i);
    await end
      .getByRole('textbox', { name: 'Notes for the next guard' })
      .fill('Gate camera is offline: technician booked for 9:00. Side door latch sticks.');
    await e2e.shot('handover-end-shift', page);
    await end.getByRole('button', { name: 'Hand over and end shift' }).click();
    await expect
      .poll(() => end.getByRole('status').textContent(), { timeout: 10_000 })
      .toMatch(/Shift handed over at/);
    // Their own handover is in their list, waiting for someone else.
    const list = page.getByRole('region', { name: 'Handovers', exact: true });
    await expect.poll(() => list.textContent(), { timeout: 10_000 }).toMatch(/Ada Night.*Not acknowledged/);
  }, 60_000);

  it('guard B is told a handover waits, reads it and acknowledges it', async () => {
    const page = await pageOf(GUARD_B);
    const banner = page.getByRole('status').filter({ hasText: 'Handover from' });
    await expect
      .poll(() => banner.textContent(), { timeout: 10_000 })
      .toMatch(/Handover from Ada Night waiting/);
    await e2e.shot('handover-banner', page);
    await banner.getByRole('button', { name: 'Read and acknowledge' }).click();
    const waiting = page.getByRole('article', { name: 'Handover from Ada Night' });
    await expect.poll(() => waiting.textContent(), { timeout: 10_000 }).toMatch(/technician booked for 9:00/);
    expect(await waiting.textContent()).toMatch(/Gate down/);
    await waiting
      .getByRole('textbox', { name: 'Acknowledgement note' })
      .fill('Read; will meet the technician');
    await e2e.shot('handover-acknowledge', page);
    await waiting.getByRole('button', { name: 'Acknowledge' }).click();
    await expect.poll(() => waiting.count(), { timeout: 10_000 }).toBe(0);
    const list = page.getByRole('region', { name: 'Handovers', exact: true });
    await expect.poll(() => list.textContent(), { timeout: 10_000 }).toMatch(/Acknowledged by Ben Night/);
    // The notice is gone from the other views too.
    await page.getByRole('button', { name: 'Live', exact: true }).click();
    await page.waitForTimeout(1000);
    expect(await page.getByText('Handover from Ada Night waiting').count()).toBe(0);
    // Guard B ends a shift of their own, not yet acknowledged by anyone.
    await page.getByRole('button', { name: 'Handover', exact: true }).click();
    const end = page.getByRole('region', { name: 'End shift' });
    await end.getByRole('button', { name: 'End shift…' }).click();
    await end.getByRole('textbox', { name: 'Notes for the next guard' }).fill('Quiet. Gate still offline.');
    await end.getByRole('button', { name: 'Hand over and end shift' }).click();
    await expect
      .poll(() => end.getByRole('status').textContent(), { timeout: 10_000 })
      .toMatch(/Shift handed over at/);
  }, 60_000);

  it('the supervisor sees the team’s handovers, the unacknowledged one first, and who acknowledged the other', async () => {
    const page = await pageOf(SUPERVISOR);
    await page.getByRole('button', { name: 'Handover', exact: true }).click();
    const list = page.getByRole('region', { name: 'Handovers', exact: true });
    const rows = list.getByRole('row');
    // A header row and one row per handover.
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(3);
    expect(await rows.nth(1).textContent()).toMatch(/Ben Night.*Not acknowledged/);
    expect(await rows.nth(2).textContent()).toMatch(
      /Ada Night.*Acknowledged by Ben Night.*Read; will meet the technician/,
    );
    await rows.nth(2).getByRole('button', { name: 'Details' }).click();
    await expect.poll(() => list.textContent(), { timeout: 5000 }).toMatch(/Side door latch sticks/);
    await e2e.shot('handover-supervisor', page);
    // Both shifts and the acknowledgement are in the audit log.
    const { backend } = e2e;
    const audit = await fetch(`${backend.url}/api/audit?limit=50`, {
      headers: { authorization: `Bearer ${backend.token}` },
    });
    const { entries } = (await audit.json()) as {
      entries: Array<{ actor: string; action: string; detail?: { kind?: string } }>;
    };
    const handovers = entries.filter((e) => e.action === 'handover').map((e) => [e.actor, e.detail?.kind]);
    expect(handovers).toEqual(
      expect.arrayContaining([
        ['guard-a', 'end-shift'],
        ['guard-b', 'acknowledge'],
        ['guard-b', 'end-shift'],
      ]),
    );
  }, 60_000);
});
