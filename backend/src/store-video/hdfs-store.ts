import crypto from 'node:crypto';
import fs from 'node:fs';
import type { StoredObjectInfo, VideoStore } from '../contract/video.js';
import { createLogger } from '../platform/log.js';
import { WebHdfsClient, type HdfsFileStatus, type WebHdfsOptions } from './webhdfs-client.js';

/** Rejects keys that could escape the store's root folder. */
function checkKey(key: string): void {
  if (
    !key ||
    key.startsWith('/') ||
    key.includes('\\') ||
    key.split('/').some((p) => p === '..' || p === '' || p === '.')
  ) {
    throw new Error(`invalid video store key "${key}": use relative slash-separated names without ".."`);
  }
}

export interface HdfsVideoStoreOptions extends WebHdfsOptions {
  /** Absolute HDFS folder holding the recordings. */
  root: string;
}

/**
 * The cluster video store: recordings as files in HDFS, written and read over WebHDFS. A segment is uploaded to a
 * staging name and renamed into place, so a reader or a listing never sees a half-written segment.
 */
export class HdfsVideoStore implements VideoStore {
  readonly #log = createLogger('store-video.hdfs');
  readonly client: WebHdfsClient;
  readonly #root: string;

  constructor(options: HdfsVideoStoreOptions) {
    this.client = new WebHdfsClient(options);
    this.#root = options.root.replace(/\/+$/, '') || '/';
  }

  #path(key: string): string {
    checkKey(key);
    return `${this.#root}/${key}`;
  }

  #info(key: string, st: HdfsFileStatus): StoredObjectInfo {
    return { key, bytes: st.length, modified: st.modificationTime };
  }

  async put(key: string, localFile: string): Promise<StoredObjectInfo> {
    const target = this.#path(key);
    const staging = `${this.#root}/.staging/${crypto.randomUUID()}`;
    const dir = target.slice(0, target.lastIndexOf('/'));
    await this.client.mkdirs(dir);
    await this.client.mkdirs(`${this.#root}/.staging`);
    await this.client.createFromFile(staging, localFile, { overwrite: true });
    // HDFS rename does not replace: a segment written again (a retry) replaces the old copy explicitly.
    await this.client.delete(target);
    if (!(await this.client.rename(staging, target))) {
      await this.client.delete(staging).catch(() => false);
      throw new Error(`HDFS refused to move the uploaded segment into place at ${target}`);
    }
    const st = await this.client.getFileStatus(target);
    if (!st) throw new Error(`HDFS lost the segment just written at ${target}`);
    await fs.promises.unlink(localFile);
    this.#log.debug({ key, bytes: st.length }, 'segment stored in HDFS');
    return this.#info(key, st);
  }

  async list(prefix: string): Promise<StoredObjectInfo[]> {
    const out: StoredObjectInfo[] = [];
    const walk = async (rel: string): Promise<void> => {
      const entries = await this.client.listStatus(rel ? `${this.#root}/${rel}` : this.#root);
      for (const e of entries) {
        if (!rel && e.pathSuffix.startsWith('.')) continue; // staging area
        const key = rel ? `${rel}/${e.pathSuffix}` : e.pathSuffix;
        if (e.type === 'DIRECTORY') {
          if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await walk(key);
        } else if (e.type === 'FILE' && key.startsWith(prefix)) {
          out.push(this.#info(key, e));
        }
      }
    };
    await walk('');
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async open(key: string): Promise<AsyncIterable<Uint8Array>> {
    return this.client.open(this.#path(key));
  }

  async delete(key: string): Promise<number> {
    const file = this.#path(key);
    const st = await this.client.getFileStatus(file);
    if (!st || st.type !== 'FILE') return 0;
    return (await this.client.delete(file)) ? st.length : 0;
  }

  async stat(key: string): Promise<StoredObjectInfo | undefined> {
    const st = await this.client.getFileStatus(this.#path(key));
    return st && st.type === 'FILE' ? this.#info(key, st) : undefined;
  }
}
