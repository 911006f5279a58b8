/**
 * The live relay of other sites' cameras, in plain Node against two real backends (each with its own token). The
 * window's port is played by Node's MessageChannel (node:worker_threads) standing in for Electron's
 * MessageChannelMain, which cannot run here; the calls the relay makes on it (postMessage of structured-cloneable
 * data, start, close, the 'message' and 'close' events) are those of MessagePortMain,
 * https://www.electronjs.org/docs/latest/api/message-port-main. Node's port delivers the data itself where
 * MessagePortMain delivers `{ data }`, which the adapter below evens out (as electron-real.ts does the other way).
 */
import fs from 'node:fs';
import path from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DesktopSiteLiveMessage } from '../backend/src/contract/desktop.js';
import { spawnBackend, tempHome, type BackendProcess } from '../test/fixtures/backend.js';
import { SiteLiveRelay, validateLiveRequest, type LivePort } from './site-live.js';
import { SiteRequestError } from './sites.js';
import { waitFor } from './test-fixtures/shell-test.js';

const ROOT = path.resolve(import.meta.dirname, '..');

/** One end of a Node MessageChannel as the relay's LivePort; the other end is what the window would hold. */
function channel(): { port: LivePort; window: MessagePort; received: DesktopSiteLiveMessage[] } {
  const { port1, port2 } = new MessageChannel();
  const received: DesktopSiteLiveMessage[] = [];
  port2.on('message', (m: DesktopSiteLiveMessage) => received.push(m));
  const port: LivePort = {
    postMessage: (m) => port1.postMessage(m),
    onMessage: (l) => port1.on('message', l),
    onClose: (l) => port1.on('close', l),
    start: () => port1.start(),
    close: () => port1.close(),
  };
  return { port, window: port2, received };
}

function boxType(bytes: Uint8Array, at = 0): string {
  return Buffer.from(bytes.subarray(at + 4, at + 8)).toString('latin1');
}

let north: BackendProcess | undefined;
let south: BackendProcess | undefined;
const tokens = { north: 'north-live-token-5b1c', south: 'south-live-token-e07a' };
const homes: string[] = [];

function relayFor(sites: Record<string, { url: string; token: string; name: string }>): SiteLiveRelay {
  return new SiteLiveRelay({
    connection: (id) => {
      const s = typeof id === 'string' ? sites[id] : undefined;
      if (!s) throw new SiteRequestError(`no site "${String(id)}"`);
      return s;
    },
    maxStreamsPerWindow: 3,
  });
}

