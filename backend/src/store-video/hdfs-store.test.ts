import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
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

  it('writes through a datanode that answers 100 Continue before its final answer, as Hadoop 3 datanodes do', async () => {
    // The fixture's datanode sends `HTTP/1.1 100 Continue` first on every CREATE and APPEND (Hadoop's
    // WebHdfsHandler.onCreate/onAppend → writeContinueHeader); the write must still complete and land.
    const store = new HdfsVideoStore({ namenodeUrl: namenode(), user: 'vigil', root: '/vigil-continue' });
    const file = path.join(tmp, 'continue.mp4');
    const bytes = crypto.randomBytes(64_000);
    fs.writeFileSync(file, bytes);
    expect(await store.put('cam/1.mp4', file)).toMatchObject({ key: 'cam/1.mp4', bytes: bytes.length });
    await store.client.append('/vigil-continue/cam/1.mp4', Buffer.from('more'));
    expect(await readAll(await store.open('cam/1.mp4'))).toEqual(Buffer.concat([bytes, Buffer.from('more')]));
  });

  it('lets a slow transfer run longer than the timeout while data keeps moving, and stops a stalled one', async () => {
    const f = fixture as WebHdfsFixture;
    const slow = new WebHdfsClient({ namenodeUrl: namenode(), user: 'vigil', attempts: 1, timeoutMs: 400 });
    // Upload: 12 chunks 100 ms apart, 1.2 s in all, three times the timeout.
    const chunks = Array.from({ length: 12 }, (_, i) => Buffer.alloc(1000, i));
    const t0 = Date.now();
    await slow.create('/v/slow-up.bin', () =>
      Readable.from(
        (async function* () {
          for (const c of chunks) {
            await new Promise((r) => setTimeout(r, 100));
            yield c;
          }
        })(),
      ),
    );
    expect(Date.now() - t0).toBeGreaterThan(1000);
    expect((await slow.getFileStatus('/v/slow-up.bin'))?.length).toBe(12_000);
    // Download: the datanode sends 1000 bytes every 100 ms.
    f.paceReads({ chunkBytes: 1000, delayMs: 100 });
    try {
      expect(await readAll(await slow.open('/v/slow-up.bin'))).toEqual(Buffer.concat(chunks));
      // A datanode that stops sending mid-file: the read fails after the idle time, it does not hang.
      f.paceReads({ chunkBytes: 1000, delayMs: 10, stallAfterBytes: 5000 });
      const t1 = Date.now();
      await expect(readAll(await slow.open('/v/slow-up.bin'))).rejects.toThrow(/no data moved for 0.4 s/);
      expect(Date.now() - t1).toBeLessThan(3000);
    } finally {
      f.paceReads(undefined);
    }
  });
});

describe.skipIf(!!realNamenode)('WebHDFS client against an HA namenode pair (fixture)', () => {
  let ha: WebHdfsFixture;
  beforeAll(async () => {
    ha = await startWebHdfsFixture({ ha: true });
  });
  afterAll(async () => ha.close());

  it('fails over to the other namenode on StandbyException, and back after the next failover', async () => {
    const client = new WebHdfsClient({
      namenodeUrl: ha.namenodeUrl, // starts as the standby
      haNamenodeUrl: ha.haNamenodeUrl,
      user: 'vigil',
      attempts: 3,
    });
    await client.create('/ha/a.bin', () => Buffer.from('first'));
    expect(client.activeNamenode).toBe(ha.haNamenodeUrl);
    expect(ha.requests.slice(0, 3)).toEqual([
      'namenode PUT CREATE /ha/a.bin',
      'namenode2 PUT CREATE /ha/a.bin',
      'datanode PUT CREATE /ha/a.bin',
    ]);
    ha.failover();
    expect(await readAll(await client.open('/ha/a.bin'))).toEqual(Buffer.from('first'));
    expect(client.activeNamenode).toBe(ha.namenodeUrl);

    // Only the standby configured: the StandbyException is reported, not hidden.
    ha.failover();
    const lone = new WebHdfsClient({ namenodeUrl: ha.namenodeUrl, user: 'vigil', attempts: 2 });
    await expect(lone.mkdirs('/ha/x')).rejects.toThrow(/StandbyException/);
  });

  it('fails over when the first namenode is unreachable', async () => {
    const client = new WebHdfsClient({
      namenodeUrl: `http://127.0.0.1:${await freeTcpPort()}`,
      haNamenodeUrl: ha.haNamenodeUrl,
      user: 'vigil',
      attempts: 2,
    });
    await client.mkdirs('/ha/down');
    expect((await client.getFileStatus('/ha/down'))?.type).toBe('DIRECTORY');
  });
});

describe.skipIf(!!realNamenode)('WebHDFS client with a delegation token (fixture with security on)', () => {
  let secure: WebHdfsFixture;
  const token = 'KAAHdmlnaWwAAIoBjT0x-token-for-tests';
  beforeAll(async () => {
    secure = await startWebHdfsFixture({ delegationToken: token });
  });
  afterAll(async () => secure.close());

  it('sends the token instead of user.name, to the namenode and through the datanode redirect', async () => {
    const client = new WebHdfsClient({
      namenodeUrl: secure.namenodeUrl,
      user: 'vigil',
      delegationToken: token,
    });
    await client.create('/sec/a.bin', () => Buffer.from('secret footage'));
    expect(await readAll(await client.open('/sec/a.bin'))).toEqual(Buffer.from('secret footage'));
  });

  it('says the token was refused (and never shows it) when it is wrong, and refuses user.name alone', async () => {
    const wrong = new WebHdfsClient({
      namenodeUrl: secure.namenodeUrl,
      user: 'vigil',
      delegationToken: 'expired-token-value',
    });
    const err = (await wrong.mkdirs('/sec/x').catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/InvalidToken.*delegation token was refused/);
    expect(err.message).not.toContain('expired-token-value');
    const plain = new WebHdfsClient({ namenodeUrl: secure.namenodeUrl, user: 'vigil', attempts: 1 });
    await expect(plain.mkdirs('/sec/x')).rejects.toThrow(
      /SecurityException: Authentication required \(the cluster has security on: configure a delegation token/,
    );
  });
});
