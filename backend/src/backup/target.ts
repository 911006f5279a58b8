import type { Readable } from 'node:stream';
import type { Disposable } from '../platform/lifecycle.js';

/** An object stored on a backup target. */
export interface TargetObject {
  key: string;
  size: number;
}

/** Raised by `get` for a key the target does not hold. */
export class TargetNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`"${key}" is not on the backup target`);
    this.name = 'TargetNotFoundError';
  }
}

/**
 * Where backups go: a folder, S3-compatible storage, HDFS. Keys are "/"-separated relative paths. A `put` is atomic:
 * readers see the whole object or nothing, so an interrupted upload never leaves a truncated object behind.
 */
export interface BackupTarget extends Disposable {
  readonly kind: 'folder' | 's3' | 'hdfs';
  /** Where it writes, for people (no secrets). */
  readonly location: string;
  /** Stores `body` (exactly `size` bytes) under `key`, replacing any object there. */
  put(key: string, body: Readable, size: number, signal?: AbortSignal): Promise<void>;
  /** Size of the object, or undefined when absent. */
  head(key: string): Promise<TargetObject | undefined>;
  /** Every object whose key starts with `prefix`, in key order. */
  list(prefix: string): AsyncIterable<TargetObject>;
  /** Reads an object; TargetNotFoundError when absent. */
  get(key: string, signal?: AbortSignal): Promise<Readable>;
  /** Removes an object; absent objects are not an error. */
  delete(key: string): Promise<void>;
}

/** A key that could escape the target's root: a request the user (or a hostile manifest) caused, not a fault. */
export class InvalidObjectKeyError extends Error {
  constructor(readonly key: string) {
    super(
      `invalid backup object key ${JSON.stringify(key.length > 200 ? `${key.slice(0, 200)}…` : key)}: ` +
        'keys are relative "/"-separated names without "..", "." or empty parts',
    );
    this.name = 'InvalidObjectKeyError';
  }
}

/** Rejects keys that could escape the target's root. */
export function checkKey(key: string): string {
  if (
    !key ||
    key.startsWith('/') ||
    key.includes('\\') ||
    key.includes('\0') ||
    key.split('/').some((p) => p === '..' || p === '.' || p === '')
  ) {
    throw new InvalidObjectKeyError(key);
  }
  return key;
}

/** Reads a whole (small) object into memory; refuses one that grows past `maxBytes`. */
export async function getBuffer(target: BackupTarget, key: string, maxBytes = Infinity): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  const body = await target.get(key);
  for await (const c of body) {
    size += (c as Uint8Array).length;
    if (size > maxBytes) {
      body.destroy();
      throw new Error(`"${key}" on the backup target is larger than ${maxBytes} bytes`);
    }
    chunks.push(Buffer.from(c as Uint8Array));
  }
  return Buffer.concat(chunks);
}

/** Writes a small in-memory object. */
export async function putBuffer(target: BackupTarget, key: string, data: Buffer): Promise<void> {
  const { Readable } = await import('node:stream');
  await target.put(key, Readable.from([data]), data.length);
}
