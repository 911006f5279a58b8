import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { VideoStore } from '../../backend/src/contract/video.js';

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/**
 * The behaviour every VideoStore implementation must have. Call it from a test file with a factory that returns a
 * fresh, empty store (local disk, HDFS …).
 */
export function videoStoreContractSuite(name: string, createStore: () => Promise<VideoStore>): void {
  describe(`VideoStore contract: ${name}`, () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-store-contract-'));
    afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
    const localFile = (content: string): string => {
      const f = path.join(tmp, `${Math.random().toString(36).slice(2)}.bin`);
      fs.writeFileSync(f, content);
      return f;
    };

    it('puts a file, then stats, lists and opens it with the same bytes; the local file is consumed', async () => {
      const store = await createStore();
      const src = localFile('segment-bytes');
      const info = await store.put('cam-a/2026-01-01/1000.mp4', src);
      expect(info).toMatchObject({ key: 'cam-a/2026-01-01/1000.mp4', bytes: 13 });
      expect(fs.existsSync(src)).toBe(false);
      expect((await store.stat('cam-a/2026-01-01/1000.mp4'))?.bytes).toBe(13);
      expect((await readAll(await store.open('cam-a/2026-01-01/1000.mp4'))).toString()).toBe('segment-bytes');
    });

    it('lists by prefix in key order and separates cameras', async () => {
      const store = await createStore();
      await store.put('cam-b/d/2.mp4', localFile('22'));
      await store.put('cam-b/d/1.mp4', localFile('1'));
      await store.put('cam-c/d/1.mp4', localFile('333'));
      expect((await store.list('cam-b/')).map((o) => o.key)).toEqual(['cam-b/d/1.mp4', 'cam-b/d/2.mp4']);
      expect((await store.list('cam-c/')).map((o) => o.bytes)).toEqual([3]);
      expect(await store.list('cam-z/')).toEqual([]);
    });

    it('deletes and reports the bytes freed; deleting twice or a missing key is harmless', async () => {
      const store = await createStore();
      await store.put('cam-d/d/1.mp4', localFile('12345'));
      expect(await store.delete('cam-d/d/1.mp4')).toBe(5);
      expect(await store.stat('cam-d/d/1.mp4')).toBeUndefined();
      expect(await store.delete('cam-d/d/1.mp4')).toBe(0);
      await expect(store.open('cam-d/d/1.mp4')).rejects.toThrow();
    });

    it('rejects keys that would escape the store', async () => {
      const store = await createStore();
      await expect(store.put('../evil.mp4', localFile('x'))).rejects.toThrow(/invalid/);
      await expect(store.stat('/etc/passwd')).rejects.toThrow(/invalid/);
    });
  });
}
