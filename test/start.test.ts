import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempHome } from './fixtures/backend.js';
import { childPids } from './helpers/leaks.js';

const ROOT = path.resolve(import.meta.dirname, '..');

describe('npm start (browser mode)', () => {
  it('prints a login URL within 60 s, serves /healthz, and Ctrl-C stops everything within 5 s', async () => {
    const t0 = Date.now();
    // A process group of its own, like a terminal session: Ctrl-C goes to the whole group.
    const proc = spawn(process.execPath, [path.join(ROOT, 'scripts/start.mjs'), '--port', '0'], {
      cwd: ROOT,
      env: { ...process.env, VIGIL_HOME: tempHome() },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL after 60 s:\n${out}`)), 60_000);
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /(http:\/\/127\.0\.0\.1:\d+)\/login\?code=\S+/.exec(out);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(out).toContain('browser mode');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    const backendPids = childPids(proc.pid);
    expect(backendPids.length).toBeGreaterThan(0);
    const tStop = Date.now();
    process.kill(-(proc.pid ?? 0), 'SIGINT');
    const code = await new Promise<number | null>((resolve) => proc.on('exit', resolve));
    expect(Date.now() - tStop).toBeLessThan(5000);
    expect(code).toBe(0);
    for (const pid of backendPids) expect(childPids(pid)).toEqual([]);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
