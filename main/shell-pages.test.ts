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
