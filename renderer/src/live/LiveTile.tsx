import { memo, useEffect, useRef, useState } from 'react';
import type { CameraStatus, FrameDetections, Zone } from '../../../backend/src/contract';
import { analysisIntervalMs, detectionBuffer, detectionLagMs } from '../lib/store';
import { path, Routes } from '../lib/api-client';
import { wsUrl } from '../lib/realtime';
import { MsePlayer, type LiveSource, type PlayerState } from './mse';
import { contentRect, drawDetections, drawZones, matchOptions } from './overlay';
import { addTile, onVideoFrames, requestDraw, type LoopTile } from './wall-loop';

/** Figures every tile publishes for the wall benchmark and the end-to-end tests. */
export interface TileStats {
  cameraId: string;
  state: PlayerState;
  /** Media time of the displayed frame (s). */
  currentTime: number;
  /** Wall-clock time of the displayed frame, when known. */
  displayedWallMs?: number;
  /** Capture time of the detections drawn now (undefined: no boxes), and when they were drawn. */
  drawnTs?: number;
  drawnAt?: number;
  boxes: number;
  labels: string[];
  fragments: number;
  stalls: number;
  droppedFrames: number;
  /** How far behind capture the picture is held so that detections keep up (ms). */
  targetDelayMs: number;
  /** How long after capture this tile's detection sets arrive (ms; undefined: none yet). */
  detectionLagMs?: number;
  /** Detections waiting for their frame. */
  pending: number;
  /** Overlay redraws (the overlay is drawn only when the boxes or the canvas change). */
  draws: number;
}

declare global {
  interface Window {
    vigilTiles?: Map<string, TileStats>;
  }
}

const STATE_TEXT: Record<string, string> = {
  starting: 'starting',
  streaming: 'live',
  reconnecting: 'reconnecting',
  failed: 'failed',
  disabled: 'disabled',
};

/** Margin on top of the detection delay when holding the picture back: one video frame and some jitter (ms). */
const HOLD_MARGIN_MS = 100;
/** The picture is never held back further than this for detections (ms): a live view must stay live. */
const MAX_HOLD_MS = 2000;

