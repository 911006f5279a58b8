import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { childPids, expectNoLeaks, snapshotResources } from '../test/helpers/leaks.js';
import { forkNodeBackend, type BackendChild, type BackendLaunchOptions } from './backend-child.js';
import {
  BackendSupervisor,
  STOP_DEADLINE_MS,
  backoffDelay,
  type SupervisorOptions,
  type SupervisorState,
} from './backend-supervisor.js';

const FIXTURE = path.join(import.meta.dirname, 'test-fixtures', 'fake-backend.mjs');
const cleanup: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** Whether a process is still running (a zombie waiting to be reaped counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** A supervisor over the fixture script, with fast timings. Returns the pids of every launched child. */
/** Waits up to 3 s for a process to end. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 60 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

function supervise(fixtureEnv: Record<string, string>, options: Partial<SupervisorOptions> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-supervisor-'));
  const pids: number[] = [];
  const launchTimes: number[] = [];
  const states: SupervisorState[] = [];
  const stateTimes: number[] = [];
  const supervisor = new BackendSupervisor({
    launch: (o: BackendLaunchOptions): BackendChild => {
      const child = forkNodeBackend(o);
      if (child.pid) pids.push(child.pid);
      launchTimes.push(Date.now());
      return child;
    },
    launchOptions: {
      modulePath: FIXTURE,
      args: [],
      cwd: dir,
      execArgv: [],
      env: { PATH: process.env.PATH ?? '', VIGIL_TEST_COUNTER: path.join(dir, 'count'), ...fixtureEnv },
    },
    backoffBaseMs: 100,
    backoffMaxMs: 2000,
    healthIntervalMs: 200,
    healthTimeoutMs: 300,
    readyTimeoutMs: 10_000,
    ...options,
  });
  supervisor.onState((s) => {
    states.push(s);
    stateTimes.push(Date.now());
  });
  cleanup.push(async () => {
    await supervisor.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { supervisor, pids, launchTimes, states, stateTimes, dir };
}

function until(
  supervisor: BackendSupervisor,
  kind: SupervisorState['kind'],
  ms = 20_000,
): Promise<SupervisorState> {
  return new Promise((resolve, reject) => {
    if (supervisor.state.kind === kind) return resolve(supervisor.state);
    const timer = setTimeout(() => reject(new Error(`no "${kind}" state within ${ms} ms`)), ms);
    const off = supervisor.onState((s) => {
      if (s.kind === kind) {
        clearTimeout(timer);
        off();
        resolve(s);
      }
    });
  });
}

describe('backend supervisor (real child processes)', () => {
  it('starts the backend with a fresh token, reports its URL, and a clean stop needs no kill', async () => {
    const before = snapshotResources();
    const { supervisor, pids } = supervise({ VIGIL_TEST_MODES: 'healthy', VIGIL_TEST_GRANDCHILD: '1' });
    supervisor.start();
    const { url, token } = await supervisor.waitUntilRunning();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const pid = pids[0]!;
    const grandchildren = childPids(pid);
    expect(grandchildren.length).toBe(1);

    const t0 = Date.now();
    await supervisor.stop();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(supervisor.state.kind).toBe('stopped');
    expect(await gone(pid)).toBe(true);
    for (const g of grandchildren) expect(await gone(g)).toBe(true);
    // Asked over the message port, not by a signal (which Windows does not have).
    expect(supervisor.logLines().join('\n')).toContain('stopping on the stop message');
    // No health-check timer, socket or child outlives the stop.
    await expectNoLeaks(before);
  });

  it('uses a different token for every launch', async () => {
    const { supervisor } = supervise({ VIGIL_TEST_MODES: 'crashlate,healthy' });
    supervisor.start();
    const first = await supervisor.waitUntilRunning();
    await until(supervisor, 'backoff');
    const second = await supervisor.waitUntilRunning();
    expect(second.token).not.toBe(first.token);
    expect(second.url).not.toBe(first.url);
  });

  it('restarts a crashed backend with growing delays and stops after 5 crashes, keeping the last log lines', async () => {
    const { supervisor, launchTimes, states, stateTimes } = supervise({ VIGIL_TEST_MODES: 'crash' });
    supervisor.start();
    const failed = await until(supervisor, 'failed');
    expect(launchTimes.length).toBe(5);
    // Each restart waits its backoff delay (100, 200, 400, 800 ms) after the crash.
    const backoffs = states.flatMap((s, i) =>
      s.kind === 'backoff' ? [{ delayMs: s.delayMs, at: stateTimes[i]! }] : [],
    );
    expect(backoffs.map((b) => b.delayMs)).toEqual([100, 200, 400, 800]);
    backoffs.forEach((b, i) => {
      const waited = launchTimes[i + 1]! - b.at;
      expect(waited).toBeGreaterThanOrEqual(b.delayMs - 5);
      expect(waited).toBeLessThan(b.delayMs + 1000);
    });
    if (failed.kind !== 'failed') throw new Error('unreachable');
    expect(failed.reason).toContain('5 times within 60 s');
    expect(failed.logLines.join('\n')).toContain('fatal: the event database is corrupt');
    // No more launches once failed.
    await new Promise((r) => setTimeout(r, 1000));
    expect(launchTimes.length).toBe(5);
  });

  it('the restart button starts a failed backend again with a clean crash history', async () => {
    const { supervisor, launchTimes } = supervise({
      VIGIL_TEST_MODES: 'crash,crash,crash,crash,crash,healthy',
    });
    supervisor.start();
    await until(supervisor, 'failed');
    supervisor.start();
    await supervisor.waitUntilRunning();
    expect(launchTimes.length).toBe(6);
  });

  it('does not restart after a configuration error (exit 78) and shows why', async () => {
    const { supervisor, launchTimes } = supervise({ VIGIL_TEST_MODES: 'config' });
    supervisor.start();
    const failed = await until(supervisor, 'failed');
    expect(launchTimes.length).toBe(1);
    if (failed.kind !== 'failed') throw new Error('unreachable');
    expect(failed.reason).toContain('exited with code 78');
    expect(failed.logLines.join('\n')).toContain('cameras[0].main.url');
  });

  it('kills a hung backend (no /healthz answers) and starts a new one', async () => {
    const { supervisor, pids } = supervise({ VIGIL_TEST_MODES: 'hang,healthy' });
    supervisor.start();
    await supervisor.waitUntilRunning();
    const hung = pids[0]!;
    await until(supervisor, 'backoff', 10_000);
    expect(await gone(hung)).toBe(true);
    expect(supervisor.logLines().join('\n')).toContain('stopped answering /healthz');
    await supervisor.waitUntilRunning();
    expect(pids.length).toBe(2);
  });

  it('kills the backend and its ffmpeg when the stop request is ignored past the deadline', async () => {
    const { supervisor, pids } = supervise(
      { VIGIL_TEST_MODES: 'stubborn', VIGIL_TEST_GRANDCHILD: 'ffmpeg' },
      { stopDeadlineMs: 1500 },
    );
    supervisor.start();
    await supervisor.waitUntilRunning();
    const pid = pids[0]!;
    const grandchildren = childPids(pid);
    expect(grandchildren.length).toBe(1);
    expect(fs.readFileSync(`/proc/${grandchildren[0]}/cmdline`, 'utf8')).toContain('ffmpeg');
    const t0 = Date.now();
    await supervisor.stop();
    const ms = Date.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(1400);
    expect(ms).toBeLessThan(5000);
    expect(supervisor.logLines().join('\n')).toContain('ignoring the stop message');
    expect(await gone(pid)).toBe(true);
    for (const g of grandchildren) expect(await gone(g)).toBe(true);
  });

  it('kills a backend that never reports ready and tries again', async () => {
    const { supervisor, pids } = supervise({ VIGIL_TEST_MODES: 'silent,healthy' }, { readyTimeoutMs: 1000 });
    supervisor.start();
    await until(supervisor, 'backoff', 10_000);
    expect(await gone(pids[0]!)).toBe(true);
    expect(supervisor.logLines().join('\n')).toContain('did not report ready within 1000 ms');
    await supervisor.waitUntilRunning();
    expect(pids.length).toBe(2);
  });
});

describe('backoff', () => {
  it('doubles from the base and stops at the cap; the stop deadline is 5 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, 1000, 30_000))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000,
    ]);
    expect(STOP_DEADLINE_MS).toBe(5000);
  });
});
