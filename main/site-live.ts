import WebSocket from 'ws';
import type { DesktopSiteLiveMessage, DesktopSiteLiveRequest } from '../backend/src/contract/desktop.js';
import type { FrameDetections } from '../backend/src/contract/media.js';
import { createMainLogger } from './log.js';
import { SiteRequestError } from './sites.js';

/**
 * The main-process end of a message channel to a window: Electron's MessagePortMain
 * (https://www.electronjs.org/docs/latest/api/message-port-main: postMessage, start, close, the 'message' event with
 * `event.data`, the 'close' event when the other end goes away), seen through the few calls the live relay makes.
 */
export interface LivePort {
  postMessage(message: DesktopSiteLiveMessage): void;
  /** Data of each message the window sends. */
  onMessage(listener: (data: unknown) => void): void;
  /** The window closed its end (or went away). */
  onClose(listener: () => void): void;
  start(): void;
  close(): void;
}

/** Where and as whom the relay connects to a site (main process only: the token never leaves it). */
export interface SiteConnection {
  name: string;
  url: string;
  token: string;
}

export interface SiteLiveOptions {
  /** The site's address and token; throws SiteRequestError for an unknown site or one without a token. */
  connection(siteId: unknown): SiteConnection;
  /** Streams open at once per window (a wall of 3×3 on a few displays fits). */
  maxStreamsPerWindow?: number;
  handshakeTimeoutMs?: number;
}

const CAMERA = /^(?!\.{1,2}$)[A-Za-z0-9._~-]{1,200}$/;
const NONCE = /^[A-Za-z0-9_-]{8,64}$/;
/** A fragment of a camera's main stream is well under this; a larger message is not relayed. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** Checks a live request from a window; returns it or throws SiteRequestError naming the field. */
export function validateLiveRequest(input: unknown): DesktopSiteLiveRequest {
  const r = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  if (typeof r.site !== 'string') throw new SiteRequestError('site: expected a site id');
  if (typeof r.camera !== 'string' || !CAMERA.test(r.camera)) {
    throw new SiteRequestError('camera: expected a camera id (letters, digits, ".", "_", "~", "-")');
  }
  if (typeof r.nonce !== 'string' || !NONCE.test(r.nonce)) {
    throw new SiteRequestError('nonce: 8–64 letters, digits, "-" or "_"');
  }
  return { site: r.site, camera: r.camera, nonce: r.nonce };
}

function wsOrigin(url: string): string {
  return url.replace(/^http/, 'ws');
}

/** Keeps only a well-formed detection set of the camera asked for (what the window's overlay reads). */
function detectionsOf(text: string, camera: string): FrameDetections | undefined {
  let m: { kind?: unknown; data?: Partial<FrameDetections> };
  try {
    m = JSON.parse(text) as typeof m;
  } catch {
    return undefined;
  }
  const d = m.data;
  if (m.kind !== 'detections' || !d || d.cameraId !== camera || typeof d.ts !== 'number') return undefined;
  if (!Array.isArray(d.detections) || d.detections.length > 500) return undefined;
  return d as FrameDetections;
}

interface Stream {
  windowId: number;
  siteId: string;
  close(reason: string): void;
}

/**
 * Live video of other sites' cameras for the window, without their tokens reaching it: for each tile the main
 * process opens the site's live socket (`/api/live/:id`) and its realtime socket filtered to that camera
 * (`/api/ws?cameras=:id`), each with the site's token in the Authorization header, and passes what they carry to
 * the window's port unchanged (text and fMP4 as they came, detection sets of that camera only). Either end closing
 * closes the rest.
 */
export class SiteLiveRelay {
  readonly #log = createMainLogger('main.sites.live');
  readonly #streams = new Set<Stream>();

  constructor(private readonly o: SiteLiveOptions) {}

  /** Open streams (all windows). */
  get size(): number {
    return this.#streams.size;
  }

  /**
   * Starts relaying one camera of a site to `port`, for the window `windowId`. Throws SiteRequestError (and closes
   * the port) for a bad request, an unknown site or too many streams.
   */
  open(input: unknown, port: LivePort, windowId: number): DesktopSiteLiveRequest {
    let request: DesktopSiteLiveRequest;
    let site: SiteConnection;
    try {
      request = validateLiveRequest(input);
      site = this.o.connection(request.site);
      const max = this.o.maxStreamsPerWindow ?? 36;
      if ([...this.#streams].filter((s) => s.windowId === windowId).length >= max) {
        throw new SiteRequestError(`at most ${max} live streams of other sites per window`);
      }
    } catch (err) {
      port.close();
      throw err;
    }
    const camera = encodeURIComponent(request.camera);
    const options = {
      headers: { authorization: `Bearer ${site.token}` },
      handshakeTimeout: this.o.handshakeTimeoutMs ?? 10_000,
      maxPayload: MAX_MESSAGE_BYTES,
      followRedirects: false,
    };
    const video = new WebSocket(`${wsOrigin(site.url)}/api/live/${camera}`, options);
    const boxes = new WebSocket(`${wsOrigin(site.url)}/api/ws?cameras=${camera}`, options);
    let closed = false;
    const stream: Stream = {
      windowId,
      siteId: request.site,
      close: (reason) => {
        if (closed) return;
        closed = true;
        this.#streams.delete(stream);
        try {
          port.postMessage({ type: 'closed', reason });
        } catch {
          // The window is gone.
        }
        port.close();
        for (const ws of [video, boxes]) {
          ws.removeAllListeners('message');
          if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
          else ws.close();
        }
      },
    };
    this.#streams.add(stream);

    video.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) port.postMessage({ type: 'fmp4', data: new Uint8Array(data) });
      else port.postMessage({ type: 'text', data: data.toString('utf8') });
    });
    video.on('unexpected-response', (_req, res) => {
      res.resume();
      stream.close(
        res.statusCode === 401 || res.statusCode === 403
          ? `${site.name} refused the API token (HTTP ${res.statusCode})`
          : `${site.name} answered HTTP ${res.statusCode ?? 0} for the live stream`,
      );
    });
    video.on('error', (err) => stream.close(`${site.name} did not answer (${err.message})`));
    video.on('close', (code, reason) =>
      stream.close(reason.length ? reason.toString('utf8') : `${site.name} ended the live stream (${code})`),
    );
    boxes.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) return;
      const d = detectionsOf(data.toString('utf8'), request.camera);
      if (d) port.postMessage({ type: 'detections', data: d });
    });
    // Without detections the video still plays: a failed realtime socket only loses the boxes.
    boxes.on('unexpected-response', (_req, res) => res.resume());
    boxes.on('error', (err) => {
      if (!closed) this.#log.warn({ site: request.site, err: err.message }, 'no detections');
    });

    port.onMessage((data) => {
      if ((data as { type?: unknown } | null)?.type === 'close') stream.close('closed by the window');
    });
    port.onClose(() => stream.close('the window went away'));
    port.start();
    return request;
  }

  /** Ends the streams of one window (it closed or navigated away). */
  closeWindow(windowId: number): void {
    for (const s of [...this.#streams]) if (s.windowId === windowId) s.close('the window closed');
  }

  /** Ends the streams of a site (it was removed: its token must no longer be used). */
  closeSite(siteId: string): void {
    for (const s of [...this.#streams]) if (s.siteId === siteId) s.close('the site was removed');
  }

  dispose(): void {
    for (const s of [...this.#streams]) s.close('Vigil is quitting');
  }
}
