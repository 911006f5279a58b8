import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { configureLogging, createLogger } from './log.js';
import { EncryptedFileSecretStore, KEY_FILE, SECRETS_FILE } from './secret-store.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-secret-store-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('encrypted secret file', () => {
  it('keeps secrets across instances, encrypted, in a 0700 folder of 0600 files', () => {
    const dir = path.join(tempDir(), 'secrets');
    const store = EncryptedFileSecretStore.inFolder(dir);
    store.set('camera/gate/main/password', 'Gate-Pw-123');
    expect(EncryptedFileSecretStore.inFolder(dir).get('camera/gate/main/password')).toBe('Gate-Pw-123');
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    for (const f of fs.readdirSync(dir)) expect(fs.statSync(path.join(dir, f)).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(dir, 'secrets.enc.json'), 'utf8')).not.toContain('Gate-Pw-123');
    store.delete('camera/gate/main/password');
    expect(EncryptedFileSecretStore.inFolder(dir).has('camera/gate/main/password')).toBe(false);
  });

  it('reads nothing with another key, and an entry moved to another name does not decrypt', () => {
    const dir = path.join(tempDir(), 'secrets');
    EncryptedFileSecretStore.inFolder(dir).set('a', 'Secret-A-1');
    const file = path.join(dir, 'secrets.enc.json');
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { entries: Record<string, string> };
    doc.entries.b = doc.entries.a!;
    fs.writeFileSync(file, JSON.stringify(doc));
    const again = EncryptedFileSecretStore.inFolder(dir);
    expect(again.get('a')).toBe('Secret-A-1');
    expect(again.get('b')).toBeUndefined();
    fs.writeFileSync(path.join(dir, 'secret.key'), Buffer.alloc(32, 7).toString('base64'));
    expect(EncryptedFileSecretStore.inFolder(dir).get('a')).toBeUndefined();
  });

  it("moves a key-file store to the desktop shell's key and removes the key file", () => {
    const dir = path.join(tempDir(), 'secrets');
    const plain = EncryptedFileSecretStore.inFolder(dir);
    plain.set('camera/a/main/password', 'Pw-A-1');
    plain.set('camera/b/main/password', 'Pw-B-2');
    expect(fs.existsSync(path.join(dir, KEY_FILE))).toBe(true);
    const shellKey = crypto.randomBytes(32);
    const moved = EncryptedFileSecretStore.inFolder(dir, shellKey);
    expect(fs.readdirSync(dir)).toEqual([SECRETS_FILE]);
    expect(moved.get('camera/a/main/password')).toBe('Pw-A-1');
    const reopened = EncryptedFileSecretStore.inFolder(dir, shellKey);
    expect(reopened.get('camera/b/main/password')).toBe('Pw-B-2');
    // Without the shell's key (the plain backend on the same folder) nothing opens …
    const withoutShell = EncryptedFileSecretStore.inFolder(dir);
    expect(withoutShell.get('camera/a/main/password')).toBeUndefined();
    // … and a save there does not drop what it cannot read.
    withoutShell.set('camera/c/main/password', 'Pw-C-3');
    const back = EncryptedFileSecretStore.inFolder(dir, shellKey);
    expect(back.get('camera/a/main/password')).toBe('Pw-A-1');
    expect(back.get('camera/c/main/password')).toBe('Pw-C-3');
    expect(fs.readdirSync(dir)).toEqual([SECRETS_FILE]);
  });

  it('refuses a shell key that is not 32 bytes', () => {
    expect(() => EncryptedFileSecretStore.inFolder(path.join(tempDir(), 's'), Buffer.alloc(16))).toThrow(
      /32 bytes, not 16/,
    );
  });

  it('masks a stored secret in every log line, error messages and stacks included', () => {
    let text = '';
    configureLogging({
      level: 'debug',
      destination: new Writable({
        write(chunk: Buffer, _enc, cb) {
          text += chunk.toString();
          cb();
        },
      }),
    });
    try {
      EncryptedFileSecretStore.inFolder(path.join(tempDir(), 's')).set('x', 'Plain Pw 4 log');
      const log = createLogger('test.secrets');
      log.warn({ detail: 'user typed Plain Pw 4 log' }, 'a message with Plain Pw 4 log inside');
      log.error({
        err: new Error(`spawn failed: ffmpeg -i rtsp://cam/x?pw=${encodeURIComponent('Plain Pw 4 log')}`),
      });
      expect(text).toContain('a message with *** inside');
      expect(text).not.toContain('Plain Pw 4 log');
      expect(text).not.toContain(encodeURIComponent('Plain Pw 4 log'));
    } finally {
      configureLogging();
    }
  });
});
