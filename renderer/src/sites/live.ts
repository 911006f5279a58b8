import {
  DESKTOP_SITE_LIVE_MESSAGE,
  type DesktopSiteLiveMessage,
  type DesktopSitesApi,
} from '../../../backend/src/contract/desktop';
import { bridgeErrorMessage } from '../desktop/bridge';
import { recordDetections } from '../lib/store';
import type { LiveSource } from '../live/mse';

/** Key of a site camera's detection sets in the store; never a camera id of this site (those hold no ":"). */
export function siteFeedKey(siteId: string, cameraId: string): string {
  return `site:${siteId}/${cameraId}`;
}

/** How long the desktop may take to hand over a stream's port. */
const PORT_TIMEOUT_MS = 10_000;

function nonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `live-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function arrayBufferOf(data: Uint8Array): ArrayBuffer {
  return data.byteOffset === 0 &&
    data.byteLength === data.buffer.byteLength &&
    data.buffer instanceof ArrayBuffer
    ? data.buffer
    : data.slice().buffer;
}

/**
 * The live video of another site's camera, for an MsePlayer: the desktop's main process opens the site's live
 * socket with the site's token and hands this window one end of a message channel (window message with our nonce,
 * see DesktopSiteLiveRequest). The page never sees the site's address or token; the site's detection sets of the
 * camera come on the same port and go to the store under `siteFeedKey`.
 */
export function siteLiveSource(api: DesktopSitesApi, siteId: string, cameraId: string): LiveSource {
  const feed = siteFeedKey(siteId, cameraId);
  return (h) => {
    const id = nonce();
    let port: MessagePort | undefined;
    let done = false;
    const end = (reason: string) => {
      if (done) return;
      done = true;
      cleanup();
      h.closed(reason);
    };
    const cleanup = () => {
      window.removeEventListener('message', onWindowMessage);
      clearTimeout(timer);
    };
    const onPortMessage = (e: MessageEvent<DesktopSiteLiveMessage>) => {
      const m = e.data;
      if (done || typeof m !== 'object' || m === null) return;
      if (m.type === 'fmp4' && m.data instanceof Uint8Array) h.binary(arrayBufferOf(m.data));
      else if (m.type === 'text' && typeof m.data === 'string') h.text(m.data);
      else if (m.type === 'detections' && m.data?.cameraId === cameraId) recordDetections(feed, m.data);
      else if (m.type === 'closed') {
        port?.close();
        end(typeof m.reason === 'string' ? m.reason : 'the site ended the live stream');
      }
    };
    // The port comes from the preload, posted to this very window (not from a frame) with our nonce.
    const onWindowMessage = (e: MessageEvent) => {
      const d = e.data as { type?: unknown; nonce?: unknown } | null;
      if (e.source !== window || e.origin !== location.origin) return;
      if (d?.type !== DESKTOP_SITE_LIVE_MESSAGE || d.nonce !== id || !e.ports[0]) return;
      window.removeEventListener('message', onWindowMessage);
      clearTimeout(timer);
      const p = e.ports[0];
      if (done) {
        p.postMessage({ type: 'close' });
        p.close();
        return;
      }
      port = p;
      p.onmessage = onPortMessage;
    };
    window.addEventListener('message', onWindowMessage);
    const timer = setTimeout(() => {
      cleanup();
      end('the desktop did not open the live stream');
    }, PORT_TIMEOUT_MS);
    if (!api.openLive) end('this version of the desktop app shows other sites as snapshots only');
    else
      api
        .openLive({ site: siteId, camera: cameraId, nonce: id })
        .catch((err: unknown) => end(bridgeErrorMessage(err)));
    return {
      close: () => {
        done = true;
        // A port still on its way is closed when it arrives (the listener stays until then or the timeout), so
        // the main process does not keep the site's sockets open for nobody.
        if (!port) return;
        cleanup();
        port.postMessage({ type: 'close' });
        port.close();
      },
    };
  };
}
