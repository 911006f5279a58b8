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
