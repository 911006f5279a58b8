import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_INSTALL_HINT, chromiumAvailable, launchChromium } from '../test/fixtures/browser.js';
import { skipWithout } from '../test/fixtures/require.js';
import { errorPage, startingPage } from './shell-pages.js';

const noChromium = skipWithout('headless Chromium', chromiumAvailable(), CHROMIUM_INSTALL_HINT);

describe.skipIf(noChromium)('shell pages in real Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('the error view shows the reason and escaped log lines; its button (allowed by the CSP hash) calls restartBackend', async () => {
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    // Stands in for the preload's window.vigil.
    await page.addInitScript(() => {
      (window as unknown as { restarts: number }).restarts = 0;
      (window as unknown as { vigil: object }).vigil = {
        restartBackend: async () => {
          (window as unknown as { restarts: number }).restarts++;
        },
      };
    });
    const { url } = errorPage('the backend exited with code 1; it stopped 5 times within 60 s', [
      'fatal: <script>alert("x")</script> database is corrupt',
    ]);
    await page.goto(url);
    await expect(page.locator('h1').textContent()).resolves.toBe('The Vigil backend stopped');
    await expect(page.locator('pre').textContent()).resolves.toContain('<script>alert("x")</script>');
    expect(await page.locator('pre script').count()).toBe(0);
    await page.click('#restart');
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { restarts: number }).restarts))
      .toBe(1);
    await expect(page.locator('#restart').textContent()).resolves.toBe('Restarting…');
    expect(violations).toEqual([]);
    await page.close();
  });

  it('in remote mode the error view sets the server and token, or goes back to local mode, through window.vigil', async () => {
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    // Stands in for the preload's window.vigil; rejects an http URL the way the main process does (Electron
    // prefixes a handler's error with "Error invoking remote method '<channel>': ").
    await page.addInitScript(() => {
      const w = window as unknown as { calls: unknown[]; vigil: object };
      w.calls = [];
      w.vigil = {
        restartBackend: async () => {},
        setConnection: async (update: { remoteUrl?: string }) => {
          w.calls.push(update);
          if (update.remoteUrl?.startsWith('http:'))
            throw new Error(
              "Error invoking remote method 'vigil:set-connection': ConnectionSettingsError: remoteUrl: use https://",
            );
          return {};
        },
      };
    });
    const { url } = errorPage('https://vigil.example.org is not reachable; retrying in 4 s', [], {
      mode: 'remote',
      remoteUrl: 'https://vigil.example.org',
    });
    await page.goto(url);
    await expect(page.locator('h1').textContent()).resolves.toBe('The Vigil server cannot be used');
    expect(await page.locator('pre').count()).toBe(0);
    await expect(page.inputValue('#remote-url')).resolves.toBe('https://vigil.example.org');
    await page.fill('#remote-url', 'http://vigil.example.org');
    await page.fill('#remote-token', 'tok-123');
    await page.click('button[type=submit]');
    await expect.poll(() => page.locator('#status').textContent()).toBe('remoteUrl: use https://');
    await page.fill('#remote-url', 'https://site-b.example.org');
    await page.fill('#remote-token', '');
    await page.click('button[type=submit]');
    await page.click('#use-local');
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { calls: unknown[] }).calls))
      .toEqual([
        { mode: 'remote', remoteUrl: 'http://vigil.example.org', remoteToken: 'tok-123' },
        { mode: 'remote', remoteUrl: 'https://site-b.example.org' },
        { mode: 'local' },
      ]);
    expect(violations).toEqual([]);
    await page.close();
  });

  it('the pages run no other script and load nothing (the CSP blocks both)', async () => {
    const page = await browser.newPage();
    await page.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { violations: string[] }).violations = seen;
      document.addEventListener('securitypolicyviolation', (e) =>
        seen.push(`${e.effectiveDirective} ${e.blockedURI}`),
      );
    });
    const html = startingPage('Connecting.').html.replace(
      '</body>',
      '<img src="https://example.org/x.png"><script>window.ran = true</script></body>',
    );
    await page.goto(`data:text/html;base64,${Buffer.from(html).toString('base64')}`);
    expect(await page.evaluate(() => (window as unknown as { ran?: boolean }).ran)).toBeUndefined();
    await expect
      .poll(() => page.evaluate(() => [...(window as unknown as { violations: string[] }).violations].sort()))
      .toEqual(['img-src https://example.org/x.png', 'script-src-elem inline']);
    await page.close();
  });
});
