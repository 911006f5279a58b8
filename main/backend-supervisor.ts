import crypto from 'node:crypto';
import { ApiRoutes } from '../backend/src/contract/api.js';
import { killPids, STOP_MESSAGE, type BackendChild, type BackendLaunchOptions } from './backend-child.js';
import { createMainLogger } from './log.js';
import type { BackendKeyAnswer } from './secret-store.js';

/** Graceful stop deadline: after the stop request the backend has this long before it (and its ffmpeg) are killed. */
export const STOP_DEADLINE_MS = 5000;
/** Crash-loop rule: this many crashes inside the window stop the restarts. */
export const CRASH_LOOP_LIMIT = 5;
export const CRASH_LOOP_WINDOW_MS = 60_000;
/** Exit codes that a restart cannot fix (bad configuration, ffmpeg missing): no restart, straight to the error. */
export const FATAL_EXIT_CODES: ReadonlySet<number> = new Set([69, 78]);

/** Where the supervisor is. */
export type SupervisorState =
  | { kind: 'idle' }
  | { kind: 'starting'; attempt: number }
  | { kind: 'running'; url: string; pid: number | undefined }
  | { kind: 'backoff'; delayMs: number; reason: string }
  | { kind: 'failed'; reason: string; logLines: string[] }
  | { kind: 'stopping' }
  | { kind: 'stopped' };

export interface SupervisorOptions {
  /** Starts one backend process (utilityProcess or plain child). */
  launch: (options: BackendLaunchOptions) => BackendChild;
  /** Everything but the token (added per launch). */
  launchOptions: Omit<BackendLaunchOptions, 'env'> & { env: Record<string, string> };
  /** How long the backend may take to report ready. */
  readyTimeoutMs?: number;
  /** First restart delay; doubles per consecutive crash up to backoffMaxMs. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  healthIntervalMs?: number;
  healthTimeoutMs?: number;
  /** Consecutive failed health checks that count as a hang. */
  healthFailures?: number;
  stopDeadlineMs?: number;
  crashLoopLimit?: number;
  crashLoopWindowMs?: number;
  /** How many output lines to keep for the error view. */
  logLines?: number;
  /**
   * The key of the backend's camera-password store (from the OS secret store), handed over when the backend asks
   * for it on its message channel. Without it the backend is told that there is none and uses its key file.
   */
  secretKey?: () => BackendKeyAnswer;
}

/** Delay before restart number `attempt` (1-based): base · 2^(attempt-1), capped. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * Runs the backend and keeps it running: a fresh session token per launch, a ready message within a deadline,
 * periodic GET /healthz, restarts with exponential backoff after a crash or a hang, and a stop (with the last log
 * lines) after a crash loop. `stop()` asks the backend to stop over its message port (SIGTERM where it has none)
 * and kills the whole process tree after the deadline.
 */
export class BackendSupervisor {
  readonly #log = createMainLogger('main.supervisor');
  readonly #o: Required<Omit<SupervisorOptions, 'launch' | 'launchOptions' | 'secretKey'>>;
  readonly #listeners = new Set<(state: SupervisorState) => void>();
  #state: SupervisorState = { kind: 'idle' };
  #child: BackendChild | undefined;
  #token = '';
  #crashes: number[] = [];
  #consecutive = 0;
  #lines: string[] = [];
  #partial = '';
  #timers = new Set<NodeJS.Timeout>();
  #healthTimer: NodeJS.Timeout | undefined;
  #stopping: Promise<void> | undefined;
  #launches = 0;

