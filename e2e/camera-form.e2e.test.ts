// The camera form in Chromium: the browser itself checks the Id (its `pattern` is compiled with the `v` flag, where
// a bare "-" in a class is a syntax error: https://html.spec.whatwg.org/multipage/input.html#attr-input-pattern), and
// an error the backend answers on save stands next to the field it is about, in words, not as a key path.
import type { Locator } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { vtestPath } from '../test/fixtures/footage.js';
import { skipWithoutChromium, useE2e } from './harness.js';

/** The text of the element an input names as its description (aria-describedby), or null. */
async function description(input: Locator): Promise<string | null> {
  return input.evaluate((el) => {
    const id = el.getAttribute('aria-describedby');
    return id ? (document.getElementById(id)?.textContent ?? null) : null;
  });
}

describe.skipIf(skipWithoutChromium())('camera form in headless Chromium', () => {
  const consoleErrors: string[] = [];
  const e2e = useE2e({
    config: {
      cameras: [{ id: 'plaza', name: 'Plaza', main: { kind: 'file', path: vtestPath(), loop: true } }],
    },
    viewport: { width: 1280, height: 900 },
    onPage: (page) =>
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text());
      }),
  });

  it('the browser refuses an Id with capitals or spaces (its pattern compiles) and takes a good one', async () => {
    const { page, backend } = e2e;
    await page.goto(`${backend.url}/#/cameras`);
    await page.getByRole('button', { name: 'Add camera' }).click();
    const form = page.getByRole('region', { name: 'Camera settings' });
    const id = form.getByLabel('Id', { exact: true });
    await id.fill('Front Door');
    expect(await id.evaluate((el: HTMLInputElement) => el.validity.patternMismatch)).toBe(true);
    await id.fill('front-door_2');
    expect(await id.evaluate((el: HTMLInputElement) => el.validity.patternMismatch)).toBe(false);
    expect(consoleErrors.filter((e) => /pattern/i.test(e))).toEqual([]);
  });

  it('a URL the backend refuses is named next to the URL field in words, with no key path on the page', async () => {
    const { page, backend } = e2e;
    await page.goto(`${backend.url}/#/cameras`);
    await page.getByRole('button', { name: 'Add camera' }).click();
    const form = page.getByRole('region', { name: 'Camera settings' });
    await form.getByLabel('Id', { exact: true }).fill('gate');
    await form.getByLabel('Name', { exact: true }).fill('Gate');
    const url = form.getByLabel('URL', { exact: true });
    await url.fill('http://camera.example/stream');
    await form.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => url.getAttribute('aria-invalid'), { timeout: 10_000 }).toBe('true');
    expect(await description(url)).toMatch(/^Expected an rtsp:\/\/ or rtsps:\/\/ URL/);
    // Shown right under the field, and nowhere as the internal path.
    const err = page.locator('.field-error', { hasText: 'rtsp://' });
    const [u, e] = [(await url.boundingBox())!, (await err.boundingBox())!];
    expect(e.y - (u.y + u.height)).toBeLessThan(30);
    expect(Math.abs(e.x - u.x)).toBeLessThan(20);
    expect(await page.locator('body').innerText()).not.toMatch(/main\.(url|path)/);
    await e2e.shot('camera-form-error');
    // Correcting the field clears its error.
    await url.fill('rtsp://127.0.0.1:8554/gate');
    expect(await url.getAttribute('aria-invalid')).not.toBe('true');
  });

  it('an Id that already exists is named next to the Id field', async () => {
    const { page, backend } = e2e;
    await page.goto(`${backend.url}/#/cameras`);
    await page.getByRole('button', { name: 'Add camera' }).click();
    const form = page.getByRole('region', { name: 'Camera settings' });
    const id = form.getByLabel('Id', { exact: true });
    await id.fill('plaza');
    await form.getByLabel('Name', { exact: true }).fill('Plaza again');
    await form.getByLabel('URL', { exact: true }).fill('rtsp://127.0.0.1:8554/x');
    await form.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => id.getAttribute('aria-invalid'), { timeout: 10_000 }).toBe('true');
    expect(await description(id)).toContain('A camera with id "plaza" already exists');
  });
  it('a camera of the configuration file is marked as such and its settings cannot be changed here', async () => {
    const { page, backend } = e2e;
    await page.goto(`${backend.url}/#/cameras`);
    const row = page.getByRole('row').filter({ has: page.getByRole('cell', { name: 'Plaza', exact: true }) });
    await row.waitFor({ timeout: 15_000 });
    await expect.poll(() => row.locator('.badge', { hasText: 'config file' }).count()).toBe(1);
    expect(await row.getByRole('button', { name: 'Remove' }).count()).toBe(0);
    await row.getByRole('button', { name: 'View' }).click();
    const form = page.getByRole('region', { name: 'Camera settings' });
    await expect
      .poll(() => form.getByRole('note').innerText())
      .toMatch(/Set in the configuration file: change it there/);
    expect(await form.getByLabel('Name', { exact: true }).isDisabled()).toBe(true);
    expect(await form.getByLabel('Path', { exact: true }).isDisabled()).toBe(true);
    expect(await form.getByRole('button', { name: 'Save' }).count()).toBe(0);
    await form.getByRole('button', { name: 'Cancel' }).click();
  });
});
