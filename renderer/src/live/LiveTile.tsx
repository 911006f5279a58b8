import { useEffect, useRef, useState } from 'react';
import { analysisIntervalMs, detectionBuffer, detectionLagMs } from '../lib/store';
import type { CameraStatus, Zone } from '../../../backend/src/contract';
import { wsUrl } from '../lib/realtime';
import { MsePlayer, type PlayerState } from './mse';
import { DEFAULT_MATCH, contentRect, drawDetections, drawZones } from './overlay';

/** Figures every tile publishes for the wall benchmark and the end-to-end tests. */
export interface TileStats {
  cameraId: string;
  state: PlayerState;
  currentTime: number;
  /** Wall-clock time of the displayed frame, when known. */
  displayedWallMs?: number;
  /** Capture time of the detections drawn last, and when they were drawn. */
  drawnTs?: number;
  drawnAt?: number;
  boxes: number;
  labels: string[];
  fragments: number;
  stalls: number;
  droppedFrames: number;
  /** How far behind capture the picture is held so that detections keep up (ms). */
  targetDelayMs: number;
  /** Detections waiting for their frame. */
  pending: number;
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

export function LiveTile(props: {
  tileKey: string;
  camera: CameraStatus | undefined;
  cameraId: string;
  selected: boolean;
  showZones: boolean;
  zones: Zone[];
  index: number;
}) {
  const { camera, cameraId, showZones, zones, tileKey } = props;
  const videoRef = useRef<HTMLVideoElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [player, setPlayer] = useState<{ state: PlayerState; reason?: string }>({ state: 'connecting' });
  const [clock, setClock] = useState<number | undefined>();
  const zonesRef = useRef({ showZones, zones });
  useEffect(() => {
    zonesRef.current = { showZones, zones };
  }, [showZones, zones]);

  useEffect(() => {
    const video = videoRef.current;
    const canvas = canvasRef.current;
    if (!video || !canvas) return;
    const mse = new MsePlayer(video, wsUrl(`/api/live/${encodeURIComponent(cameraId)}`), {
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
    };
    window.vigilTiles ??= new Map();
    window.vigilTiles.set(tileKey, stats);
    const buffer = detectionBuffer(cameraId);
    const ctx = canvas.getContext('2d');
    let raf = 0;
    let lastKey = '';
    let lastClock = 0;
    const match_ = { ...DEFAULT_MATCH };
    const draw = () => {
      raf = requestAnimationFrame(draw);
      if (!ctx) return;
      const w = canvas.clientWidth;
      const h = canvas.clientHeight;
      const dpr = window.devicePixelRatio || 1;
      if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
        canvas.width = Math.round(w * dpr);
        canvas.height = Math.round(h * dpr);
        lastKey = '';
      }
      const wall = mse.timeMap.toWall(video.currentTime);
      const match = wall === undefined ? undefined : buffer.match(wall, match_);
      const z = zonesRef.current;
      const key = `${match?.ts ?? 'none'}|${z.showZones}|${canvas.width}`;
      stats.state = mse.fragments ? (video.currentTime > 0 ? 'playing' : 'connecting') : 'connecting';
      stats.currentTime = video.currentTime;
      stats.displayedWallMs = wall;
      stats.fragments = mse.fragments;
      stats.stalls = mse.stalls;
      stats.targetDelayMs = mse.targetDelayMs;
      stats.pending = buffer.size;
      stats.droppedFrames = video.getVideoPlaybackQuality?.().droppedVideoFrames ?? 0;
      if (wall !== undefined && Math.abs(wall - lastClock) >= 1000) {
        lastClock = wall;
        setClock(wall);
        // Show frames late enough for their detections to have arrived (plus a frame of margin).
        const lag = detectionLagMs(cameraId);
        mse.targetDelayMs = lag === undefined ? 0 : lag + 150;
        // Boxes stay until the next analysed frame is due (cleared when it is overdue).
        const interval = analysisIntervalMs(cameraId);
        match_.holdMs = Math.min(3000, Math.max(DEFAULT_MATCH.holdMs, (interval ?? 0) * 1.5));
      }
      if (key === lastKey) return;
      lastKey = key;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, w, h);
      const rect = contentRect(w, h, video.videoWidth, video.videoHeight);
      if (z.showZones) drawZones(ctx, z.zones, rect);
      if (match) {
        drawDetections(ctx, match, rect, Math.max(1, h / 400));
        stats.drawnTs = match.ts;
        stats.drawnAt = Date.now();
      }
      stats.boxes = match?.detections.length ?? 0;
      stats.labels = match?.detections.map((d) => d.label) ?? [];
      canvas.dataset.boxes = String(stats.boxes);
      canvas.dataset.labels = stats.labels.join(',');
    };
    raf = requestAnimationFrame(draw);
    return () => {
      cancelAnimationFrame(raf);
      mse.dispose();
      window.vigilTiles?.delete(tileKey);
    };
  }, [cameraId, tileKey]);

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
        <span className="tile-clock">
          {clock ? new Date(clock).toLocaleTimeString([], { hour12: false }) : ''}
        </span>
      </div>
      {player.state !== 'playing' && badgeState !== 'streaming' ? (
        <div className="tile-message">{reason ?? 'Connecting…'}</div>
      ) : null}
    </>
  );
}
