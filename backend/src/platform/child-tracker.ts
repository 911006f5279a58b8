import type { ChildProcess } from 'node:child_process';
import { postToSupervisor } from './shutdown.js';

const live = new Set<number>();
let scheduled = false;

function report(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(() => {
    scheduled = false;
    postToSupervisor({ type: 'children', pids: [...live] });
  });
}

/**
 * Tells the desktop shell which processes (ffmpeg) the backend is running, so that it can end them should the
 * backend itself end without stopping them: on Windows children are neither in a process group nor ended with
 * their parent. Only under the desktop shell (VIGIL_DESKTOP_SHELL=1); returns the child unchanged.
 */
export function trackChild<T extends ChildProcess>(child: T): T {
  if (process.env.VIGIL_DESKTOP_SHELL !== '1' || child.pid === undefined) return child;
  const pid = child.pid;
  live.add(pid);
  report();
  child.once('exit', () => {
    live.delete(pid);
    report();
  });
  return child;
}
