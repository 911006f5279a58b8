/**
 * The set-up every browser test shares: a backend of its own (a fresh data folder, the cameras the test names), the
 * renderer built when stale, headless Chromium, a context signed in as a test account, one page, a screenshot of
 * that page when a test fails, and everything stopped and removed afterwards. Built on `test/fixtures/backend.ts`
 * and `test/fixtures/browser.ts`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { VigilConfigInput } from '../backend/src/contract/config.js';
import {
  logInBrowser,
  spawnBackend,
  type BackendProcess,
  type TestAccount,
} from '../test/fixtures/backend.js';
import { CHROMIUM_INSTALL_HINT, chromiumAvailable, launchChromium } from '../test/fixtures/browser.js';
import { buildRendererIfStale } from '../test/fixtures/renderer-build.js';
import { skipWithout } from '../test/fixtures/require.js';
import { VTEST_H264, videoFramesAvailable } from '../test/fixtures/video-frames.js';

/** Where the views' screenshots go (and those of failed tests, named `failed-…`). */
export const SHOTS = path.join(import.meta.dirname, 'screenshots');

/** True when the browser tests must be skipped here (no Chromium); in CI a missing browser fails instead. */
export function skipWithoutChromium(): boolean {
  return skipWithout('headless Chromium', chromiumAvailable(), CHROMIUM_INSTALL_HINT);
}

/** As skipWithoutChromium, and also without ffmpeg or the demo footage the cameras play. */
export function skipWithoutChromiumOrFootage(): boolean {
  return (
    skipWithoutChromium() ||
    skipWithout(
      'ffmpeg and the demo footage',
      videoFramesAvailable(VTEST_H264),
      'sudo apt-get install ffmpeg',
    )
  );
}

export type Viewport = { width: number; height: number };

export interface E2eOptions {
  /** The backend's configuration (cameras, detect…); `server.port` is chosen by the fixture. */
  config?: VigilConfigInput;
  /** How the backend is started: extra environment, arguments, its data folder, how long it may take. */
  backend?: { env?: NodeJS.ProcessEnv; args?: string[]; home?: string; timeoutMs?: number };
  /** The page's size; 1400×900 unless given. */
  viewport?: Viewport;
  /** Who the context signs in as (an administrator unless given); `false`: a context without a session. */
  account?: TestAccount | false;
  /** Whether one context and page are opened for the tests; `false` when each test opens its own. */
  page?: boolean;
  /** Whether the data folder is removed afterwards (default: yes, unless the test gave its own `backend.home`). */
  removeHome?: boolean;
  /** Called with the page once it is open, before any test (to listen to its console, say). */
  onPage?: (page: Page) => void;
}

/** What a test file works with once the harness has started it. */
export interface E2eSession {
  readonly backend: BackendProcess;
  readonly browser: Browser;
  /** The signed-in context and its page (unless `page: false`). */
  readonly context: BrowserContext;
  readonly page: Page;
  /** The backend's address of a path (`/#/rules`). */
  url(p: string): string;
  /** A request with the backend's token (an administrator's right). */
  call(method: string, p: string, body?: unknown): Promise<Response>;
  /** A request with the backend's token, its JSON answer. */
  json<T>(method: string, p: string, body?: unknown): Promise<T>;
  /** A new context signed in as `account` (an administrator unless given), with one page; closed afterwards. */
  signedIn(account?: TestAccount, viewport?: Viewport): Promise<{ context: BrowserContext; page: Page }>;
  /** A new context without a session (a browser that has not signed in), with one page; closed afterwards. */
  signedOut(viewport?: Viewport): Promise<{ context: BrowserContext; page: Page }>;
  /** Saves a screenshot of the page (or of a part of it) as `e2e/screenshots/<name>.png`. */
  shot(name: string, target?: Page | Locator, options?: { fullPage?: boolean }): Promise<void>;
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 80);

/**
 * Starts a backend and a signed-in browser for the tests of the enclosing `describe` (before all of them), takes a
 * screenshot of the page when a test fails, and stops and removes everything after them. `options` may be a
 * function, run in the `beforeAll`, for a configuration that needs something prepared first.
 */
export function useE2e(options: E2eOptions | (() => E2eOptions | Promise<E2eOptions>) = {}): E2eSession {
  let backend: BackendProcess | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let page: Page | undefined;
  let removeHome = true;
  const extra: BrowserContext[] = [];
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`the e2e harness has no ${what} (not started, or page: false)`);
    return v;
  };

  beforeAll(async () => {
    const o = typeof options === 'function' ? await options() : options;
    removeHome = o.removeHome ?? !o.backend?.home;
    buildRendererIfStale();
    backend = await spawnBackend(o.config ?? {}, { timeoutMs: 60_000, ...o.backend });
    browser = await launchChromium();
    if (o.page !== false) {
      context = await browser.newContext({ viewport: o.viewport ?? { width: 1400, height: 900 } });
      if (o.account !== false) await logInBrowser(context, backend, o.account || {});
      page = await context.newPage();
      o.onPage?.(page);
    }
  }, 180_000);

  // The page as it was when a test failed: often the quickest way to see why.
  beforeEach(({ task, onTestFailed }) => {
    onTestFailed(async () => {
      if (!page || page.isClosed()) return;
      fs.mkdirSync(SHOTS, { recursive: true });
      await page
        .screenshot({ path: path.join(SHOTS, `failed-${slug(task.name)}.png`) })
        .catch(() => undefined);
    });
  });

  afterAll(async () => {
    for (const c of extra) await c.close().catch(() => undefined);
    await context?.close().catch(() => undefined);
    await browser?.close();
    await backend?.stop();
    if (backend && removeHome) fs.rmSync(backend.home, { recursive: true, force: true });
  });

  const session: E2eSession = {
    get backend() {
      return need(backend, 'backend');
    },
    get browser() {
      return need(browser, 'browser');
    },
    get context() {
      return need(context, 'context');
    },
    get page() {
      return need(page, 'page');
    },
    url: (p) => `${need(backend, 'backend').url}${p}`,
    call(method, p, body) {
      const b = need(backend, 'backend');
      return fetch(`${b.url}${p}`, {
        method,
        headers: {
          authorization: `Bearer ${b.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    },
    async json<T>(method: string, p: string, body?: unknown): Promise<T> {
      return (await (await session.call(method, p, body)).json()) as T;
    },
    async signedIn(account = {}, viewport = { width: 1400, height: 900 }) {
      const opened = await session.signedOut(viewport);
      await logInBrowser(opened.context, need(backend, 'backend'), account);
      return opened;
    },
    async signedOut(viewport = { width: 1400, height: 900 }) {
      const c = await need(browser, 'browser').newContext({ viewport });
      extra.push(c);
      return { context: c, page: await c.newPage() };
    },
    async shot(name, target, shotOptions) {
      fs.mkdirSync(SHOTS, { recursive: true });
      await (target ?? need(page, 'page')).screenshot({
        path: path.join(SHOTS, `${name}.png`),
        ...(shotOptions?.fullPage ? { fullPage: true } : {}),
      });
    },
  };
  return session;
}
