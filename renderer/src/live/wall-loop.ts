/**
 * One loop for every tile of the window: overlays are drawn in a single requestAnimationFrame pass, and only for
 * tiles whose displayed frame changed (requestVideoFrameCallback) or whose canvas was resized; the per-second work
 * (clock text, playback figures, hold-back) runs in a single timer. Nothing here allocates per frame or touches
 * React state.
 */

/** A tile as the loop sees it. */
export interface LoopTile {
  /** The displayed frame changed (or something else that needs a redraw): called in the shared animation frame. */
  draw(): void;
  /** Once a second. */
  slowTick(now: number): void;
  /** Whether the tile's overlay must be redrawn at the next animation frame. */
  dirty: boolean;
}

const tiles = new Set<LoopTile>();
let raf = 0;
let timer: ReturnType<typeof setInterval> | undefined;

function flush(): void {
  raf = 0;
  for (const t of tiles) {
    if (!t.dirty) continue;
    t.dirty = false;
    t.draw();
  }
}

/** Asks for a redraw of `tile` at the next animation frame (one frame callback for the whole wall). */
export function requestDraw(tile: LoopTile): void {
  tile.dirty = true;
  if (!raf) raf = requestAnimationFrame(flush);
}

/** Adds a tile to the loop; returns the function that removes it. */
export function addTile(tile: LoopTile): () => void {
  tiles.add(tile);
  timer ??= setInterval(() => {
    const now = Date.now();
    for (const t of tiles) t.slowTick(now);
  }, 1000);
  return () => {
    tiles.delete(tile);
    if (tiles.size === 0) {
      clearInterval(timer);
      timer = undefined;
      if (raf) cancelAnimationFrame(raf);
      raf = 0;
    }
  };
}

/** Whether the browser tells when a video frame is presented (then the loop only runs on new frames). */
export const hasVideoFrameCallback =
  typeof HTMLVideoElement !== 'undefined' && 'requestVideoFrameCallback' in HTMLVideoElement.prototype;

/**
 * Calls `onFrame(mediaTime)` for each frame the video presents, with the frame's own media time (more exact than
 * currentTime, which runs ahead of the picture). Without requestVideoFrameCallback, polls currentTime once per
 * animation frame instead. Returns the function that stops it.
 */
export function onVideoFrames(video: HTMLVideoElement, onFrame: (mediaTime: number) => void): () => void {
  let stopped = false;
  if (hasVideoFrameCallback) {
    let handle = 0;
    const cb = (_now: number, meta: VideoFrameCallbackMetadata) => {
      if (stopped) return;
      onFrame(meta.mediaTime);
      handle = video.requestVideoFrameCallback(cb);
    };
    handle = video.requestVideoFrameCallback(cb);
    return () => {
      stopped = true;
      video.cancelVideoFrameCallback(handle);
    };
  }
  let last = -1;
  let handle = 0;
  const poll = () => {
    if (stopped) return;
    if (video.currentTime !== last) {
      last = video.currentTime;
      onFrame(last);
    }
    handle = requestAnimationFrame(poll);
  };
  handle = requestAnimationFrame(poll);
  return () => {
    stopped = true;
    cancelAnimationFrame(handle);
  };
}
