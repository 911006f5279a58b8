import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../backend/src/contract/api.js';
import { openBrowserSession, spawnBackend, type BackendProcess } from '../test/fixtures/backend.js';
import { CHROMIUM_INSTALL_HINT, chromiumAvailable, launchChromium } from '../test/fixtures/browser.js';
import { skipWithout } from '../test/fixtures/require.js';
import { buildCsp } from './window-security.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const noChromium = skipWithout('headless Chromium', chromiumAvailable(), CHROMIUM_INSTALL_HINT);

/**
 * The desktop window's CSP, applied here by Playwright the way Electron's session applies it (a response header on
 * everything from the backend origin), with the session cookie set the way the main process sets it.
 */
describe.skipIf(noChromium)(
  'the desktop CSP with the real renderer and backend (Chromium stands in for Electron)',
  () => {
    let browser: Browser;
    let backend: BackendProcess;
    beforeAll(async () => {
      if (!fs.existsSync(path.join(ROOT, 'dist/renderer/index.html'))) {
        spawnSync(
          process.execPath,
          [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'],
          {
            cwd: ROOT,
          },
        );
      }
      [backend, browser] = await Promise.all([spawnBackend({ cameras: [] }), launchChromium()]);
    });
    afterAll(async () => {
      await browser?.close();
      await backend?.stop();
      if (backend) fs.rmSync(backend.home, { recursive: true, force: true });
    });

    it('the app renders and authenticates with no CSP violation; foreign connections and inline scripts are blocked', async () => {
      const context = await browser.newContext();
      const origin = new URL(backend.url).origin;
      await context.addCookies([
        {
          name: SESSION_COOKIE,
          value: await openBrowserSession(backend),
          url: origin,
          httpOnly: true,
          sameSite: 'Strict',
        },
      ]);
      const csp = buildCsp(origin, 'https://kibana.example.org');
      await context.route(`${origin}/**`, async (route) => {
        const response = await route.fetch();
        await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': csp } });
      });
      await context.addInitScript(() => {
        const seen: string[] = [];
        (window as unknown as { violations: string[] }).violations = seen;
        document.addEventListener('securitypolicyviolation', (e) =>
          seen.push(`${e.effectiveDirective} ${e.blockedURI}`),
        );
      });
      const page = await context.newPage();
      // The app's own request for the session succeeds through the cookie (the page never sees the token).
      const session = page.waitForResponse((r) => r.url() === `${origin}/api/session`);
      await page.goto(`${origin}/`);
      expect((await session).status()).toBe(200);
      await expect
        .poll(() => page.locator('#root').innerText(), { timeout: 15_000 })
        .not.toMatch(/Connecting|^$/);
      expect(await page.getByText('not logged in').count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { violations: string[] }).violations)).toEqual(
        [],
      );

      const foreign = await page.evaluate(() =>
        fetch('https://example.org/exfiltrate').then(
          () => 'sent',
          () => 'blocked',
        ),
      );
      expect(foreign).toBe('blocked');
      await page.evaluate(() => {
        const s = document.createElement('script');
        s.textContent = 'window.injected = true';
        document.body.append(s);
      });
      expect(
        await page.evaluate(() => (window as unknown as { injected?: boolean }).injected),
      ).toBeUndefined();
      const violations = await page.evaluate(
        () => (window as unknown as { violations: string[] }).violations,
      );
      expect(violations).toContain('connect-src https://example.org/exfiltrate');
      expect(violations).toContain('script-src-elem inline');
      await context.close();
    });
  },
);
