import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureAccount, type BackendProcess } from '../test/fixtures/backend.js';
import { vtestPath } from '../test/fixtures/footage.js';
import { skipWithoutChromium, useE2e } from './harness.js';

const skip = skipWithoutChromium();

/** Sign-in answers take a password check (scrypt), slow on a busy machine: polls wait up to 20 s. */
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 20_000 });

const ADMIN = { user: 'chief', password: 'chief-password-42' };
const GUARD = { user: 'night-guard', password: 'guard-password-42' };

describe.skipIf(skip)('People: sign-in, first administrator and roles in headless Chromium', () => {
  let backend: BackendProcess;
  // Two cameras the backend lists but does not connect to: enough to grant one and not the other.
  const camera = (id: string, name: string) => ({
    id,
    name,
    enabled: false,
    main: { kind: 'file' as const, path: vtestPath(), loop: true },
  });
  // A new installation: nobody signed in, no account yet.
  const e2e = useE2e({
    config: { cameras: [camera('lobby', 'Lobby'), camera('dock', 'Loading dock')] },
    page: false,
  });
  beforeAll(() => {
    backend = e2e.backend;
  });

  async function freshPage(): Promise<Page> {
    return (await e2e.signedOut()).page;
  }

  async function signInThroughForm(page: Page, user: string, password: string): Promise<void> {
    await page.getByLabel('User name').fill(user);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByLabel('Password', { exact: true }).press('Enter');
  }

  it('a new installation explains how to create the first administrator, and its login link asks for one', async () => {
    const page = await freshPage();
    await page.goto(backend.url);
    await poll(() => page.getByRole('heading', { name: 'Sign in to Vigil' }).isVisible()).toBe(true);
    const note = page.getByRole('note', { name: 'First administrator' });
    await poll(() => note.textContent()).toContain('npx vigil user add <name> --role admin');
    expect(await note.textContent()).toContain('login link');
    // The user name field has the focus: a person can type straight away.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('username');
    await e2e.shot('signin-first-admin', page);

    // The login link the backend printed opens a setup session: the first-administrator form.
    const link = /https?:\/\/\S+\/login\?code=\S+/.exec(backend.output())?.[0];
    expect(link, backend.output()).toBeTruthy();
    await page.goto(link!);
    await poll(() => page.getByRole('heading', { name: 'Create the first administrator' }).isVisible()).toBe(
      true,
    );
    await page.getByLabel('User name').fill(ADMIN.user);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await page.getByLabel('Password again').fill('something-else-42');
    await page.getByRole('button', { name: 'Create administrator and sign in' }).click();
    await poll(() => page.getByRole('alert').first().textContent()).toContain('The two passwords differ');
    await e2e.shot('first-admin-form', page);
    await page.getByLabel('Password again').fill(ADMIN.password);
    await page.getByLabel('Password again').press('Enter');
    // Straight into the app, as the new administrator.
    await poll(() => page.getByLabel('Signed in').textContent()).toContain('chief · Administrator');
    await page.context().close();
  });

  it('an administrator signs in through the form, adds a guard with one camera and signs out', async () => {
    // The administrator exists (created above through the setup form; ensureAccount keeps an existing one).
    await ensureAccount(backend, { ...ADMIN, role: 'admin' });
    const page = await freshPage();
    await page.goto(backend.url);
    await poll(() => page.getByRole('heading', { name: 'Sign in to Vigil' }).isVisible()).toBe(true);
    // Now that accounts exist, the first-administrator explanation is gone.
    expect(await page.getByRole('note', { name: 'First administrator' }).count()).toBe(0);
    await signInThroughForm(page, ADMIN.user, ADMIN.password);

    const nav = page.getByRole('navigation', { name: 'Views' });
    await nav.getByRole('button', { name: 'People', exact: true }).click();
    const people = page.getByRole('region', { name: 'People' });
    await poll(() => people.getByRole('row', { name: ADMIN.user }).isVisible()).toBe(true);

    await page.getByRole('button', { name: 'Add a person' }).click();
    const form = page.getByRole('region', { name: 'Add a person' });
    await form.getByLabel('User name').fill(GUARD.user);
    await form.getByLabel('Role').selectOption('guard');
    await form.getByLabel('Password', { exact: true }).fill(GUARD.password);
    await form.getByLabel('Team').fill('north');
    await poll(() => form.getByRole('checkbox', { name: 'Lobby', exact: true }).isVisible()).toBe(true);
    await form.getByRole('checkbox', { name: 'Lobby', exact: true }).check();
    // A guard may only watch live: recordings and export are not offered.
    expect(await form.getByRole('checkbox', { name: 'Lobby: live' }).isChecked()).toBe(true);
    expect(await form.getByRole('checkbox', { name: 'Lobby: recordings' }).count()).toBe(0);
    await e2e.shot('people-add-guard', page, { fullPage: true });
    await form.getByRole('button', { name: 'Add person' }).click();

    await poll(() => people.getByRole('status').textContent()).toBe(`${GUARD.user} is added as Guard.`);
    const row = people.getByRole('row', { name: GUARD.user });
    expect(await row.textContent()).toContain('Lobby (live)');
    expect(await row.textContent()).toContain('Never signed in');

    // Disabling and enabling show in the person's state.
    await row.getByRole('button', { name: 'Disable' }).click();
    await poll(() => row.textContent()).toContain('Disabled');
    await row.getByRole('button', { name: 'Enable' }).click();
    await poll(() => row.textContent()).toContain('Never signed in');

    // The last administrator cannot be removed: the backend's refusal is shown in words.
    const me = people.getByRole('row', { name: ADMIN.user });
    await me.getByRole('button', { name: 'Remove' }).click();
    await me.getByRole('button', { name: 'Yes, remove' }).click();
    await poll(() => people.getByRole('alert').textContent()).toMatch(/administrator/i);
    await e2e.shot('people', page, { fullPage: true });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await poll(() => page.getByRole('heading', { name: 'Sign in to Vigil' }).isVisible()).toBe(true);
    await page.context().close();
  });

  it('a guard signs in (after a wrong password) and sees only what a guard may', async () => {
    const page = await freshPage();
    await page.goto(backend.url);
    await signInThroughForm(page, GUARD.user, 'not-the-password');
    const password = page.getByLabel('Password', { exact: true });
    await poll(() => page.getByRole('alert').textContent()).toContain('Wrong user name or password.');
    // The error sits with the password field, which is cleared and focused for a new try.
    expect(await password.getAttribute('aria-invalid')).toBe('true');
    expect(await password.inputValue()).toBe('');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('password');
    await e2e.shot('signin-wrong-password', page);

    await password.fill(GUARD.password);
    await password.press('Enter');
    await poll(() => page.getByLabel('Signed in').textContent()).toContain('night-guard · Guard');
    const nav = page.getByRole('navigation', { name: 'Views' });
    const labels = (await nav.getByRole('button').allTextContents()).filter(
      (t) => !['Change password', 'Sign out'].includes(t),
    );
    expect(labels).toEqual(['Live', 'Recent', 'Dashboards', 'Handover']);
    // The alerts panel stays: a guard handles alerts.
    await e2e.shot('guard-view', page);

    // "Recent" shows the events of the guard's look-back window (15 minutes by default).
    await nav.getByRole('button', { name: 'Recent', exact: true }).click();
    await poll(() => page.getByRole('note', { name: 'Look-back' }).textContent()).toContain(
      'the last 15 minutes',
    );
    await e2e.shot('guard-recent', page);

    // A link to a view beyond the role says so calmly instead of showing a blank page.
    await page.goto(`${backend.url}/#/people`);
    await poll(() => page.getByRole('note').first().textContent()).toContain(
      'Your role (Guard) does not include People',
    );
    await e2e.shot('guard-not-allowed', page);
    await page.context().close();
  });

  it('a locked account is told how long to wait', async () => {
    // Lock after 3 failures for 60 s (an administrator's setting, set with the backend's token).
    const res = await fetch(`${backend.url}/api/people/settings`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${backend.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        guardLookbackMinutes: 15,
        desktopAutoSignIn: false,
        lockoutAfter: 3,
        lockoutSeconds: 60,
      }),
    });
    expect(res.status).toBe(200);
    await ensureAccount(backend, { user: 'day-guard', role: 'guard', cameras: ['lobby'] });
    const page = await freshPage();
    await page.goto(backend.url);
    for (let i = 0; i < 3; i++) {
      await signInThroughForm(page, 'day-guard', `wrong-${i}`);
      await poll(() => page.getByRole('alert').count()).toBe(1);
    }
    await poll(() => page.getByRole('alert').textContent()).toMatch(
      /Too many failed sign-ins: try again in (59|60) s/,
    );
    // Even the right password waits until the lock ends.
    await signInThroughForm(page, 'day-guard', 'correct horse battery staple');
    await poll(() => page.getByRole('button', { name: 'Sign in' }).isEnabled()).toBe(true);
    await poll(() => page.getByRole('alert').textContent()).toMatch(/try again in \d+ s/);
    expect(await page.getByLabel('Signed in').count()).toBe(0);
    await e2e.shot('signin-locked', page);
    await page.context().close();
  });

  it('an administrator creates an API token, sees its secret once, and revokes it', async () => {
    const page = await freshPage();
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: backend.url });
    await page.goto(`${backend.url}/#/people`);
    await signInThroughForm(page, ADMIN.user, ADMIN.password);
    const tokens = page.getByRole('region', { name: 'API tokens' });
    await tokens.getByLabel('Token name').fill('vms-bridge');
    await tokens.getByRole('checkbox', { name: 'live.view' }).check();
    await tokens.getByLabel('Expires after (days)').fill('30');
    await tokens.getByRole('button', { name: 'Create token' }).click();

    const box = tokens.getByRole('alert', { name: 'New token secret' });
    await poll(() => box.textContent()).toContain('shown only this once');
    const secret = (await box.locator('code').textContent()) ?? '';
    expect(secret.length).toBeGreaterThan(20);
    // The secret works: the token may see the live cameras.
    const asToken = () =>
      fetch(`${backend.url}/api/cameras`, { headers: { authorization: `Bearer ${secret}` } }).then(
        (r) => r.status,
      );
    expect(await asToken()).toBe(200);
    await box.getByRole('button', { name: 'Copy' }).click();
    await poll(() => box.getByRole('button', { name: 'Copied' }).count()).toBe(1);
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await e2e.shot('people-token-secret', page);
    await box.getByRole('button', { name: 'I have stored it' }).click();
    expect(await tokens.getByRole('alert', { name: 'New token secret' }).count()).toBe(0);

    const row = tokens.getByRole('row', { name: 'Token vms-bridge' });
    expect(await row.textContent()).toContain('live.view');
    await row.getByRole('button', { name: 'Revoke' }).click();
    await poll(() => tokens.getByRole('status').textContent()).toContain('vms-bridge is revoked');
    await poll(() => row.textContent()).toContain('revoked');
    expect(await asToken()).toBe(401);
    await page.context().close();
  });

  it('a guard changes their own password, which needs the current one', async () => {
    const page = await freshPage();
    await page.goto(backend.url);
    await signInThroughForm(page, GUARD.user, GUARD.password);
    await page.getByRole('button', { name: 'Change password' }).click();
    const dialog = page.getByRole('dialog', { name: 'Change your password' });
    await dialog.getByLabel('Current password').fill('not-my-password');
    await dialog.getByLabel('New password', { exact: true }).fill('guard-password-43');
    await dialog.getByLabel('New password again').fill('guard-password-43');
    await dialog.getByLabel('New password again').press('Enter');
    await poll(() => dialog.getByRole('alert').textContent()).toBe('The current password is wrong.');
    expect(await dialog.getByLabel('Current password').getAttribute('aria-invalid')).toBe('true');
    await e2e.shot('change-password', page);
    await dialog.getByLabel('Current password').fill(GUARD.password);
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await poll(() => dialog.getByRole('status').textContent()).toContain('Your password is changed');
    await dialog.getByRole('button', { name: 'Close' }).click();

    // Signed out, the new password opens the app and the old one no longer does.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInThroughForm(page, GUARD.user, GUARD.password);
    await poll(() => page.getByRole('alert').textContent()).toContain('Wrong user name or password.');
    await page.getByLabel('Password', { exact: true }).fill('guard-password-43');
    await page.getByLabel('Password', { exact: true }).press('Enter');
    await poll(() => page.getByLabel('Signed in').textContent()).toContain('night-guard · Guard');
    await page.context().close();
  });
});