  constructor(private readonly options: SupervisorOptions) {
    this.#o = {
      readyTimeoutMs: options.readyTimeoutMs ?? 60_000,
      backoffBaseMs: options.backoffBaseMs ?? 1000,
      backoffMaxMs: options.backoffMaxMs ?? 30_000,
      healthIntervalMs: options.healthIntervalMs ?? 5000,
      healthTimeoutMs: options.healthTimeoutMs ?? 3000,
      healthFailures: options.healthFailures ?? 3,
      stopDeadlineMs: options.stopDeadlineMs ?? STOP_DEADLINE_MS,
      crashLoopLimit: options.crashLoopLimit ?? CRASH_LOOP_LIMIT,
      crashLoopWindowMs: options.crashLoopWindowMs ?? CRASH_LOOP_WINDOW_MS,
      logLines: options.logLines ?? 200,
    };
  }

  get state(): SupervisorState {
    return this.#state;
  }

  /** The token of the running backend (for the Bearer header or the session cookie). */
  get token(): string {
    return this.#token;
  }

  /** How many processes were started so far. */
  get launches(): number {
    return this.#launches;
  }

  /** The last output lines of the backend (newest last). */
  logLines(): string[] {
    return [...this.#lines];
  }

  /** Subscribes to state changes; returns the unsubscribe function. */
  onState(listener: (state: SupervisorState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves once the backend is running (or rejects when it fails for good). */
  waitUntilRunning(): Promise<{ url: string; token: string }> {
    return new Promise((resolve, reject) => {
      const check = (s: SupervisorState): boolean => {
        if (s.kind === 'running') resolve({ url: s.url, token: this.#token });
        else if (s.kind === 'failed') reject(new Error(s.reason));
        else if (s.kind === 'stopped') reject(new Error('the backend was stopped'));
        else return false;
        return true;
      };
      if (check(this.#state)) return;
      const off = this.onState((s) => {
        if (check(s)) off();
      });
    });
  }

  /** Starts the backend (again, after a failure: the crash history is forgotten). */
  start(): void {
    if (this.#stopping) throw new Error('the supervisor is stopping');
    if (this.#child) return;
    this.#clearTimers();
    this.#crashes = [];
    this.#consecutive = 0;
    this.#launch();
  }

  /** Stops and starts the backend (the error view's "restart" button, a settings change). */
  async restart(): Promise<void> {
    await this.#terminate();
    this.#stopping = undefined;
    this.start();
  }

  #setState(state: SupervisorState): void {
    this.#state = state;
    for (const l of [...this.#listeners]) l(state);
  }

  #timer(fn: () => void, ms: number): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
    return t;
  }

  #clearTimers(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    if (this.#healthTimer) clearTimeout(this.#healthTimer);
    this.#healthTimer = undefined;
  }

  #record(text: string): void {
    const parts = (this.#partial + text).split('\n');
    this.#partial = parts.pop() ?? '';
    for (const line of parts) if (line.trim()) this.#lines.push(line);
    if (this.#partial.length > 10_000) {
      this.#lines.push(this.#partial);
      this.#partial = '';
    }
    if (this.#lines.length > this.#o.logLines) this.#lines.splice(0, this.#lines.length - this.#o.logLines);
  }

  #launch(): void {
    this.#launches++;
    this.#token = crypto.randomBytes(32).toString('base64url');
    const { launchOptions } = this.options;
    this.#setState({ kind: 'starting', attempt: this.#consecutive + 1 });
    let child: BackendChild;
    try {
      child = this.options.launch({
        ...launchOptions,
        env: { ...launchOptions.env, VIGIL_API_TOKEN: this.#token },
      });
    } catch (err) {
      this.#record(`could not start the backend: ${err instanceof Error ? err.message : String(err)}\n`);
      this.#onCrash('the backend could not be started', null);
      return;
    }
    this.#child = child;
    this.#log.info({ attempt: this.#consecutive + 1 }, 'backend starting');
    child.onOutput((text) => this.#record(text));
    let spawned = false;
    let ready = false;
    // The ffmpeg (and other) processes this backend reported: ended after it, whichever way it ended.
    const reported = new Set<number>();
    child.onSpawn(() => {
      spawned = true;
      this.#log.info({ pid: child.pid }, 'backend process spawned');
    });
    const readyTimer = this.#timer(() => {
      const seconds = Math.round(this.#o.readyTimeoutMs / 1000);
      // The exit of this child no longer counts: the start has failed now, whether or not an exit ever comes.
      if (this.#child === child) this.#child = undefined;
      if (!spawned) {
        // utilityProcess emits neither 'spawn' nor 'exit' for a launch that failed: nothing will come later.
        this.#record(`the backend process was not launched within ${seconds} s (no spawn, no exit)\n`);
        this.#log.error({ cwd: launchOptions.cwd }, 'backend process never launched');
        child.kill('SIGKILL');
        this.#fail(
          `The backend process could not be launched (working folder ${launchOptions.cwd}); restarting will not help until that is fixed.`,
        );
        return;
      }
      this.#record(`the backend did not report ready within ${this.#o.readyTimeoutMs} ms\n`);
      this.#log.warn({ ms: this.#o.readyTimeoutMs }, 'backend not ready in time: killing it');
      child.kill('SIGKILL');
      this.#onCrash(`the backend did not report ready within ${seconds} s`, null);
    }, this.#o.readyTimeoutMs);
    child.onMessage((message) => {
      const m = message as { type?: unknown; url?: unknown; token?: unknown; pids?: unknown };
      if (m?.type === 'children' && Array.isArray(m.pids)) {
        reported.clear();
        for (const pid of m.pids)
          if (Number.isSafeInteger(pid) && (pid as number) > 0) reported.add(pid as number);
        return;
      }
      if (m?.type === 'secret-key-request' && !ready) {
        this.#sendSecretKey(child);
        return;
      }
      if (ready || m?.type !== 'ready' || typeof m.url !== 'string') return;
      if (m.token !== this.#token) {
        this.#record('the backend reported a session token other than the one it was given\n');
        child.kill('SIGKILL');
        return;
      }
      ready = true;
      clearTimeout(readyTimer);
      this.#timers.delete(readyTimer);
      this.#consecutive = 0;
      this.#log.info({ url: m.url, pid: child.pid }, 'backend ready');
      this.#setState({ kind: 'running', url: m.url, pid: child.pid });
      this.#scheduleHealth(m.url, 0);
    });
    child.onExit((code, signal) => {
      if (reported.size) {
        // On Windows the backend's children are not ended with it (no process group, TerminateProcess).
        killPids(reported);
        reported.clear();
      }
      if (this.#child !== child) return;
      this.#child = undefined;
      clearTimeout(readyTimer);
      this.#timers.delete(readyTimer);
      if (this.#healthTimer) clearTimeout(this.#healthTimer);
      if (this.#partial) this.#record('\n');
      if (this.#stopping) return;
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      this.#onCrash(`the backend ${how}`, code);
    });
  }

  /** Answers the backend's key request over its message channel (never argv or the environment). */
  #sendSecretKey(child: BackendChild): void {
    let answer: BackendKeyAnswer;
    try {
      answer = this.options.secretKey?.() ?? { key: undefined, reason: 'the shell supplies no key' };
    } catch (err) {
      this.#log.error({ err }, 'could not read the backend key from the OS secret store');
      answer = { key: undefined, reason: 'the OS secret store failed' };
    }
    if (!answer.key)
      this.#log.warn(
        { reason: answer.reason },
        'the OS keychain was not available: the backend uses its key file',
      );
    child.send({
      type: 'secret-key',
      key: answer.key ? answer.key.toString('base64') : null,
      reason: answer.reason,
    });
  }

  #scheduleHealth(url: string, failures: number): void {
    this.#healthTimer = setTimeout(() => {
      void this.#checkHealth(url).then((ok) => {
        const child = this.#child;
        if (!child || this.#stopping || this.#state.kind !== 'running') return;
        const n = ok ? 0 : failures + 1;
        if (n >= this.#o.healthFailures) {
          this.#record(`the backend stopped answering ${ApiRoutes.health} (${n} checks in a row)\n`);
          this.#log.warn({ failures: n }, 'backend hung: killing it');
          child.kill('SIGKILL');
          return;
        }
        this.#scheduleHealth(url, n);
      });
    }, this.#o.healthIntervalMs);
  }

  async #checkHealth(url: string): Promise<boolean> {
    try {
      const res = await fetch(`${url}${ApiRoutes.health}`, {
        signal: AbortSignal.timeout(this.#o.healthTimeoutMs),
      });
      await res.body?.cancel();
      return res.ok;
    } catch {
      return false;
    }
  }

  #onCrash(reason: string, code: number | null): void {
    const now = Date.now();
    this.#crashes = this.#crashes.filter((t) => now - t < this.#o.crashLoopWindowMs);
    this.#crashes.push(now);
    this.#consecutive++;
    this.#log.warn({ reason, crashes: this.#crashes.length }, 'backend stopped unexpectedly');
    if (code !== null && FATAL_EXIT_CODES.has(code)) {
      this.#fail(`${reason}: it cannot start with the current setup (see the log below).`);
      return;
    }
    if (this.#crashes.length >= this.#o.crashLoopLimit) {
      this.#fail(
        `${reason}; it stopped ${this.#crashes.length} times within ${Math.round(this.#o.crashLoopWindowMs / 1000)} s, so it is not restarted again.`,
      );
      return;
    }
    const delayMs = backoffDelay(this.#consecutive, this.#o.backoffBaseMs, this.#o.backoffMaxMs);
    this.#setState({ kind: 'backoff', delayMs, reason });
    this.#timer(() => {
      if (!this.#stopping && !this.#child) this.#launch();
    }, delayMs);
  }

  #fail(reason: string): void {
    this.#log.error({ reason }, 'backend failed; waiting for a manual restart');
    this.#setState({ kind: 'failed', reason, logLines: this.logLines().slice(-40) });
  }

  /**
   * Terminates the current process: first asks it over its message port to stop (it ends its cameras and ffmpeg
   * itself), or sends SIGTERM where there is no port; after the deadline the whole tree is killed.
   */
  #terminate(): Promise<void> {
    if (this.#stopping) return this.#stopping;
    this.#clearTimers();
    const child = this.#child;
    this.#stopping = new Promise<void>((resolve) => {
      if (!child) return resolve();
      this.#setState({ kind: 'stopping' });
      const timers: NodeJS.Timeout[] = [];
      const done = (): void => {
        for (const t of timers) clearTimeout(t);
        resolve();
      };
      child.onExit(done);
      if (child.pid === undefined) {
        // Never launched: there is nothing to stop, and no exit will ever come.
        child.kill('SIGKILL');
        return done();
      }
      const asked = child.send(STOP_MESSAGE);
      const signalled = !asked && child.kill('SIGTERM');
      this.#log.info(
        { pid: child.pid, how: asked ? 'message' : signalled ? 'SIGTERM' : 'kill' },
        'stopping the backend',
      );
      const forceKill = (): void => {
        this.#log.warn({ deadlineMs: this.#o.stopDeadlineMs }, 'backend did not stop in time: killing it');
        child.kill('SIGKILL');
        // An exit should follow at once; should the platform never report it, quitting must not hang.
        timers.push(setTimeout(done, 2000));
      };
      if (asked || signalled) timers.push(setTimeout(forceKill, this.#o.stopDeadlineMs));
      else forceKill();
    });
    return this.#stopping;
  }

  /** Stops the backend for good (application quit). */
  async stop(): Promise<void> {
    await this.#terminate();
    this.#child = undefined;
    this.#setState({ kind: 'stopped' });
  }

  dispose(): Promise<void> {
    return this.stop();
  }
}
