import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { checkKey, TargetNotFoundError, type BackupTarget, type TargetObject } from '../target.js';

const TEMP_SUFFIX = '.partial';

/** A local or mounted network folder. Objects are written to a temporary name, flushed, then renamed. */
export class FolderTarget implements BackupTarget {
  readonly kind = 'folder';
  readonly location: string;

  constructor(readonly root: string) {
    this.location = path.resolve(root);
  }

  #file(key: string): string {
    return path.join(this.location, ...checkKey(key).split('/'));
  }

  async put(key: string, body: Readable, size: number, signal?: AbortSignal): Promise<void> {
    const file = this.#file(key);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    const temp = `${file}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`;
    try {
      const out = fs.createWriteStream(temp);
      await pipeline(body, out, { signal });
      const written = (await fsp.stat(temp)).size;
      if (written !== size) throw new Error(`wrote ${written} bytes of "${key}", expected ${size}`);
      const fd = await fsp.open(temp, 'r+');
      await fd.sync().finally(() => fd.close());
      await fsp.rename(temp, file);
    } catch (err) {
      await fsp.rm(temp, { force: true });
      throw err;
    }
  }

  async head(key: string): Promise<TargetObject | undefined> {
    try {
      const st = await fsp.stat(this.#file(key));
      return st.isFile() ? { key, size: st.size } : undefined;
    } catch {
      return undefined;
    }
  }

  async *list(prefix: string): AsyncIterable<TargetObject> {
    // Only descend into the folder the prefix names, so listing one backup's keys stays cheap.
    const slash = prefix.lastIndexOf('/');
    const baseKey = slash >= 0 ? prefix.slice(0, slash) : '';
    const found: TargetObject[] = [];
    const walk = async (dir: string, keyPrefix: string): Promise<void> => {
      let entries: fs.Dirent[];
      try {
        entries = await fsp.readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const key = keyPrefix ? `${keyPrefix}/${e.name}` : e.name;
        if (e.isDirectory()) {
          if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await walk(path.join(dir, e.name), key);
        } else if (e.isFile() && !e.name.endsWith(TEMP_SUFFIX) && key.startsWith(prefix)) {
          const st = await fsp.stat(path.join(dir, e.name));
          found.push({ key, size: st.size });
        }
      }
    };
    await walk(baseKey ? path.join(this.location, ...baseKey.split('/')) : this.location, baseKey);
    found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    yield* found;
  }

  async get(key: string, signal?: AbortSignal): Promise<Readable> {
    const file = this.#file(key);
    try {
      await fsp.access(file);
    } catch {
      throw new TargetNotFoundError(key);
    }
    return fs.createReadStream(file, { signal });
  }

  async delete(key: string): Promise<void> {
    await fsp.rm(this.#file(key), { force: true });
  }

  dispose(): void {}
}
