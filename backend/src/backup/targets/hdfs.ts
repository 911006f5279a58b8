import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import { WebHdfsClient, WebHdfsError } from '../../store-video/webhdfs-client.js';
import { checkKey, TargetNotFoundError, type BackupTarget, type TargetObject } from '../target.js';

export interface HdfsTargetOptions {
  /** Namenode HTTP address, e.g. http://namenode:9870. */
  namenodeUrl: string;
  /** The other namenode of an HA pair. */
  haNamenodeUrl?: string;
  /** HDFS user the backups are written as (simple authentication). */
  user: string;
  /** Delegation token (security on), sent instead of the user name. */
  delegationToken?: string;
  /** Absolute HDFS folder that receives the backups. */
  root: string;
  /** Attempts per WebHDFS request (default of the client when absent). */
  attempts?: number;
}

/** Folder (under the root) for uploads in progress; never listed as backup objects. */
const STAGING = '.staging';

/** The namenode address without any user information, for messages. */
function publicAddress(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.origin;
  } catch {
    return 'an invalid namenode address';
  }
}

/**
 * An HDFS folder, over WebHDFS. An object is uploaded to a staging name, its length checked, then renamed into
 * place, so a listing never shows a truncated object. HDFS rename does not replace, so an object written again is
 * deleted just before the rename.
 */
export class HdfsTarget implements BackupTarget {
  readonly kind = 'hdfs';
  readonly location: string;
  readonly client: WebHdfsClient;
  readonly #root: string;

  constructor(options: HdfsTargetOptions) {
    if (!options.root.startsWith('/'))
      throw new Error(`HDFS backup folder must be absolute: "${options.root}"`);
    this.#root = options.root.replace(/\/+$/, '') || '';
    this.client = new WebHdfsClient({
      namenodeUrl: options.namenodeUrl,
      haNamenodeUrl: options.haNamenodeUrl,
      user: options.user,
      delegationToken: options.delegationToken,
      attempts: options.attempts,
    });
    this.location = `hdfs ${this.#root || '/'} at ${publicAddress(options.namenodeUrl)}`;
  }

  #path(key: string): string {
    return `${this.#root}/${checkKey(key)}`;
  }

  async put(key: string, body: Readable, size: number, signal?: AbortSignal): Promise<void> {
    const target = this.#path(key);
    signal?.throwIfAborted();
    const staging = `${this.#root}/${STAGING}/${crypto.randomUUID()}`;
    const onAbort = () =>
      body.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    let handedOver = false;
    try {
      await this.client.mkdirs(target.slice(0, target.lastIndexOf('/')));
      await this.client.mkdirs(`${this.#root}/${STAGING}`);
      // The body is a one-shot stream: a failure before it is handed over (at the namenode) is retried by the
      // client; a failure after it was sent to the datanode cannot be replayed and surfaces to the caller, whose
      // next run uploads the object again.
      await this.client.create(
        staging,
        () => {
          if (handedOver) {
            throw new WebHdfsError(`WebHDFS CREATE for "${key}": the upload cannot be replayed`, 409);
          }
          handedOver = true;
          return body;
        },
        { overwrite: true },
      );
      signal?.throwIfAborted();
      const st = await this.client.getFileStatus(staging);
      if (!st || st.length !== size) {
        throw new Error(`wrote ${st?.length ?? 0} bytes of "${key}" to HDFS, expected ${size}`);
      }
      await this.client.delete(target);
      if (!(await this.client.rename(staging, target))) {
        throw new Error(`HDFS refused to move the uploaded "${key}" into place`);
      }
    } catch (err) {
      await this.client.delete(staging).catch(() => false);
      if (!handedOver) body.destroy();
      // A cancelled upload surfaces as the cancellation, not as the network error it caused.
      signal?.throwIfAborted();
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async head(key: string): Promise<TargetObject | undefined> {
    const st = await this.client.getFileStatus(this.#path(key));
    return st && st.type === 'FILE' ? { key, size: st.length } : undefined;
  }

  async *list(prefix: string): AsyncIterable<TargetObject> {
    // Only descend into folders the prefix can match, so listing one backup's keys stays cheap.
    const found: TargetObject[] = [];
    const walk = async (rel: string): Promise<void> => {
      const entries = await this.client.listStatus(rel ? `${this.#root}/${rel}` : this.#root || '/');
      for (const e of entries) {
        if (!e.pathSuffix) continue; // LISTSTATUS of a file names the file itself
        if (!rel && e.pathSuffix === STAGING) continue;
        const key = rel ? `${rel}/${e.pathSuffix}` : e.pathSuffix;
        if (e.type === 'DIRECTORY') {
          if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await walk(key);
        } else if (e.type === 'FILE' && key.startsWith(prefix)) {
          found.push({ key, size: e.length });
        }
      }
    };
    await walk('');
    found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    yield* found;
  }

  async get(key: string, signal?: AbortSignal): Promise<Readable> {
    const file = this.#path(key);
    signal?.throwIfAborted();
    let stream: Readable;
    try {
      stream = await this.client.open(file);
    } catch (err) {
      if (err instanceof WebHdfsError && err.notFound) throw new TargetNotFoundError(key);
      throw err;
    }
    if (signal) {
      const onAbort = () =>
        stream.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
      stream.once('close', () => signal.removeEventListener('abort', onAbort));
    }
    return stream;
  }

  async delete(key: string): Promise<void> {
    await this.client.delete(this.#path(key));
  }

  dispose(): void {}
}
