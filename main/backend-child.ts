import { execFileSync, fork } from 'node:child_process';
import fs from 'node:fs';

/** How to start the backend process. */
export interface BackendLaunchOptions {
  /** The script to run (cli.ts in development, the compiled cli.js when packaged). */
  modulePath: string;
  args: string[];
  /** The complete environment of the child (already sanitised). */
  env: Record<string, string>;
  cwd: string;
  /** Node options such as ['--import', 'tsx']. */
  execArgv: string[];
  /** The Node binary for a plain child process (ignored by utilityProcess). */
  execPath?: string;
}

/** The message that asks the backend to stop gracefully (it stops its cameras and ffmpeg, then exits). */
export const STOP_MESSAGE = { type: 'stop' } as const;

/** The backend as the supervisor sees it: a utilityProcess or a plain child process, the same way. */
export interface BackendChild {
  /** Undefined until the process has spawned, and when it could not be spawned at all. */
  readonly pid: number | undefined;
  /** The OS started the process. A launch that fails (a cwd that is not a folder) may never call this. */
  onSpawn(listener: () => void): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Output lines (stdout and stderr together). */
  onOutput(listener: (text: string) => void): void;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  /** Sends a message to the backend over its message port; false when there is no channel to send on. */
  send(message: unknown): boolean;
  /**
   * 'SIGTERM': a graceful OS signal where the platform has one (false where it has none: Windows only offers
   * TerminateProcess). 'SIGKILL': kills the process and everything it started, at once.
   */
  kill(signal: 'SIGTERM' | 'SIGKILL'): boolean;
}

/** Starts the backend as a plain Node child process (development, tests, server mode). */
export function forkNodeBackend(options: BackendLaunchOptions): BackendChild {
  const proc = fork(options.modulePath, options.args, {
    cwd: options.cwd,
    env: options.env,
    execArgv: options.execArgv,
    execPath: options.execPath ?? process.execPath,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Its own process group, so that a forced stop reaches ffmpeg and every other grandchild too.
    detached: process.platform !== 'win32',
    serialization: 'json',
  });
  const exitListeners: ((code: number | null, signal: string | null) => void)[] = [];
  let exited = false;
  // 'close' (not 'exit'): all output has been read by then, so the last log lines are complete.
  proc.once('close', (code, signal) => {
    exited = true;
    for (const l of exitListeners) l(code, signal);
  });
  proc.on('error', () => {
    // A failed spawn also emits 'close'; nothing else to do here.
  });
  return {
    get pid() {
      return proc.pid;
    },
    onSpawn: (listener) => {
      if (proc.pid !== undefined) queueMicrotask(listener);
      else proc.once('spawn', listener);
    },
    onMessage: (listener) => proc.on('message', listener),
    onOutput: (listener) => {
      proc.stdout?.on('data', (d: Buffer) => listener(d.toString()));
      proc.stderr?.on('data', (d: Buffer) => listener(d.toString()));
    },
    onExit: (listener) => {
      exitListeners.push(listener);
    },
    send: (message) => {
      if (exited || !proc.connected) return false;
      try {
        return proc.send(message as Parameters<typeof proc.send>[0]);
      } catch {
        return false;
      }
    },
    kill: (signal) => {
      if (exited || proc.pid === undefined) return false;
      if (signal === 'SIGKILL') {
        killTree(proc.pid);
        return true;
      }
      // Node maps kill() to TerminateProcess on Windows: not graceful, and it orphans the children.
      if (process.platform === 'win32') return false;
      return proc.kill(signal);
    },
  };
}

/**
 * Kills processes by pid (the ffmpeg children the backend reported), with their own children. Used after the backend
 * itself is gone: on Windows nothing else ends its children, they are not in a process group and taskkill /T can no
 * longer find them through a parent that has exited.
 */
export function killPids(pids: Iterable<number>): void {
  for (const pid of pids) {
    if (!isAlive(pid)) continue;
    killTree(pid);
  }
}

/** Whether a process with this pid exists (signal 0 tests without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Every descendant of a process (children, grandchildren …), deepest last. Empty where it cannot be known. */
export function descendantPids(root: number): number[] {
  const parentOf = new Map<number, number>();
  try {
    if (process.platform === 'linux') {
      for (const entry of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        try {
          const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
          const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
          parentOf.set(Number(entry), ppid);
        } catch {
          // The process ended while we looked.
        }
      }
    } else if (process.platform === 'darwin') {
      const out = execFileSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8' });
      for (const line of out.split('\n')) {
        const [pid, ppid] = line.trim().split(/\s+/).map(Number);
        if (pid && ppid !== undefined) parentOf.set(pid, ppid);
      }
    } else {
      return [];
    }
  } catch {
    return [];
  }
  const out: number[] = [];
  let frontier = [root];
  while (frontier.length) {
    const next: number[] = [];
    for (const [pid, ppid] of parentOf) if (frontier.includes(ppid) && !out.includes(pid)) next.push(pid);
    out.push(...next);
    frontier = next;
  }
  return out;
}

/**
 * Kills a process and everything it started. The tree is read before the kill: once the parent is gone its children
 * are re-parented and can no longer be found.
 */
export function killTree(pid: number): void {
  if (process.platform === 'win32') {
    try {
      execFileSync('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore' });
    } catch {
      // Already gone.
    }
    return;
  }
  const descendants = descendantPids(pid);
  for (const target of [pid, ...descendants]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  // The process group catches anything started between reading the tree and the kill.
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Not a group leader (utilityProcess) or already gone.
  }
}
