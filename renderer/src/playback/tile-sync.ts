import type { RecordingTimelineResponse } from '../../../backend/src/contract/video-api';
import { api, path, Routes } from '../lib/api-client';
import { clipUrl, clipWindow, correction, mediaTimeAt, wallTimeAt, type ClipWindow } from './model';

/** What a tile is doing at the shared instant. */
export type TileState = 'playing' | 'paused' | 'loading' | 'gap' | 'error';

/** Recordings around the instant are asked for this far either side. */
const FETCH_AROUND_MS = 15 * 60_000;
/** Recordings near now are asked for again this often (segments close every few seconds). */
const RECENT_REFRESH_MS = 5_000;
/** A tile waiting this long for its clip stops holding the others back. */
const MAX_HOLD_MS = 6_000;
/** Short dips in decoded data that do not count as a stall. */
const LOW_DATA_MS = 300;

/**
 * One playback tile's video element, kept on the shared clock: loads the clip that holds the instant (a run of
 * whole segments), seeks when far off, and otherwise nudges its playback rate so that every tile shows the same
 * instant without the stall a seek costs.
 */
export class TileSync {
  state: TileState = 'loading';
  /** Gap under the instant, with its cause, when the camera has no footage there. */
  gap: RecordingTimelineResponse['gaps'][number] | undefined;
  #window: ClipWindow | undefined;
  #timeline: RecordingTimelineResponse | undefined;
  #fetching = false;
  #fetchedAt = 0;
  #waitingSince: number | undefined;
  #lowSince: number | undefined;
  #lastPausedAt: number | undefined;
  #disposed = false;

