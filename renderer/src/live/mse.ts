import { parseFragment, TimeMap } from './fmp4';

function concat(parts: ArrayBuffer[]): ArrayBuffer {
  let size = 0;
  for (const p of parts) size += p.byteLength;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), at);
    at += p.byteLength;
  }
  return out.buffer;
}

/** What a live stream delivers: text messages (info, time, error), fMP4 fragments, then its end. */
export interface LiveHandlers {
  text(text: string): void;
  binary(data: ArrayBuffer): void;
  /** The stream ended (the player reconnects after a pause). */
  closed(reason: string): void;
}

/** Opens one connection to a live stream; `close()` ends it without calling `closed`. */
export type LiveSource = (handlers: LiveHandlers) => { close(): void };

/** The camera's own live WebSocket on this window's origin (WS /api/live/:id). */
export function webSocketSource(url: string): LiveSource {
  return (h) => {
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    let open = true;
    ws.onmessage = (e: MessageEvent<string | ArrayBuffer>) => {
      if (typeof e.data === 'string') h.text(e.data);
      else h.binary(e.data);
    };
    ws.onclose = (e) => {
      if (open) h.closed(e.reason);
      open = false;
    };
    return {
      close: () => {
        open = false;
        ws.close();
      },
    };
  };
}

export type PlayerState = 'connecting' | 'playing' | 'stalled' | 'error';

export interface PlayerCallbacks {
  onState(state: PlayerState, reason?: string): void;
}

/** Text messages of WS /api/live/:id. */
interface InfoMessage {
  type: 'info';
  mime: string;
}
interface TimeMessage {
  type: 'time';
  /** Media time in seconds (or `pts`/`mediaTime`), and the wall-clock capture time of that media time. */
  mediaTime?: number;
  pts?: number;
  wallTs?: number;
  ts?: number;
}

const LIVE_LAG_MAX_S = 1.5;
const KEEP_BEHIND_S = 10;
/** The picture is never held back more than this behind the live edge to wait for detections. */
const MAX_EXTRA_DELAY_S = 2;

/**
 * Plays a camera's live fMP4 WebSocket through Media Source Extensions: the first text message names the codec,
 * then come the init segment and media fragments. Keeps playback near the live edge, trims old buffer, reconnects
 * when the socket closes, and maps the video's time to wall-clock time for the overlays.
 */
export class MsePlayer {
  readonly timeMap = new TimeMap();
  #conn: { close(): void } | undefined;
  #generation = 0;
  readonly #source: LiveSource;
  #ms: MediaSource | undefined;
  #sb: SourceBuffer | undefined;
  #queue: ArrayBuffer[] = [];
  #timescale: number | undefined;
  #serverTime = false;
  #prevArrival: number | undefined;
  #objectUrl: string | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #lastTime = -1;
  #lastAdvance = 0;
  #disposed = false;
  #state: PlayerState = 'connecting';
  /** Fragments received (for stats). */
  fragments = 0;
  stalls = 0;
  /** How far behind capture the picture should be shown (ms): at least the detection delay, so boxes keep up. */
  targetDelayMs = 0;

  /** `source`: the URL of the camera's live WebSocket on this origin, or another source of the same messages. */
  constructor(
    private readonly video: HTMLVideoElement,
    source: string | LiveSource,
    private readonly callbacks: PlayerCallbacks,
  ) {
    this.#source = typeof source === 'string' ? webSocketSource(source) : source;
  }

  start(): void {
    this.#connect();
    this.#timer = setInterval(() => this.#tick(), 500);
  }

  #setState(state: PlayerState, reason?: string): void {
    if (state === this.#state && state !== 'error') return;
    this.#state = state;
    this.callbacks.onState(state, reason);
  }

