import type { LiveInfoMessage, LiveTimeMessage } from '../contract/video-api.js';
import { codecFromInit, type Fragment } from './fmp4.js';

/** What the hub needs from a WebSocket (the `ws` socket satisfies it). */
export interface LiveSocket {
  readonly bufferedAmount: number;
  readonly readyState: number;
  send(data: Buffer | string): void;
  close(code?: number, reason?: string): void;
}

/** A viewer falls this far behind (bytes queued) before it skips to the next keyframe. */
const MAX_BUFFERED = 8 * 1024 * 1024;
/** Upper bound of the cached group of pictures (a camera with a very long GOP must not grow memory). */
const MAX_GOP_BYTES = 32 * 1024 * 1024;

interface Viewer {
  socket: LiveSocket;
  /** Waiting for a keyframe before sending more (after joining without a cached GOP, or after lagging). */
  waitingForKeyframe: boolean;
}

/** The time message that goes before a fragment, when its timing is known. */
function timeMessage(f: Fragment): string | undefined {
  if (f.endSec === undefined || f.receivedAt === undefined) return undefined;
  const msg: LiveTimeMessage = { type: 'time', mediaTime: f.endSec, wallTs: f.receivedAt };
  return JSON.stringify(msg);
}

/**
 * Fans one camera's live fMP4 out to its viewers. Keeps the init segment and the fragments since the last keyframe,
 * so a viewer who joins late starts decoding at once, at a keyframe.
 */
export class LiveHub {
  #init: Buffer | undefined;
  #mime = 'video/mp4';
  #gop: Fragment[] = [];
  #gopBytes = 0;
  readonly #viewers = new Set<Viewer>();

  get viewers(): number {
    return this.#viewers.size;
  }

  get mime(): string {
    return this.#mime;
  }

  /** A new stream session began: its init segment replaces the old one; viewers get the new info and init. */
  setInit(init: Buffer): void {
    this.#init = init;
    const codec = codecFromInit(init);
    this.#mime = codec ? `video/mp4; codecs="${codec}"` : 'video/mp4';
    this.#gop = [];
    this.#gopBytes = 0;
    for (const v of this.#viewers) {
      this.#sendHeader(v.socket);
      v.waitingForKeyframe = true;
    }
  }

  push(fragment: Fragment): void {
    if (fragment.keyframe) {
      this.#gop = [fragment];
      this.#gopBytes = fragment.data.length;
    } else if (this.#gop.length > 0 && this.#gopBytes + fragment.data.length <= MAX_GOP_BYTES) {
      this.#gop.push(fragment);
      this.#gopBytes += fragment.data.length;
    } else {
      this.#gop = [];
      this.#gopBytes = 0;
    }
    const time = timeMessage(fragment);
    for (const v of this.#viewers) {
      if (v.socket.readyState !== 1) continue;
      if (v.socket.bufferedAmount > MAX_BUFFERED) {
        v.waitingForKeyframe = true;
        continue;
      }
      if (v.waitingForKeyframe && !fragment.keyframe) continue;
      v.waitingForKeyframe = false;
      if (time) v.socket.send(time);
      v.socket.send(fragment.data);
    }
  }

  #sendHeader(socket: LiveSocket): void {
    const info: LiveInfoMessage = { type: 'info', mime: this.#mime };
    socket.send(JSON.stringify(info));
    if (this.#init) socket.send(this.#init);
  }

  /** Adds a viewer; returns a function that removes it. */
  add(socket: LiveSocket): () => void {
    const viewer: Viewer = { socket, waitingForKeyframe: true };
    if (this.#init) {
      this.#sendHeader(socket);
      if (this.#gop.length > 0) {
        for (const f of this.#gop) {
          const time = timeMessage(f);
          if (time) socket.send(time);
          socket.send(f.data);
        }
        viewer.waitingForKeyframe = false;
      }
    }
    this.#viewers.add(viewer);
    return () => this.#viewers.delete(viewer);
  }

  /** A viewer added before the first init gets the header when it arrives (setInit sends it). */
  closeAll(code: number, reason: string): void {
    for (const v of this.#viewers) v.socket.close(code, reason);
    this.#viewers.clear();
  }
}
