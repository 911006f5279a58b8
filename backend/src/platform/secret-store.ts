import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { addKnownSecret } from './redact.js';

/** Where the backend keeps secrets entered through the API (camera passwords): small named strings. */
export interface SecretStore {
  get(name: string): string | undefined;
  /** Stores a secret; an empty value deletes it. */
  set(name: string, value: string): void;
  delete(name: string): void;
  has(name: string): boolean;
}

/**
 * The key that encrypts the secret file. The plain backend keeps it in a 0600 file next to the secrets; the desktop
 * shell can hand over a key it keeps in the OS secret store (Electron safeStorage) instead.
 */
export interface SecretKeySource {
  /** A 32-byte key, the same on every call. */
  key(): Buffer;
}

/** Name of the folder under the data folder that holds secrets; backups skip it. */
export const SECRETS_DIR = 'secrets';
/** The key file of the plain backend, inside the secrets folder. */
export const KEY_FILE = 'secret.key';
/** The encrypted secrets, inside the secrets folder. */
export const SECRETS_FILE = 'secrets.enc.json';

/** A key held elsewhere (the desktop shell's, kept in the OS secret store); checked to be 32 bytes. */
export function staticKeySource(key: Buffer): SecretKeySource {
  if (key.length !== 32) throw new Error(`a secret-store key must be 32 bytes, not ${key.length}`);
  const copy = Buffer.from(key);
  return { key: () => copy };
}

/** A random key in a file readable only by its owner, created on first use. */
export function fileKeySource(file: string): SecretKeySource {
  let cached: Buffer | undefined;
  return {
    key() {
      if (cached) return cached;
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      try {
        const existing = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
        if (existing.length === 32) return (cached = existing);
      } catch {
        // Created below.
      }
      const key = crypto.randomBytes(32);
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, key.toString('base64'), { mode: 0o600 });
      fs.renameSync(tmp, file);
      return (cached = key);
    },
  };
}

interface SecretFile {
  version: 1;
  /** name → base64(iv ‖ tag ‖ ciphertext), AES-256-GCM with the name as associated data. */
  entries: Record<string, string>;
}

/**
 * Secrets encrypted with AES-256-GCM in one JSON file (mode 0600, in a 0700 folder). Each entry is bound to its name,
 * so entries cannot be swapped. Every value read or written is registered with the log redactor.
 */
export class EncryptedFileSecretStore implements SecretStore {
  readonly #file: string;
  #cache: Map<string, string> | undefined;
  /** Entries this key cannot open (sealed with another key): kept as they are, so that no save drops them. */
  readonly #sealedElsewhere = new Map<string, string>();

  constructor(
    file: string,
    private readonly keys: SecretKeySource,
  ) {
    this.#file = file;
  }

  /**
   * `<dir>/secrets.enc.json`, encrypted with `shellKey` when the desktop shell supplied one, else with the key file
   * `<dir>/secret.key`. A key file left from an earlier run without the shell's key is migrated: its secrets are
   * encrypted again with the shell's key, then the key file is removed.
   */
  static inFolder(dir: string, shellKey?: Buffer): EncryptedFileSecretStore {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
    const file = path.join(dir, SECRETS_FILE);
    const keyFile = path.join(dir, KEY_FILE);
    if (!shellKey) return new EncryptedFileSecretStore(file, fileKeySource(keyFile));
    const store = new EncryptedFileSecretStore(file, staticKeySource(shellKey));
    if (fs.existsSync(keyFile)) {
      // Entries the shell's key already opens (a migration interrupted after the rewrite) are kept as they are.
      const old = new EncryptedFileSecretStore(file, fileKeySource(keyFile)).#load();
      const current = store.#load();
      for (const [name, value] of old) if (!current.has(name)) current.set(name, value);
      store.#save(current);
      fs.rmSync(keyFile, { force: true });
    }
    return store;
  }

  #load(): Map<string, string> {
    if (this.#cache) return this.#cache;
    const map = new Map<string, string>();
    let doc: SecretFile | undefined;
    try {
      doc = JSON.parse(fs.readFileSync(this.#file, 'utf8')) as SecretFile;
    } catch {
      doc = undefined;
    }
    for (const [name, sealed] of Object.entries(doc?.entries ?? {})) {
      try {
        const buf = Buffer.from(sealed, 'base64');
        const decipher = crypto.createDecipheriv('aes-256-gcm', this.keys.key(), buf.subarray(0, 12));
        decipher.setAAD(Buffer.from(name));
        decipher.setAuthTag(buf.subarray(12, 28));
        const value = Buffer.concat([decipher.update(buf.subarray(28)), decipher.final()]).toString('utf8');
        addKnownSecret(value);
        map.set(name, value);
      } catch {
        // Another key (a copied file, the desktop shell's key): unreadable here, and kept for a key that can open it.
        this.#sealedElsewhere.set(name, sealed);
      }
    }
    this.#cache = map;
    return map;
  }

  #save(map: Map<string, string>): void {
    const entries: Record<string, string> = {};
    for (const [name, value] of map) {
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', this.keys.key(), iv);
      cipher.setAAD(Buffer.from(name));
      const ct = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
      entries[name] = Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64');
    }
    for (const [name, sealed] of this.#sealedElsewhere) if (!map.has(name)) entries[name] ??= sealed;
    const doc: SecretFile = { version: 1, entries };
    fs.mkdirSync(path.dirname(this.#file), { recursive: true, mode: 0o700 });
    const tmp = `${this.#file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(doc), { mode: 0o600 });
    fs.renameSync(tmp, this.#file);
  }

  get(name: string): string | undefined {
    return this.#load().get(name);
  }

  has(name: string): boolean {
    return this.#load().has(name);
  }

  set(name: string, value: string): void {
    const map = this.#load();
    this.#sealedElsewhere.delete(name);
    if (!value) map.delete(name);
    else {
      addKnownSecret(value);
      map.set(name, value);
    }
    this.#save(map);
  }

  delete(name: string): void {
    const map = this.#load();
    const elsewhere = this.#sealedElsewhere.delete(name);
    if (map.delete(name) || elsewhere) this.#save(map);
  }
}

/** Secrets held in memory only (tests, and processes that must not write any). */
export class MemorySecretStore implements SecretStore {
  readonly #map = new Map<string, string>();
  get(name: string): string | undefined {
    return this.#map.get(name);
  }
  has(name: string): boolean {
    return this.#map.has(name);
  }
  set(name: string, value: string): void {
    if (!value) this.#map.delete(name);
    else {
      addKnownSecret(value);
      this.#map.set(name, value);
    }
  }
  delete(name: string): void {
    this.#map.delete(name);
  }
}
