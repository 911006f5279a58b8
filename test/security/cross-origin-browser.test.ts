import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logInBrowser } from '../fixtures/backend.js';
import type { RunningApp } from '../../backend/src/roles/local.js';
import { CHROMIUM_INSTALL_HINT, chromiumAvailable, launchChromium } from '../fixtures/browser.js';
import { skipWithout } from '../fixtures/require.js';
import { alertState, raiseAlert, startSecuredApp } from './harness.js';

const skip = skipWithout('headless Chromium', chromiumAvailable(), CHROMIUM_INSTALL_HINT);

/**
 * A page of another origin: another port of 127.0.0.1. Browsers ignore ports when they decide what is the "same
 * site" for SameSite cookies (https://web.dev/articles/same-site-same-origin: "the port is not part of the site"),
 * so the guard's Strict session cookie goes along with this page's requests to Vigil.
 */
function attackerPage(target: string, alertId: string): string {
  const ws = target.replace(/^http/, 'ws');
  return `<!doctype html><title>cats</title><script>
window.result = (async () => {
  const out = {};
  try {
    await fetch('${target}/api/alerts/${alertId}/resolve', { mode: 'no-cors', credentials: 'include', method: 'POST' });
    out.fetch = 'sent';
  } catch (e) { out.fetch = 'failed: ' + e.message; }
  out.socket = await new Promise((resolve) => {
    const s = new WebSocket('${ws}/api/ws');
    const messages = [];
    s.onmessage = (m) => messages.push(String(m.data).slice(0, 200));
    s.onopen = () => setTimeout(() => { s.close(); resolve({ opened: true, messages }); }, 1500);
    s.onerror = () => resolve({ opened: false, messages });
  });
  return out;
})();
</script>`;
}

describe.skipIf(skip)('a page of another origin in the guard’s browser (real Chromium)', () => {
  let app: RunningApp;
  let dispose: () => Promise<void>;
  let browser: Browser;
  let context: BrowserContext;
  let attacker: http.Server;
  let attackerUrl: string;
  let alertId: string;

  beforeAll(async () => {
    ({ app, dispose } = await startSecuredApp());
    alertId = (await raiseAlert(app, 'browser-cross-origin')).id;
    attacker = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(attackerPage(app.url, alertId));
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`;
    browser = await launchChromium();
    context = await browser.newContext();
    // The guard signs in: the browser now holds a valid session cookie.
    await logInBrowser(context, { url: app.url, token: app.auth.token });
    const cookies = await context.cookies(app.url);
    expect(cookies.map((c) => [c.name, c.sameSite, c.httpOnly])).toEqual([['vigil_session', 'Strict', true]]);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await new Promise((resolve) => attacker?.close(resolve));
    await dispose?.();
  });

  it('can neither resolve an alert with a no-cors POST nor open /api/ws', async () => {
    const page = await context.newPage();
    await page.goto(attackerUrl);
    const result = (await page.evaluate('window.result')) as {
      fetch: string;
      socket: { opened: boolean; messages: string[] };
    };
    // The POST did leave the browser (an opaque answer), but changed nothing.
    expect(result.fetch).toBe('sent');
    expect(result.socket).toEqual({ opened: false, messages: [] });
    expect(await alertState(app, alertId)).toBe('new');
    await page.close();
  });

  it('the same requests from the UI’s own origin work (the session is valid, the test can tell)', async () => {
    const page = await context.newPage();
    await page.goto(app.url, { waitUntil: 'domcontentloaded' });
    const own = (await page.evaluate(
      `(async () => {
        const r = await fetch('/api/alerts/${alertId}/resolve', { method: 'POST', credentials: 'same-origin' });
        const opened = await new Promise((resolve) => {
          const s = new WebSocket(location.origin.replace(/^http/, 'ws') + '/api/ws');
          s.onopen = () => { s.close(); resolve(true); };
          s.onerror = () => resolve(false);
        });
        return { status: r.status, opened };
      })()`,
    )) as { status: number; opened: boolean };
    expect(own).toEqual({ status: 200, opened: true });
    expect(await alertState(app, alertId)).toBe('resolved');
    await page.close();
  });
});
