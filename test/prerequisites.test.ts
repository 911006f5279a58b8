// `npm test` on a machine without a system program the tests need stops in its first seconds with the one command
// that installs it, instead of failing tests one by one. The programs are really absent here: the runner is started
// with a PATH that holds only node, and with CHROMIUM_PATH (the browser fixture's own setting) naming no file.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './fixtures/media.js';

const SUDO = process.getuid?.() === 0 ? '' : 'sudo ';
const install = (packages: string) => `${SUDO}apt-get update && ${SUDO}apt-get install -y ${packages}`;

/** A folder holding only a link to node: a PATH on which ffmpeg, redis-server and a C compiler are absent. */
const onlyNode = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-only-node-'));
fs.symlinkSync(process.execPath, path.join(onlyNode, 'node'));

function runTests(env: Record<string, string>): { status: number | null; lines: string[]; seconds: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts/test.mjs')], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return {
    status: r.status,
    lines: `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim()),
    seconds: (Date.now() - t0) / 1000,
  };
}

describe('npm test checks the system programs first', () => {
  afterAll(() => fs.rmSync(onlyNode, { recursive: true, force: true }));

  it('without Chromium: one line with the command that installs it, and nothing else runs', () => {
    const r = runTests({ CHROMIUM_PATH: path.join(onlyNode, 'no-chromium') });
    expect(r.status).toBe(1);
    expect(r.lines).toEqual([
      `✗ the tests need Chromium; install with: ${install('chromium')}`,
      '0 passed, 1 failed',
    ]);
    expect(r.seconds).toBeLessThan(15);
  });

  it('without ffmpeg, redis-server and a C compiler on the PATH: one line naming every package to install', () => {
    const r = runTests({ PATH: onlyNode, CHROMIUM_PATH: path.join(onlyNode, 'no-chromium') });
    expect(r.status).toBe(1);
    expect(r.lines[0]).toBe(
      "✗ the tests need ffmpeg, Chromium, redis-server, librdkafka's mock cluster (a C compiler and librdkafka's headers); " +
        `install with: ${install('ffmpeg chromium redis-server librdkafka-dev gcc libc6-dev')}`,
    );
    expect(r.lines).toHaveLength(2);
    expect(r.seconds).toBeLessThan(15);
  });
});
