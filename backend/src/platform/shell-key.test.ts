import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/**
 * Runs shellSecretKey() in a forked child (its supervisor channel is this test) and answers its request with
 * `answer` (nothing when undefined). Resolves with what the child reported and the messages it sent.
 */
async function run(env: Record<string, string>, answer?: unknown) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-shell-key-'));
  dirs.push(dir);
  const script = path.join(dir, 'child.ts');
  fs.writeFileSync(
    script,
    `import { shellSecretKey } from ${JSON.stringify(path.join(ROOT, 'backend/src/platform/shell-key.ts'))};
import { createLogger } from ${JSON.stringify(path.join(ROOT, 'backend/src/platform/log.ts'))};
shellSecretKey(createLogger('test'), 400).then(
  (key) => process.send!({ type: 'result', key: key ? key.length : null }, () => process.exit(0)),
  (err: Error) => process.send!({ type: 'result', error: err.constructor.name + ': ' + err.message }, () => process.exit(0)),
);
`,
  );
  const child = fork(script, [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const messages: unknown[] = [];
  return new Promise<{ result: Record<string, unknown>; messages: unknown[]; out: string }>(
    (resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`no result:\n${out}`));
      }, 20_000);
      child.on('message', (m: { type?: string }) => {
        messages.push(m);
        if (m.type === 'secret-key-request' && answer !== undefined) child.send(answer as object);
        if (m.type === 'result') {
          clearTimeout(timer);
          child.once('exit', () => resolve({ result: m as Record<string, unknown>, messages, out }));
        }
      });
    },
  );
}

describe('secret-store key from the desktop shell (real forked child, the test plays the shell)', () => {
  it('outside the shell it asks for nothing: the key file is used', async () => {
    const { result, messages } = await run({});
    expect(result.key).toBeNull();
    expect(messages).toEqual([result]);
  }, 30_000);

  it('receives the 32-byte key over the message channel', async () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const { result, messages } = await run({ VIGIL_DESKTOP_SHELL: '1' }, { type: 'secret-key', key });
    expect(messages[0]).toEqual({ type: 'secret-key-request' });
    expect(result.key).toBe(32);
  }, 30_000);

  it('falls back to the key file, and logs why, when the shell has no keychain', async () => {
    const { result, out } = await run(
      { VIGIL_DESKTOP_SHELL: '1' },
      { type: 'secret-key', key: null, reason: 'no OS secret store (safeStorage backend basic_text)' },
    );
    expect(result.key).toBeNull();
    expect(out).toContain('the OS keychain was not available');
    expect(out).toContain('basic_text');
  }, 30_000);

  it('gives up with a clear error when the shell does not answer in time', async () => {
    const t0 = Date.now();
    const { result } = await run({ VIGIL_DESKTOP_SHELL: '1' });
    expect(result.error).toMatch(
      /^ShellKeyError: The desktop shell did not hand over the key .* within 400 ms; the backend cannot start without it/,
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
  }, 30_000);

  it('refuses a key of the wrong length', async () => {
    const { result } = await run(
      { VIGIL_DESKTOP_SHELL: '1' },
      { type: 'secret-key', key: Buffer.alloc(16).toString('base64') },
    );
    expect(result.error).toMatch(/malformed secret-store key/);
  }, 30_000);
});
