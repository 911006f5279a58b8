import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { SafeStorage } from './electron-adapter.js';
import { createMainLogger } from './log.js';

const log = createMainLogger('main.secrets');

/**
 * Secrets (the remote API token) encrypted by the OS secret store through Electron's safeStorage (Keychain,
 * DPAPI, libsecret/KWallet). Only the ciphertext touches the disk. Where no real secret store exists (Linux without a
 * keyring: safeStorage's "basic_text" backend), secrets are kept in memory for this run only, never written.
 */
export class SecretStore {
  readonly file: string;
  readonly #memory = new Map<string, string>();

  constructor(
    dir: string,
    private readonly safeStorage: SafeStorage,
  ) {
    this.file = path.join(dir, 'secrets.enc.json');
  }

  /** Whether secrets survive a restart (a real OS secret store is available). */
  get persistent(): boolean {
    return this.safeStorage.isEncryptionAvailable() && this.safeStorage.storageBackend() !== 'basic_text';
  }

  #readAll(): Record<string, string> {
    try {
      return JSON.parse(fs.readFileSync(this.file, 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  }

  get(name: string): string | undefined {
    const inMemory = this.#memory.get(name);
    if (inMemory !== undefined) return inMemory;
    const encrypted = this.#readAll()[name];
    if (!encrypted || !this.persistent) return undefined;
    try {
      return this.safeStorage.decryptString(Buffer.from(encrypted, 'base64'));
    } catch (err) {
      log.warn({ err, name }, 'a stored secret could not be decrypted (OS keyring changed?); enter it again');
      return undefined;
    }
  }

  /** Stores (or, with an empty value, deletes) a secret. Returns whether it will survive a restart. */
  set(name: string, value: string): boolean {
    const all = this.#readAll();
    this.#memory.delete(name);
    if (!value) {
      delete all[name];
    } else if (this.persistent) {
      all[name] = this.safeStorage.encryptString(value).toString('base64');
    } else {
      log.warn({ name }, 'no OS secret store: the secret is kept in memory until the app quits');
      this.#memory.set(name, value);
      delete all[name];
    }
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(all), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
    return this.persistent || !value;
  }
}

/** What the shell hands the backend for its camera-password store: a key, or why there is none. */
export type BackendKeyAnswer = { key: Buffer; reason?: undefined } | { key: undefined; reason: string };

/** The file (in the shell's settings folder) holding the backend's key, encrypted by safeStorage. */
export const BACKEND_KEY_FILE = 'backend-key.enc';

/**
 * The key of the backend's camera-password store: 32 random bytes created once, kept only as safeStorage ciphertext
 * in `<dir>/backend-key.enc`, so that a copy of the data folder (or of both folders) without the user's OS secret store
 * reveals no camera password. No key where safeStorage has no real secret store (not available, or Linux's
 * "basic_text", a hard-coded password) or cannot decrypt the stored key: the backend then uses its key file, and
 * the encrypted key is left in place for when the secret store is back.
 */
export function backendSecretKey(dir: string, safeStorage: SafeStorage): BackendKeyAnswer {
  if (!safeStorage.isEncryptionAvailable())
    return { key: undefined, reason: 'safeStorage reports that encryption is not available' };
  const backend = safeStorage.storageBackend();
  if (backend === 'basic_text')
    return { key: undefined, reason: 'no OS secret store (safeStorage backend basic_text)' };
  const file = path.join(dir, BACKEND_KEY_FILE);
  let sealed: Buffer | undefined;
  try {
    sealed = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
  } catch {
    sealed = undefined;
  }
  if (sealed?.length) {
    try {
      const key = Buffer.from(safeStorage.decryptString(sealed), 'base64');
      if (key.length === 32) return { key };
      log.error({ file }, 'the stored backend key has the wrong length');
    } catch (err) {
      log.error({ err, file }, 'the OS secret store could not decrypt the backend key (keyring changed?)');
    }
    return { key: undefined, reason: 'the stored key could not be decrypted by the OS secret store' };
  }
  const key = crypto.randomBytes(32);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, safeStorage.encryptString(key.toString('base64')).toString('base64'), {
    mode: 0o600,
  });
  fs.renameSync(tmp, file);
  log.info({ backend }, 'created the key of the camera-password store in the OS secret store');
  return { key };
}