describe('live video of other sites through the main process (two real backends)', () => {
  beforeAll(async () => {
    const nh = tempHome('vigil-live-north-');
    const sh = tempHome('vigil-live-south-');
    homes.push(nh, sh);
    [north, south] = await Promise.all([
      // North films the demo plaza (people walking) with detection on, so its realtime socket carries boxes.
      spawnBackend(
        {
          cameras: [
            {
              id: 'plaza',
              name: 'Plaza',
              main: { kind: 'file', path: path.join(ROOT, 'assets/demo/vtest-h264.mp4'), loop: true },
              analysis: { fps: 2 },
            },
          ],
        },
        { home: nh, env: { VIGIL_API_TOKEN: tokens.north }, timeoutMs: 90_000 },
      ),
      // South: the same camera id on another site, a test pattern without detection.
      spawnBackend(
        {
          cameras: [
            {
              id: 'plaza',
              name: 'South plaza',
              main: { kind: 'testPattern', width: 160, height: 120, fps: 5 },
              analysis: { enabled: false },
            },
          ],
        },
        { home: sh, env: { VIGIL_API_TOKEN: tokens.south }, timeoutMs: 90_000 },
      ),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([north?.stop(), south?.stop()]);
    for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
  });

  it("relays each site's live fMP4 and its detection boxes to the window's port, and nothing else", async () => {
    const relay = relayFor({
      north: { url: north!.url, token: tokens.north, name: 'North' },
      south: { url: south!.url, token: tokens.south, name: 'South' },
    });
    const n = channel();
    const s = channel();
    relay.open({ site: 'north', camera: 'plaza', nonce: 'tile-north-1' }, n.port, 1);
    relay.open({ site: 'south', camera: 'plaza', nonce: 'tile-south-1' }, s.port, 1);

    for (const c of [n, s]) {
      // First the codec, then the init segment (ftyp), then fragments (moof), each after a time message.
      const info = await waitFor('the info message', () =>
        c.received.find((m) => m.type === 'text' && m.data.includes('"info"')),
      );
      expect(JSON.parse((info as { data: string }).data).mime).toMatch(/^video\/mp4; codecs="avc1\./);
      await waitFor(
        'five fragments',
        () => c.received.filter((m) => m.type === 'fmp4').length >= 6 || undefined,
      );
      const fmp4 = c.received.filter((m) => m.type === 'fmp4').map((m) => m.data);
      expect(fmp4[0]).toBeInstanceOf(Uint8Array);
      expect(boxType(fmp4[0]!)).toBe('ftyp');
      expect(fmp4.slice(1).some((b) => boxType(b) === 'moof' || boxType(b) === 'prft')).toBe(true);
      expect(c.received.some((m) => m.type === 'text' && m.data.includes('"time"'))).toBe(true);
    }
    // Two cameras called "plaza": each port carries its own site's picture (768x576 demo vs a 160x120 pattern).
    const avc = (c: ReturnType<typeof channel>) =>
      JSON.parse((c.received.find((m) => m.type === 'text') as { data: string }).data).mime;
    expect(avc(n)).not.toBe(avc(s));

    // The north site's boxes of that camera come through the same port, people in the plaza.
    const boxes = await waitFor(
      'a person box from the north site',
      () =>
        n.received.find(
          (m) => m.type === 'detections' && m.data.detections.some((d) => d.label === 'person'),
        ) as Extract<DesktopSiteLiveMessage, { type: 'detections' }> | undefined,
      90_000,
    );
    expect(boxes.data.cameraId).toBe('plaza');
    expect(boxes.data.detections[0]!.box).toHaveLength(4);
    expect(s.received.some((m) => m.type === 'detections' && m.data.detections.length > 0)).toBe(false);
    // The token is in no message the window got.
    const seen = JSON.stringify([...n.received, ...s.received].filter((m) => m.type !== 'fmp4'));
    expect(seen).not.toContain(tokens.north);
    expect(seen).not.toContain(tokens.south);

    // The window closes its tile: the relay closes the site's sockets and forgets the stream.
    expect(relay.size).toBe(2);
    n.window.postMessage({ type: 'close' });
    await waitFor('the north stream to end', () => relay.size === 1 || undefined, 5000);
    const before = n.received.length;
    await new Promise((r) => setTimeout(r, 1000));
    expect(n.received.length - before).toBeLessThanOrEqual(1);
    // The window going away (its port closed) ends its streams too.
    s.window.close();
    await waitFor('the south stream to end', () => relay.size === 0 || undefined, 5000);
    relay.dispose();
  }, 200_000);

  it('says why a stream cannot start: a refused token, an unknown camera, a bad request, too many streams', async () => {
    const relay = relayFor({
      north: { url: north!.url, token: 'not-the-token', name: 'North' },
      south: { url: south!.url, token: tokens.south, name: 'South' },
    });
    const refused = channel();
    relay.open({ site: 'north', camera: 'plaza', nonce: 'tile-north-2' }, refused.port, 2);
    const closed = await waitFor('the refusal', () => refused.received.find((m) => m.type === 'closed'));
    expect(closed).toEqual({ type: 'closed', reason: 'North refused the API token (HTTP 401)' });
    expect(refused.received.some((m) => m.type === 'fmp4')).toBe(false);

    const unknown = channel();
    relay.open({ site: 'south', camera: 'nowhere', nonce: 'tile-south-2' }, unknown.port, 2);
    const gone = await waitFor('the unknown camera', () => unknown.received.find((m) => m.type === 'closed'));
    expect(gone).toEqual({ type: 'closed', reason: 'no such camera' });

    for (const bad of [
      { site: 'south', camera: '..', nonce: 'tile-south-3' },
      { site: 'south', camera: 'a/b', nonce: 'tile-south-3' },
      { site: 'south', camera: 'plaza', nonce: 'x' },
      { site: 'east', camera: 'plaza', nonce: 'tile-east-1' },
    ]) {
      const c = channel();
      expect(() => relay.open(bad, c.port, 2)).toThrow(SiteRequestError);
    }
    expect(() => validateLiveRequest({ site: 'south', camera: 'plaza', nonce: 'tile-1234' })).not.toThrow();

    const ports = [channel(), channel(), channel()];
    ports.forEach((c, i) =>
      relay.open({ site: 'south', camera: 'plaza', nonce: `tile-many-${i}` }, c.port, 3),
    );
    expect(() =>
      relay.open({ site: 'south', camera: 'plaza', nonce: 'tile-many-4' }, channel().port, 3),
    ).toThrow('at most 3 live streams of other sites per window');
    // Another window has its own allowance; closing a window ends only its streams.
    const other = channel();
    relay.open({ site: 'south', camera: 'plaza', nonce: 'tile-other-1' }, other.port, 4);
    relay.closeWindow(3);
    expect(relay.size).toBe(1);
    // A site removed from the list: its streams end at once (its token is no longer used).
    relay.closeSite('north');
    expect(relay.size).toBe(1);
    relay.closeSite('south');
    expect(relay.size).toBe(0);
    await waitFor('the removal to reach the window', () =>
      other.received.find((m) => m.type === 'closed' && m.reason === 'the site was removed'),
    );
    relay.dispose();
    expect(relay.size).toBe(0);
  }, 60_000);
});
