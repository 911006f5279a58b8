import fs from 'node:fs';
import path from 'node:path';
import type { StoreCapacity, StoredObjectInfo, VideoStore } from '../contract/video.js';

/** Rejects keys that could escape the store's root folder. */
function checkKey(key: string): void {
  if (
    !key ||
    key.startsWith('/') ||
    key.includes('\\') ||
    key.split('/').some((p) => p === '..' || p === '')
  ) {
    throw new Error(`invalid video store key "${key}": use relative slash-separated names without ".."`);
  }
}

/** The embedded video store: plain files under one folder. */
export class LocalDiskVideoStore implements VideoStore {
  constructor(readonly root: string) {
    fs.mkdirSync(root, { recursive: true });
  }

  #file(key: string): string {
    checkKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  #info(key: string, st: fs.Stats): StoredObjectInfo {
    return { key, bytes: st.size, modified: st.mtimeMs };
  }

  async put(key: string, localFile: string): Promise<StoredObjectInfo> {
    const target = this.#file(key);
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    try {
      await fs.promises.rename(localFile, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      await fs.promises.copyFile(localFile, target);
      await fs.promises.unlink(localFile);
    }
    return this.#info(key, await fs.promises.stat(target));
  }

  async list(prefix: string): Promise<StoredObjectInfo[]> {
    const out: StoredObjectInfo[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const key = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) {
          if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await walk(path.join(dir, e.name), key);
        } else if (e.isFile() && key.startsWith(prefix)) {
          out.push(this.#info(key, await fs.promises.stat(path.join(dir, e.name))));
        }
      }
    };
    await walk(this.root, '');
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async open(key: string): Promise<AsyncIterable<Uint8Array>> {
    const file = this.#file(key);
    await fs.promises.access(file, fs.constants.R_OK);
    return fs.createReadStream(file);
  }

  async delete(key: string): Promise<number> {
    const file = this.#file(key);
    try {
      const st = await fs.promises.stat(file);
      await fs.promises.unlink(file);
      // Empty day folders go too, so the tree does not fill with empty directories.
      await fs.promises.rmdir(path.dirname(file)).catch(() => undefined);
      return st.size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
  }

  async stat(key: string): Promise<StoredObjectInfo | undefined> {
    try {
      return this.#info(key, await fs.promises.stat(this.#file(key)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  localPath(key: string): string | undefined {
    return this.#file(key);
  }

  async capacity(): Promise<StoreCapacity | undefined> {
    const st = await fs.promises.statfs(this.root);
    return { totalBytes: st.blocks * st.bsize, freeBytes: st.bavail * st.bsize };
  }
}
