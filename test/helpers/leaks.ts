import fs from 'node:fs';

/** Counts of live handles by kind (Timeout, TCPSocketWrap, ProcessWrap …) and this process's children. */
export interface ResourceSnapshot {
  handles: Map<string, number>;
  children: number[];
}

/** Live (not zombie) children of this process, read from /proc. */
export function childPids(parent = process.pid): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may contain spaces, so parse after the last ')'.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === parent && state !== 'Z') pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** What the process holds right now. */
export function snapshotResources(): ResourceSnapshot {
  const handles = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) handles.set(kind, (handles.get(kind) ?? 0) + 1);
  return { handles, children: childPids() };
}

function grown(before: ResourceSnapshot, after: ResourceSnapshot): string[] {
  const out: string[] = [];
  for (const [kind, n] of after.handles) {
    const was = before.handles.get(kind) ?? 0;
    if (n > was) out.push(`${n - was} more ${kind}`);
  }
  const extra = after.children.filter((pid) => !before.children.includes(pid));
  if (extra.length) out.push(`child processes still running: ${extra.join(', ')}`);
  return out;
}

/**
 * Fails when the process holds more timers, sockets, servers or child processes than in `before`. Polls for up to
 * `graceMs` because sockets and children close asynchronously.
 */
export async function expectNoLeaks(before: ResourceSnapshot, graceMs = 3000): Promise<void> {
  const deadline = Date.now() + graceMs;
  let leaks: string[];
  for (;;) {
    leaks = grown(before, snapshotResources());
    if (leaks.length === 0) return;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`resources leaked after dispose: ${leaks.join('; ')}`);
}