  #connect(): void {
    if (this.#disposed) return;
    this.#setState('connecting');
    this.#teardownMedia();
    // Messages of an earlier connection (closed, or replaced by a reconnect) are ignored.
    const generation = ++this.#generation;
    this.#conn = this.#source({
      text: (text) => {
        if (generation === this.#generation) this.#onText(text);
      },
      binary: (data) => {
        if (generation === this.#generation) this.#onBinary(data);
      },
      closed: (reason) => {
        if (this.#disposed || generation !== this.#generation) return;
        this.#setState('error', reason || 'live stream disconnected; reconnecting');
        this.#retry = setTimeout(() => this.#connect(), 2000);
      },
    });
  }

  #onText(text: string): void {
    let msg: InfoMessage | TimeMessage | { type?: string; message?: string };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      return;
    }
    if (msg.type === 'info' && 'mime' in msg) this.#openMedia(msg.mime);
    else if (msg.type === 'time') {
      const t = msg as TimeMessage;
      const media = t.mediaTime ?? t.pts;
      const wall = t.wallTs ?? t.ts;
      if (typeof media === 'number' && typeof wall === 'number') {
        this.#serverTime = true;
        this.timeMap.add(media, wall);
      }
    } else if (msg.type === 'error') {
      this.#setState('error', (msg as { message?: string }).message ?? 'live stream error');
    }
  }

  #openMedia(mime: string): void {
    if (typeof MediaSource === 'undefined' || !MediaSource.isTypeSupported(mime)) {
      this.#setState('error', `this browser cannot play ${mime}`);
      return;
    }
    const ms = new MediaSource();
    this.#ms = ms;
    this.#objectUrl = URL.createObjectURL(ms);
    this.video.src = this.#objectUrl;
    ms.addEventListener(
      'sourceopen',
      () => {
        if (ms !== this.#ms) return;
        try {
          const sb = ms.addSourceBuffer(mime);
          sb.mode = 'segments';
          sb.addEventListener('updateend', () => this.#pump());
          this.#sb = sb;
          this.#pump();
        } catch (err) {
          this.#setState('error', `cannot decode the live stream: ${String(err)}`);
        }
      },
      { once: true },
    );
  }

  #onBinary(buf: ArrayBuffer): void {
    this.fragments++;
    const timing = parseFragment(buf, this.#timescale);
    if (timing.timescale) this.#timescale = timing.timescale;
    if (timing.prftWallMs !== undefined && timing.prftMediaSec !== undefined) {
      this.timeMap.add(timing.prftMediaSec, timing.prftWallMs);
      this.#serverTime = true;
    } else if (!this.#serverTime && timing.startSec !== undefined) {
      // No time reference in the stream: the muxer emits a fragment once the next one's first frame has arrived,
      // so this fragment's first frame reached the backend about when the previous fragment reached us.
      const now = Date.now();
      this.timeMap.add(timing.startSec, this.#prevArrival ?? now);
      this.#prevArrival = now;
    }
    this.#queue.push(buf);
    if (this.#queue.length > 200) this.#queue.splice(1, this.#queue.length - 100);
    this.#pump();
  }

  #pump(): void {
    const sb = this.#sb;
    if (!sb || sb.updating || this.#queue.length === 0 || this.#ms?.readyState !== 'open') return;
    // Everything that arrived while the previous append ran goes in one append (one updateend, not one per fragment).
    const next = this.#queue.length === 1 ? this.#queue.shift() : concat(this.#queue.splice(0));
    if (!next) return;
    try {
      sb.appendBuffer(next);
    } catch (err) {
      if ((err as DOMException).name === 'QuotaExceededError') {
        this.#queue.unshift(next);
        this.#trim(2);
      } else this.#setState('error', `live stream rejected: ${String(err)}`);
    }
  }

  #trim(keepS = KEEP_BEHIND_S): void {
    const sb = this.#sb;
    if (!sb || sb.updating || sb.buffered.length === 0) return;
    const start = sb.buffered.start(0);
    const cut = this.video.currentTime - keepS;
    if (cut - start > 1) {
      try {
        sb.remove(start, cut);
      } catch {
        /* removed next time */
      }
    }
  }

  #tick(): void {
    const v = this.video;
    const sb = this.#sb;
    if (!sb || sb.buffered.length === 0) return;
    const end = sb.buffered.end(sb.buffered.length - 1);
    const start = sb.buffered.start(0);
    // Where the picture should be: near the live edge, but no earlier than the detections allow.
    const nowMs = Date.now();
    const edgeWall = this.timeMap.toWall(end);
    const edgeDelayMs = edgeWall === undefined ? 0 : Math.max(0, nowMs - edgeWall);
    const extraS = Math.min(MAX_EXTRA_DELAY_S, Math.max(0, (this.targetDelayMs - edgeDelayMs) / 1000));
    const wanted = Math.max(start, end - 0.3 - extraS);
    const behind = wanted - v.currentTime; // > 0: the picture is later than wanted
    const ranges = sb.buffered;
    let inRange = false;
    let nextStart: number | undefined;
    for (let i = 0; i < ranges.length; i++) {
      if (v.currentTime >= ranges.start(i) && v.currentTime < ranges.end(i)) inRange = true;
      else if (ranges.start(i) > v.currentTime && nextStart === undefined) nextStart = ranges.start(i);
    }
    if (v.currentTime < start || behind > LIVE_LAG_MAX_S * 2) {
      // Start, or catch up after falling far behind: jump forward (never back: frames would repeat).
      v.currentTime = wanted;
      v.playbackRate = 1;
    } else if (!inRange && nextStart !== undefined) {
      // A hole in the buffer (fragments skipped while this viewer lagged): skip it.
      v.currentTime = nextStart;
    } else if (behind > 0.25) v.playbackRate = 1.15;
    else if (behind < -0.25) v.playbackRate = 0.85;
    else v.playbackRate = 1;
    if (v.paused) void v.play().catch(() => {});
    const now = performance.now();
    if (v.currentTime !== this.#lastTime) {
      this.#lastTime = v.currentTime;
      this.#lastAdvance = now;
      this.#setState('playing');
    } else if (now - this.#lastAdvance > 4000 && this.#state === 'playing') {
      this.stalls++;
      this.#setState('stalled', 'no new video for 4 s');
    }
    this.#trim();
  }

  #teardownMedia(): void {
    this.#queue = [];
    this.#sb = undefined;
    this.#timescale = undefined;
    this.#serverTime = false;
    this.#prevArrival = undefined;
    this.timeMap.clear();
    if (this.#ms && this.#ms.readyState === 'open') {
      try {
        this.#ms.endOfStream();
      } catch {
        /* already ended */
      }
    }
    this.#ms = undefined;
    if (this.#objectUrl) {
      this.video.removeAttribute('src');
      this.video.load();
      URL.revokeObjectURL(this.#objectUrl);
      this.#objectUrl = undefined;
    }
  }

  dispose(): void {
    this.#disposed = true;
    clearInterval(this.#timer);
    clearTimeout(this.#retry);
    const conn = this.#conn;
    this.#conn = undefined;
    this.#generation++;
    conn?.close();
    this.#teardownMedia();
  }
}