const clockFormat = new Intl.DateTimeFormat([], {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

function LiveTileView(props: {
  tileKey: string;
  camera: CameraStatus | undefined;
  cameraId: string;
  selected: boolean;
  showZones: boolean;
  zones: Zone[];
  index: number;
  /** Where the video comes from when not this site's WS /api/live/:id (a camera of another site). */
  source?: LiveSource;
  /** Key of the tile's detection sets in the store: the camera id, unless the camera is another site's. */
  feed?: string;
}) {
  const { camera, cameraId, showZones, zones, tileKey, source } = props;
  const feed = props.feed ?? cameraId;
  const videoRef = useRef<HTMLVideoElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const clockRef = useRef<HTMLSpanElement>(null);
  const [player, setPlayer] = useState<{ state: PlayerState; reason?: string }>({ state: 'connecting' });
  const zonesRef = useRef({ showZones, zones });
  // Analysis frames per second of the camera (5 by default): one analysis frame is how long a detection set lasts.
  const analysisFpsRef = useRef(camera?.fpsOut ?? 0);
  analysisFpsRef.current = camera?.fpsOut ?? 0;
  const tileRef = useRef<LoopTile | undefined>(undefined);
  useEffect(() => {
    zonesRef.current = { showZones, zones };
    if (tileRef.current) requestDraw(tileRef.current);
  }, [showZones, zones]);

  useEffect(() => {
    const video = videoRef.current;
    const canvas = canvasRef.current;
    const clock = clockRef.current;
    if (!video || !canvas || !clock) return;
    const mse = new MsePlayer(video, source ?? wsUrl(path(Routes.video.live, { id: cameraId })), {
      onState: (state, reason) => setPlayer({ state, reason }),
    });
    mse.start();
    const stats: TileStats = {
      cameraId,
      state: 'connecting',
      currentTime: 0,
      boxes: 0,
      labels: [],
      fragments: 0,
      stalls: 0,
      droppedFrames: 0,
      targetDelayMs: 0,
      pending: 0,
      draws: 0,
    };
    window.vigilTiles ??= new Map();
    window.vigilTiles.set(tileKey, stats);
    const buffer = detectionBuffer(feed);
    const ctx = canvas.getContext('2d');
    const match = matchOptions();
    // Canvas size in CSS pixels, read only when the tile is resized (never per frame).
    let cssW = 0;
    let cssH = 0;
    let dpr = 1;
    let sized = false;
    let frameMediaTime = -1;
    let drawn: FrameDetections | undefined;
    let drawnZones = false;
    let clockSecond = 0;

    const tile: LoopTile = {
      dirty: false,
      draw() {
        if (!ctx || frameMediaTime < 0) return;
        const wall = mse.timeMap.toWall(frameMediaTime);
        stats.currentTime = frameMediaTime;
        stats.displayedWallMs = wall;
        const hit = wall === undefined ? undefined : buffer.match(wall, match);
        const z = zonesRef.current;
        if (hit === drawn && !sized && z.showZones === drawnZones) return;
        sized = false;
        drawn = hit;
        drawnZones = z.showZones;
        stats.draws++;
        ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
        ctx.clearRect(0, 0, cssW, cssH);
        const rect = contentRect(cssW, cssH, video.videoWidth, video.videoHeight);
        if (z.showZones) drawZones(ctx, z.zones, rect);
        if (hit) {
          drawDetections(ctx, hit, rect, Math.max(1, cssH / 400));
          stats.drawnTs = hit.ts;
          stats.drawnAt = Date.now();
          stats.boxes = hit.detections.length;
          stats.labels = hit.detections.map((d) => d.label);
        } else {
          stats.drawnTs = undefined;
          stats.boxes = 0;
          stats.labels = [];
        }
        canvas.dataset.boxes = String(stats.boxes);
        canvas.dataset.labels = stats.labels.join(',');
      },
      slowTick() {
        stats.state = mse.fragments && video.currentTime > 0 ? 'playing' : 'connecting';
        stats.fragments = mse.fragments;
        stats.stalls = mse.stalls;
        stats.pending = buffer.size;
        stats.droppedFrames = video.getVideoPlaybackQuality?.().droppedVideoFrames ?? 0;
        // Show frames late enough for their detections to have arrived: the picture waits for the boxes.
        const lag = detectionLagMs(feed);
        stats.detectionLagMs = lag;
        mse.targetDelayMs = lag === undefined ? 0 : Math.min(MAX_HOLD_MS, lag + HOLD_MARGIN_MS);
        stats.targetDelayMs = mse.targetDelayMs;
        // Boxes belong to one analysis frame: drawn with the video frames until the next analysis frame is due (plus
        // one video frame of tolerance), then stale and cleared, also when the detector skipped that frame.
        const fps = analysisFpsRef.current;
        const frameMs = fps > 0.5 ? 1000 / fps : (analysisIntervalMs(feed) ?? 200);
        match.holdMs = Math.min(1000, Math.max(100, frameMs)) + 40;
        const wall = stats.displayedWallMs;
        const second = wall === undefined ? 0 : Math.floor(wall / 1000);
        if (second !== clockSecond) {
          clockSecond = second;
          clock.textContent = wall === undefined ? '' : clockFormat.format(wall);
        }
      },
    };
    tileRef.current = tile;
    const resize = new ResizeObserver((entries) => {
      const box = entries[0]?.contentRect;
      if (!box) return;
      cssW = box.width;
      cssH = box.height;
      dpr = window.devicePixelRatio || 1;
      canvas.width = Math.round(cssW * dpr);
      canvas.height = Math.round(cssH * dpr);
      sized = true;
      requestDraw(tile);
    });
    resize.observe(canvas);
    const stopFrames = onVideoFrames(video, (mediaTime) => {
      frameMediaTime = mediaTime;
      requestDraw(tile);
    });
    const removeTile = addTile(tile);
    return () => {
      removeTile();
      stopFrames();
      resize.disconnect();
      mse.dispose();
      tileRef.current = undefined;
      window.vigilTiles?.delete(tileKey);
    };
  }, [cameraId, tileKey, source, feed]);

  const camState = camera?.state ?? 'starting';
  const badgeState = camState === 'streaming' && player.state === 'stalled' ? 'reconnecting' : camState;
  const reason =
    camera?.reason ?? (player.state === 'error' || player.state === 'stalled' ? player.reason : undefined);
  return (
    <>
      <video ref={videoRef} className="tile-video" muted autoPlay playsInline data-camera={cameraId} />
      <canvas ref={canvasRef} className="tile-overlay" data-boxes="0" data-labels="" />
      <div className="tile-top">
        <span className="tile-num">{props.index + 1}</span>
        <span className="tile-name">{camera?.name ?? cameraId}</span>
        <span className={`badge state-${badgeState}`} title={reason}>
          {STATE_TEXT[badgeState] ?? badgeState}
          {reason && badgeState !== 'streaming' ? `: ${reason}` : ''}
        </span>
      </div>
      <div className="tile-bottom">
        {camera?.recording ? <span className="rec">● REC</span> : null}
        <span className="tile-clock" ref={clockRef} />
      </div>
      {player.state !== 'playing' && badgeState !== 'streaming' ? (
        <div className="tile-message">{reason ?? 'Connecting…'}</div>
      ) : null}
    </>
  );
}

/**
 * A live tile: video through MSE, detection boxes of the displayed frame on a canvas over it. Re-renders only when
 * what it shows in text changes (the camera list is refreshed every few seconds with new objects).
 */
export const LiveTile = memo(
  LiveTileView,
  (a, b) =>
    a.tileKey === b.tileKey &&
    a.cameraId === b.cameraId &&
    a.source === b.source &&
    a.feed === b.feed &&
    a.selected === b.selected &&
    a.showZones === b.showZones &&
    a.zones === b.zones &&
    a.index === b.index &&
    a.camera?.name === b.camera?.name &&
    a.camera?.state === b.camera?.state &&
    a.camera?.reason === b.camera?.reason &&
    a.camera?.recording === b.camera?.recording &&
    Math.round(a.camera?.fpsOut ?? 0) === Math.round(b.camera?.fpsOut ?? 0),
);
