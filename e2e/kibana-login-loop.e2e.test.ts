import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kibanaEmbedAdvice, LoginLoopDetector } from '../renderer/src/kibana/kibana-embed.js';
import { CHROMIUM_INSTALL_HINT, chromiumAvailable, launchChromium } from '../test/fixtures/browser.js';
import { skipWithout } from '../test/fixtures/require.js';

// A stand-in for Kibana's login with security on, in real Chromium: /app/* without a session redirects to /login,
// whose page logs in at once (as a user would) and is sent back to `next`; the session cookie is SameSite=Lax, what
// browsers make of Kibana's cookie by default (xpack.security.sameSiteCookies unset: no SameSite attribute,
// https://www.elastic.co/guide/en/kibana/8.15/security-settings-kb.html). What Chromium does with that cookie in a frame is the real thing under test.
const skipBrowser = skipWithout('headless Chromium', chromiumAvailable(), CHROMIUM_INSTALL_HINT);

describe.skipIf(skipBrowser)(
  'Kibana login loop in an embedded frame (headless Chromium, stand-in Kibana)',
  () => {
    let browser: Browser;
    let kibana: http.Server;
    let host: http.Server;
    let kibanaPort = 0;
    let hostPort = 0;
    const listen = (s: http.Server) =>
      new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));

    beforeAll(async () => {
      kibana = http.createServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://x');
        const loggedIn = /(?:^|;\s*)sid=ok/.test(req.headers.cookie ?? '');
        if (url.pathname === '/app/dashboards') {
          if (loggedIn) return res.writeHead(200, { 'content-type': 'text/html' }).end('<p>dashboard</p>');
          return res.writeHead(302, { location: `/login?next=${encodeURIComponent(req.url ?? '/')}` }).end();
        }
        if (url.pathname === '/login')
          return res
            .writeHead(200, { 'content-type': 'text/html' })
            .end(
              `<form method="post" action="/internal/security/login?next=${encodeURIComponent(url.searchParams.get('next') ?? '/')}"></form><script>setTimeout(() => document.forms[0].submit(), 50)</script>`,
            );
        if (url.pathname === '/internal/security/login')
          return res
            .writeHead(302, {
              'set-cookie': 'sid=ok; Path=/; HttpOnly; SameSite=Lax',
              location: url.searchParams.get('next') ?? '/',
            })
            .end();
        res.writeHead(404).end();
      });
      host = http.createServer((req, res) => {
        const src = new URL(req.url ?? '/', 'http://x').searchParams.get('src') ?? '';
        res
          .writeHead(200, { 'content-type': 'text/html' })
          .end(
            `<script>window.loads = []</script><iframe src="${src}" onload="window.loads.push(Date.now())"></iframe>`,
          );
      });
      kibanaPort = await listen(kibana);
      hostPort = await listen(host);
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      kibana.closeAllConnections();
      host.closeAllConnections();
      await Promise.all([new Promise((r) => kibana.close(r)), new Promise((r) => host.close(r))]);
    });

    async function frameLoads(pageUrl: string, kibanaUrl: string, ms: number): Promise<number[]> {
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await page.goto(`${pageUrl}/?src=${encodeURIComponent(`${kibanaUrl}/app/dashboards#/view/d`)}`);
        // Watch for up to `ms`, or until the frame has loaded six times (a loop on a slow machine takes longer).
        const read = () => page.evaluate(() => (window as unknown as { loads: number[] }).loads);
        const t0 = Date.now();
        while (Date.now() - t0 < ms && (await read()).length < 6) await page.waitForTimeout(200);
        return await read();
      } finally {
        await context.close();
      }
    }

    it('loops on another site and is recognised; settles on the same site', async () => {
      const crossPage = `http://localhost:${hostPort}`;
      const kibanaUrl = `http://127.0.0.1:${kibanaPort}`;
      const cross = await frameLoads(crossPage, kibanaUrl, 20_000);
      const d = new LoginLoopDetector();
      expect(cross.some((t) => d.load(t))).toBe(true);
      expect(kibanaEmbedAdvice(crossPage, kibanaUrl)).toMatch(/another site/);

      const samePage = `http://127.0.0.1:${hostPort}`;
      const same = await frameLoads(samePage, kibanaUrl, 3_000);
      expect(same.length).toBeLessThanOrEqual(2);
      const d2 = new LoginLoopDetector();
      expect(same.some((t) => d2.load(t))).toBe(false);
      expect(kibanaEmbedAdvice(samePage, kibanaUrl)).toBeUndefined();
    });
  },
);
