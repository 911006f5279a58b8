/**
 * A stand-in for Electron's UtilityProcess (the Electron binary cannot run here): a real Node child process behind
 * the same events and methods, with Electron's behaviour where it differs from child_process. Each rule comes from
 * Electron's own sources:
 * - lib/browser/api/utility-process.ts: with stdio 'pipe', `stdout`/`stderr` are PassThrough streams that exist from
 *   the start and become null after 'exit'; `pid` is undefined until the launch; kill() before it returns false.
 * - shell/browser/api/electron_api_utility_process.cc: 'spawn' is emitted from OnServiceProcessLaunch; 'exit'
 *   carries the exit code only; a kill() on POSIX reports 0 (SIGTERM/SIGKILL mapped to 0); a launch that fails never
 *   calls OnServiceProcessLaunch, so neither 'spawn' nor 'exit' is emitted (electron/electron#41396: a cwd inside
 *   app.asar); with a non-empty `env` the child gets exactly that environment (WithEnvironment(env, clear=true)).
 * - Kill() is base::Process::Terminate + base::EnsureProcessTerminated: SIGTERM, then SIGKILL 2 s later on POSIX
 *   (base/process/kill_posix.cc); TerminateProcess on Windows, which ends that one process and not its children.
 * - docs/api/process.md: the child talks over `process.parentPort` (utility-parent-port.mjs gives it one).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { UtilityProcessLike } from '../utility-backend.js';

const PARENT_PORT_SHIM = path.join(import.meta.dirname, 'utility-parent-port.mjs');
/** base/process/kill_posix.cc: how long EnsureProcessTerminated waits between SIGTERM and SIGKILL. */
export const ENSURE_TERMINATED_WAIT_MS = 2000;

export interface FakeUtilityOptions {
  env?: Record<string, string>;
  cwd?: string;
  execArgv?: string[];
}

function isDirectory(p: string | undefined): boolean {
  if (p === undefined) return true;
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export class FakeUtilityProcess extends EventEmitter implements UtilityProcessLike {
  stdout: PassThrough | null = new PassThrough();
  stderr: PassThrough | null = new PassThrough();
  #proc: ChildProcess | undefined;
  #pid: number | undefined;
  #killed = false;
  /** Whether the OS could start the process at all. */
  readonly launched: boolean;

  constructor(
    modulePath: string,
    args: string[],
    options: FakeUtilityOptions,
    readonly platform: NodeJS.Platform,
  ) {
    super();
    // The OS cannot start a process in a folder that is not one: Electron then reports nothing at all.
    this.launched = isDirectory(options.cwd);
    if (!this.launched) return;
    const proc = fork(modulePath, args, {
      cwd: options.cwd,
      env: options.env && Object.keys(options.env).length ? options.env : process.env,
      execArgv: ['--import', PARENT_PORT_SHIM, ...(options.execArgv ?? [])],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // Messages are structured clones in Electron (SerializeV8Value), not JSON.
      serialization: 'advanced',
    });
    this.#proc = proc;
    proc.stdout?.pipe(this.stdout!);
    proc.stderr?.pipe(this.stderr!);
    proc.once('spawn', () => {
      this.#pid = proc.pid;
      this.emit('spawn');
    });
    proc.on('message', (message) => this.emit('message', message));
    proc.on('error', () => {
      // A failed fork: like a failed launch, Electron would report nothing.
    });
    proc.once('exit', (code, signal) => {
      this.#pid = undefined;
      let exitCode = code ?? (signal ? (os.constants.signals[signal] ?? 1) : 1);
      if (this.#killed && (signal === 'SIGTERM' || signal === 'SIGKILL')) exitCode = 0;
      // Electron emits 'exit' once the output pipes are drained into the streams.
      setImmediate(() => {
        this.emit('exit', exitCode);
        this.stdout = null;
        this.stderr = null;
      });
    });
  }

  get pid(): number | undefined {
    return this.#pid;
  }

  postMessage(message: unknown): void {
    if (this.#proc?.connected) this.#proc.send(message as Parameters<ChildProcess['send']>[0]);
  }

  kill(): boolean {
    const pid = this.#pid;
    if (pid === undefined) return false;
    this.#killed = true;
    if (this.platform === 'win32') {
      // TerminateProcess: this process only, at once; its children live on.
      process.kill(pid, 'SIGKILL');
      return true;
    }
    process.kill(pid, 'SIGTERM');
    const proc = this.#proc;
    setTimeout(() => {
      if (proc && proc.exitCode === null && proc.signalCode === null) process.kill(pid, 'SIGKILL');
    }, ENSURE_TERMINATED_WAIT_MS).unref();
    return true;
  }
}
