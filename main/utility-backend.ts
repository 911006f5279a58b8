/**
 * The backend as an Electron utilityProcess, seen through the BackendChild interface the supervisor uses. It lives
 * apart from electron-real.ts so that its logic runs in plain Node against a stand-in with the same events.
 *
 * What it relies on, from Electron's docs/api/utility-process.md and shell/browser/api/electron_api_utility_process.cc:
 * - `pid` is undefined until the process has launched, and stays so when the launch fails; 'spawn' is emitted
 *   once it launched. A launch that fails (e.g. a cwd that is not a directory) emits neither 'spawn' nor 'exit'.
 * - 'exit' carries the exit code only (no signal); after kill() on POSIX it reports 0.
 * - 'error' (type 'FatalError', location, report) is emitted when V8 must terminate the child; 'exit' follows.
 * - 'message' carries what the child posted with process.parentPort.postMessage(); postMessage() reaches the
 *   child's process.parentPort 'message' listeners as `event.data`.
 * - kill() is base::Process::Terminate + EnsureProcessTerminated: SIGTERM then SIGKILL after 2 s on POSIX, an
 *   immediate TerminateProcess on Windows, which does not end the child's own children.
 */
import type { Readable } from 'node:stream';
import { killTree, type BackendChild } from './backend-child.js';

/** The parts of Electron's UtilityProcess the shell uses. */
export interface UtilityProcessLike {
  readonly pid: number | undefined;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  on(event: 'spawn', listener: () => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'error', listener: (type: string, location: string, report: string) => void): unknown;
  postMessage(message: unknown): void;
  kill(): boolean;
}

export interface UtilityBackendOptions {
  platform: NodeJS.Platform;
  /** Kills a process and its descendants (taskkill /T /F on Windows); injectable for tests. */
  killTree?: (pid: number) => void;
}

/** Wraps a forked utilityProcess as a BackendChild. */
export function wrapUtilityProcess(child: UtilityProcessLike, options: UtilityBackendOptions): BackendChild {
  const kill = options.killTree ?? killTree;
  let spawned = false;
  let exited = false;
  const exitListeners: ((code: number | null, signal: string | null) => void)[] = [];
  const outputListeners: ((text: string) => void)[] = [];
  const spawnListeners: (() => void)[] = [];
  child.on('spawn', () => {
    spawned = true;
    for (const l of spawnListeners) l();
  });
  // Without a listener a FatalError would go unnoticed; its location lands in the error view's log lines.
  child.on('error', (type, location) => {
    for (const l of outputListeners) l(`the backend process hit a ${type} at ${location}\n`);
  });
  child.on('exit', (code) => {
    exited = true;
    for (const l of exitListeners) l(code, null);
  });
  return {
    get pid() {
      return child.pid;
    },
    onSpawn: (listener) => {
      if (spawned) queueMicrotask(listener);
      else spawnListeners.push(listener);
    },
    onMessage: (listener) => {
      child.on('message', listener);
    },
    onOutput: (listener) => {
      outputListeners.push(listener);
      child.stdout?.on('data', (d: Buffer) => listener(d.toString()));
      child.stderr?.on('data', (d: Buffer) => listener(d.toString()));
    },
    onExit: (listener) => {
      exitListeners.push(listener);
    },
    send: (message) => {
      if (!spawned || exited) return false;
      child.postMessage(message);
      return true;
    },
    kill: (signal) => {
      if (exited || child.pid === undefined) return false;
      if (signal === 'SIGKILL') {
        kill(child.pid);
        return true;
      }
      // On Windows kill() is TerminateProcess: nothing graceful about it, and ffmpeg would be orphaned.
      if (options.platform === 'win32') return false;
      return child.kill();
    },
  };
}
