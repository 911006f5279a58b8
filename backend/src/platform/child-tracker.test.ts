import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const TRACKER = pathToFileURL(path.join(import.meta.dirname, 'child-tracker.ts')).href;

/** Runs a backend-like script that starts a `sleep` through trackChild, and collects what it tells its supervisor. */
function run(env: Record<string, string>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-tracker-'));
  const script = path.join(dir, 'backend.mts');
  fs.writeFileSync(
    script,
    `import { spawn } from 'node:child_process';
import { trackChild } from ${JSON.stringify(TRACKER)};
const child = trackChild(spawn('sleep', ['30'], { stdio: 'ignore' }));
process.send({ type: 'started', pid: child.pid });
process.on('message', (m) => { if (m === 'end-child') child.kill('SIGKILL'); if (m === 'exit') process.exit(0); });
`,
  );
  const proc = fork(script, [], {
    execArgv: ['--import', 'tsx'],
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages: { type: string; pid?: number; pids?: number[] }[] = [];
  proc.on('message', (m) => messages.push(m as (typeof messages)[number]));
  const until = (probe: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      const t0 = Date.now();
      const tick = () =>
        probe()
          ? resolve()
          : Date.now() - t0 > 15_000
            ? reject(new Error('timed out'))
            : setTimeout(tick, 25);
      tick();
    });
  const done = async () => {
    proc.send('exit');
    await new Promise((r) => proc.once('exit', r));
    const pid = messages.find((m) => m.type === 'started')?.pid;
    try {
      if (pid) process.kill(pid, 'SIGKILL');
    } catch {
      // Already ended.
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return { proc, messages, until, done };
}

describe('child tracker (real processes)', () => {
  it('under the desktop shell, reports the pids of the processes it runs, and drops one when it ends', async () => {
    const { proc, messages, until, done } = run({ VIGIL_DESKTOP_SHELL: '1' });
    await until(() => messages.some((m) => m.type === 'started'));
    const pid = messages.find((m) => m.type === 'started')!.pid!;
    await until(() => messages.some((m) => m.type === 'children'));
    expect(messages.filter((m) => m.type === 'children').at(-1)).toEqual({ type: 'children', pids: [pid] });
    proc.send('end-child');
    await until(() => messages.filter((m) => m.type === 'children').at(-1)?.pids?.length === 0);
    await done();
  });

  it('outside the shell it reports nothing', async () => {
    const { messages, until, done } = run({});
    await until(() => messages.some((m) => m.type === 'started'));
    await new Promise((r) => setTimeout(r, 500));
    expect(messages.map((m) => m.type)).toEqual(['started']);
    await done();
  });
});
