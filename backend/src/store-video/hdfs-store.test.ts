import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { videoStoreContractSuite } from '../../../test/contracts/video-store.js';
import { freeTcpPort } from '../../../test/fixtures/ports.js';
import { startWebHdfsFixture, type WebHdfsFixture } from '../../../test/fixtures/webhdfs.js';
import { HdfsVideoStore } from './hdfs-store.js';
import { WebHdfsClient } from './webhdfs-client.js';

const realNamenode = process.env.VIGIL_TEST_WEBHDFS;
let fixture: WebHdfsFixture | undefined;
const namenode = () => realNamenode ?? (fixture as WebHdfsFixture).namenodeUrl;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-hdfs-test-'));

beforeAll(async () => {
  if (!realNamenode) fixture = await startWebHdfsFixture();
});
afterAll(async () => {
  await fixture?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

videoStoreContractSuite(
  realNamenode ? 'HDFS at VIGIL_TEST_WEBHDFS' : 'HDFS over the WebHDFS fixture',
  async () =>
    new HdfsVideoStore({
      namenodeUrl: namenode(),
      user: 'vigil',
      root: `/vigil-test/${crypto.randomUUID()}`,
    }),
);

describe.skipIf(!!realNamenode)('WebHDFS client against the WebHDFS fixture', () => {
  const client = () => new WebHdfsClient({ namenodeUrl: namenode(), user: 'vigil', attempts: 4 });

  it('sends file data to the datanode the namenode redirects to, never to the namenode', async () => {
    const f = fixture as WebHdfsFixture;
    const before = f.requests.length;
    const file = path.join(tmp, 'seg.mp4');
    const bytes = crypto.randomBytes(300_000);
    fs.writeFileSync(file, bytes);
    await client().createFromFile('/v/a/seg.mp4', file);
    expect(f.requests.slice(before)).toEqual([
      'namenode PUT CREATE /v/a/seg.mp4',
      'datanode PUT CREATE /v/a/seg.mp4',
    ]);
    expect(await readAll(await client().open('/v/a/seg.mp4'))).toEqual(bytes);
    expect(await readAll(await client().open('/v/a/seg.mp4', { offset: 1000, length: 10 }))).toEqual(
      bytes.subarray(1000, 1010),
    );
    await client().append('/v/a/seg.mp4', Buffer.from('tail'));
    expect((await client().getFileStatus('/v/a/seg.mp4'))?.length).toBe(300_004);
  });

  it('retries a namenode in safe mode or overloaded, and stops at once on a definite refusal', async () => {
    const f = fixture as WebHdfsFixture;
    f.failNext('MKDIRS', 2, 503, 'RetriableException');
    await client().mkdirs('/v/retry');
    expect((await client().getFileStatus('/v/retry'))?.type).toBe('DIRECTORY');

    await client().create('/v/once.bin', () => Buffer.from('1'));
    const before = f.requests.length;
    await expect(client().create('/v/once.bin', () => Buffer.from('2'))).rejects.toThrow(
      /FileAlreadyExistsException/,
    );
    expect(f.requests.length - before).toBe(1); // no retries of a 403
  });

  it('reports a missing file, an empty folder listing and an unreachable namenode clearly', async () => {
    expect(await client().getFileStatus('/v/nope')).toBeUndefined();
    expect(await client().listStatus('/v/nope')).toEqual([]);
    await expect(client().open('/v/nope')).rejects.toThrow(/FileNotFoundException/);
    const dead = new WebHdfsClient({
      namenodeUrl: `http://127.0.0.1:${await freeTcpPort()}`,
      user: 'vigil',
      attempts: 2,
    });
    await expect(dead.mkdirs('/x')).rejects.toThrow(/WebHDFS MKDIRS \/x: .*(ECONNREFUSED|fetch failed)/);
  });

  it('never lists a segment that is still uploading', async () => {
    const store = new HdfsVideoStore({ namenodeUrl: namenode(), user: 'vigil', root: '/vigil-staging' });
    const file = path.join(tmp, 'up.mp4');
    fs.writeFileSync(file, 'x'.repeat(1000));
    const f = fixture as WebHdfsFixture;
    const put = store.put('cam/d/1.mp4', file);
    const seen: string[][] = [];
    while (!f.requests.some((r) => r.includes('RENAME'))) {
      seen.push((await store.list('')).map((o) => o.key));
      await new Promise((r) => setTimeout(r, 1));
    }
    await put;
    expect(seen.flat()).toEqual(seen.flat().filter((k) => k === 'cam/d/1.mp4'));
    expect((await store.list('')).map((o) => o.key)).toEqual(['cam/d/1.mp4']);
  });
});