  constructor(
    readonly cameraId: string,
    readonly video: HTMLVideoElement,
    private readonly onChange: () => void,
  ) {
    video.muted = true;
    video.playsInline = true;
    video.preload = 'auto';
    video.addEventListener('error', this.#onError);
    this.#watchFrames();
  }

  /** Media-time steps between frames presented one after the other (the footage's own frame duration). */
  readonly #frameSteps: number[] = [];

  /** Duration of one frame of this camera's footage in ms, once some frames were shown; undefined before. */
  frameMs(): number | undefined {
    if (this.#frameSteps.length < 3) return undefined;
    const sorted = [...this.#frameSteps].sort((a, b) => a - b);
    return (sorted[Math.floor(sorted.length / 2)] as number) * 1000;
  }

  #watchFrames(): void {
    const v = this.video as HTMLVideoElement & {
      requestVideoFrameCallback?: (
        cb: (now: number, meta: { mediaTime: number; presentedFrames: number }) => void,
      ) => number;
    };
    if (!v.requestVideoFrameCallback) return;
    let last: { mediaTime: number; presented: number } | undefined;
    const onFrame = (_now: number, meta: { mediaTime: number; presentedFrames: number }) => {
      if (this.#disposed) return;
      // Consecutive frames only (none dropped in between): their media-time step is one frame.
      if (last && meta.presentedFrames === last.presented + 1) {
        const step = meta.mediaTime - last.mediaTime;
        if (step > 0.004 && step < 1) {
          this.#frameSteps.push(step);
          if (this.#frameSteps.length > 31) this.#frameSteps.shift();
        }
      }
      last = { mediaTime: meta.mediaTime, presented: meta.presentedFrames };
      v.requestVideoFrameCallback?.(onFrame);
    };
    v.requestVideoFrameCallback(onFrame);
  }

  readonly #onError = (): void => {
    if (!this.video.getAttribute('src')) return;
    this.state = 'error';
    this.onChange();
  };

  /** The instant the tile shows now (wall ms), when it shows footage. */
  shownInstant(): number | undefined {
    if (!this.#window || this.video.readyState < 2) return undefined;
    return wallTimeAt(this.#window, this.video.currentTime);
  }

  /** Whether the shared clock should wait for this tile (it has footage at the instant but no picture yet). */
  holding(now = performance.now()): boolean {
    if (this.state !== 'loading' || this.#waitingSince === undefined) return false;
    return now - this.#waitingSince < MAX_HOLD_MS;
  }

  /** Follows the shared clock: instant `t` (wall ms), playing or not, at `speed`. */
  sync(t: number, playing: boolean, speed: number): void {
    if (this.#disposed) return;
    this.#ensureTimeline(t);
    const tl = this.#timeline;
    if (!tl) return this.#set('loading');
    let wanted = this.#window ? mediaTimeAt(this.#window, t) : undefined;
    if (wanted === undefined) {
      const w = clipWindow(this.cameraId, tl.segments, t);
      if (!w) {
        this.#window = undefined;
        if (this.video.getAttribute('src')) {
          this.video.pause();
          this.video.removeAttribute('src');
          this.video.load();
        }
        this.gap = tl.gaps.find((g) => g.start <= t && t < g.end);
        return this.#set('gap');
      }
      this.#window = w;
      this.gap = undefined;
      this.video.src = clipUrl(w);
      this.#lastPausedAt = undefined;
      wanted = mediaTimeAt(w, t) ?? 0;
    }
    const v = this.video;
    if (v.readyState < 1) {
      this.#waitingSince ??= performance.now();
      return this.#set('loading');
    }
    if (!playing) {
      if (!v.paused) v.pause();
      // One seek per new instant: seeking again while a seek runs restarts the decode.
      if (!v.seeking && (this.#lastPausedAt !== t || Math.abs(v.currentTime - wanted) > 0.02)) {
        this.#lastPausedAt = t;
        if (Math.abs(v.currentTime - wanted) > 0.0005) v.currentTime = wanted;
      }
      this.#waitingSince = v.readyState < 2 ? (this.#waitingSince ?? performance.now()) : undefined;
      return this.#set(v.readyState < 2 ? 'loading' : 'paused');
    }
    this.#lastPausedAt = undefined;
    // A decoder a moment behind (HAVE_CURRENT_DATA for a few frames) is not a stall: only a seek in progress, or
    // one lasting beyond LOW_DATA_MS, holds the others back.
    const now = performance.now();
    const low = v.readyState < 3;
    this.#lowSince = low ? (this.#lowSince ?? now) : undefined;
    if (v.seeking || (low && now - (this.#lowSince ?? now) > LOW_DATA_MS)) {
      this.#waitingSince ??= now;
      if (v.paused) void v.play().catch(() => {});
      return this.#set('loading');
    }
    this.#waitingSince = undefined;
    const c = correction(speed, v.currentTime - wanted, wanted);
    if (c.seekTo !== undefined && !low) v.currentTime = c.seekTo;
    if (Math.abs(v.playbackRate - c.rate) > 1e-3) v.playbackRate = c.rate;
    if (v.paused) void v.play().catch(() => {});
    this.#set('playing');
  }

  #set(state: TileState): void {
    if (state === this.state) return;
    this.state = state;
    this.onChange();
  }

  /** Loads the camera's recordings around `t` when `t` leaves what was loaded, and near now every few seconds. */
  #ensureTimeline(t: number): void {
    if (this.#fetching) return;
    const tl = this.#timeline;
    const now = Date.now();
    const covered = tl && t >= tl.from && t <= tl.to;
    const nearEdge = tl && (t < tl.from + 60_000 || t > tl.to - 60_000 || tl.to > now - 60_000);
    if (covered && (!nearEdge || now - this.#fetchedAt < RECENT_REFRESH_MS)) return;
    if (!covered && now - this.#fetchedAt < 1000) return;
    this.#fetching = true;
    const from = Math.round(t - FETCH_AROUND_MS);
    const to = Math.round(Math.min(now, t + FETCH_AROUND_MS));
    void api
      .get<RecordingTimelineResponse>(
        path(Routes.video.timeline, { id: this.cameraId }, { from, to: Math.max(to, from + 1) }),
      )
      .then((r) => {
        this.#fetching = false;
        this.#fetchedAt = Date.now();
        if (this.#disposed) return;
        if (r.ok) {
          const grew = this.#timeline && r.data.segments.length !== this.#timeline.segments.length;
          this.#timeline = r.data;
          // New segments closed after the end of the window: the next window is longer; keep playing this one.
          if (grew) this.onChange();
        } else {
          this.state = 'error';
          this.onChange();
        }
      });
  }

  dispose(): void {
    this.#disposed = true;
    this.video.removeEventListener('error', this.#onError);
    this.video.pause();
    this.video.removeAttribute('src');
    this.video.load();
  }
}
