import fs from 'node:fs';
import { Topics, type Bus } from '../contract/bus.js';
import type { CameraConfig } from '../contract/config/cameras.js';
import type { VideoConfig } from '../contract/config/video.js';
import type { AnalysisFrame } from '../contract/media.js';
import type { CameraState, CameraStatus } from '../contract/video-api.js';
import { createLogger } from '../platform/log.js';
import type { StreamProblem } from './ffmpeg-diagnostics.js';
import { LiveHub } from './live-hub.js';
import { StreamProcess, type StreamState } from './stream-process.js';

export interface CameraPipelineDeps {
  ffmpeg: string;
  video: VideoConfig;
  bus: Bus;
  /** Folder where ffmpeg writes segments before they go into the video store. */
  stagingDir: string;
  env: NodeJS.ProcessEnv;
  /** The password kept in the secret store for a stream of this camera. */
  storedPassword?: (stream: 'main' | 'sub') => string | undefined;
  /** Why this camera must not start (invalid stored settings, a source no longer allowed): shown, nothing spawned. */
  blockedReason?: string;
  /** A finished segment, with wall-clock start/end (ms). */
  onSegment(cameraId: string, file: string, start: number, end: number): void;
  /** The camera's state or reason changed. */
  onStatus(status: CameraStatus, problem?: StreamProblem): void;
}

/** The latest analysis frame, kept for snapshots. */
export interface LatestFrame {
  data: Uint8Array;
  width: number;
  height: number;
  ts: number;
}

/**
 * One camera: its main stream (recorded, shown live, analysed unless a sub stream exists) and optional sub stream
 * (analysed), each one supervised ffmpeg process.
 */
export class CameraPipeline {
  readonly live = new LiveHub();
  readonly #log;
  #main: StreamProcess | undefined;
  #sub: StreamProcess | undefined;
  #state: CameraState;
  #reason: string | undefined;
  #since = Date.now();
  #seq = 0;
  #frameTimes: number[] = [];
  #latest: LatestFrame | undefined;
  /** Wall-clock time (ms) of stream second 0 of the current recording session. */
  #anchor: number | undefined;

  constructor(
    readonly config: CameraConfig,
    private readonly deps: CameraPipelineDeps,
  ) {
    this.#log = createLogger('video.camera', { camera: config.id });
    this.#state = config.enabled ? 'starting' : 'disabled';
  }

  get latestFrame(): LatestFrame | undefined {
    return this.#latest;
  }

  /** Process ids of this camera's ffmpeg processes (for tests and benchmarks). */
  get pids(): number[] {
    return [this.#main?.pid, this.#sub?.pid].filter((p): p is number => p !== undefined);
  }

  start(): void {
    const { config: cam, deps } = this;
    if (!cam.enabled) {
      this.#emit();
      return;
    }
    if (deps.blockedReason) {
      this.#state = 'failed';
      this.#reason = deps.blockedReason;
      this.#emit();
      return;
    }
    try {
      this.#startStreams();
    } catch (err) {
      // Whatever stops this camera from starting stops only this camera.
      this.#log.error({ err }, 'camera could not be started');
      this.#state = 'failed';
      this.#reason = `could not start: ${(err as Error).message}`;
    }
    this.#emit();
  }

  #startStreams(): void {
    const { config: cam, deps } = this;
    fs.mkdirSync(deps.stagingDir, { recursive: true });
    const analysis = cam.analysis.enabled ? { fps: cam.analysis.fps, width: cam.analysis.width } : undefined;
    const common = {
      ffmpeg: deps.ffmpeg,
      env: deps.env,
      reconnect: deps.video.reconnect,
      stallMs: deps.video.stallSeconds * 1000,
    };
    this.#main = new StreamProcess({
      ...common,
      source: cam.main,
      storedPassword: () => deps.storedPassword?.('main'),
      log: this.#log.child({ stream: 'main' }),
      plan: {
        record: cam.record
          ? {
              dir: deps.stagingDir,
              prefix: `${cam.id}-${Date.now()}`,
              segmentSeconds: deps.video.segmentSeconds,
            }
          : undefined,
        live: { fragmentMs: deps.video.liveFragmentMs },
        analysis: cam.sub ? undefined : analysis,
      },
      handlers: {
        onState: (state, reason, problem) => this.#onMainState(state, reason, problem),
        onInit: (init) => this.live.setInit(init),
        onFragment: (f) => this.live.push(f),
        onFrame: (data, w, h, ts) => this.#onFrame(data, w, h, ts),
        onSegment: (file, s, e) => this.#onSegment(file, s, e),
        onInfo: () => this.#emit(),
      },
    });
    if (cam.sub && analysis) {
      this.#sub = new StreamProcess({
        ...common,
        source: cam.sub,
        storedPassword: () => deps.storedPassword?.('sub'),
        log: this.#log.child({ stream: 'sub' }),
        plan: { analysis },
        handlers: {
          onState: () => this.#emit(),
          onFrame: (data, w, h) => this.#onFrame(data, w, h),
        },
      });
    }
    this.#main.start();
    this.#sub?.start();
  }

  #onMainState(state: StreamState, reason: string | undefined, problem?: StreamProblem): void {
    if (state !== 'streaming') this.#anchor = undefined;
    if (state !== this.#state) this.#since = Date.now();
    this.#state = state;
    this.#reason = reason;
    this.#emit(problem);
  }

  /** `captureTs` is on the live video's clock for the main stream; a sub stream's frames have only their arrival. */
  #onFrame(data: Uint8Array, width: number, height: number, captureTs?: number): void {
    const arrived = Date.now();
    const ts = captureTs ?? arrived;
    this.#latest = { data, width, height, ts };
    // The analysis rate shown in the UI counts frames as they arrive.
    this.#frameTimes.push(arrived);
    if (this.#frameTimes.length > 300) this.#frameTimes.splice(0, 150);
    const frame: AnalysisFrame = {
      cameraId: this.config.id,
      ts,
      seq: this.#seq++,
      width,
      height,
      format: 'rgb24',
      data,
    };
    // The frames topic drops the oldest frame when detection falls behind: this never waits.
    this.deps.bus.publish(Topics.frames, this.config.id, frame).catch((err: unknown) => {
      this.#log.debug({ err }, 'frame not published');
    });
  }

  #onSegment(file: string, startSec: number, endSec: number): void {
    const now = Date.now();
    // The segment list line arrives as the segment closes, i.e. at its end in wall-clock time. Re-anchor when the
    // stream clock and the wall clock drift apart (a camera with a bad clock, a long pause).
    if (this.#anchor === undefined || Math.abs(this.#anchor + endSec * 1000 - now) > 3000) {
      this.#anchor = now - endSec * 1000;
    }
    const start = Math.round(this.#anchor + startSec * 1000);
    const end = Math.round(this.#anchor + endSec * 1000);
    const name = file.includes('/') ? file : `${this.deps.stagingDir}/${file}`;
    this.deps.onSegment(this.config.id, name, start, end);
  }

  status(): CameraStatus {
    const cam = this.config;
    const info = this.#main?.info;
    const now = Date.now();
    const recent = this.#frameTimes.filter((t) => now - t <= 5000).length;
    let reason = this.#reason;
    const sub = this.#sub;
    if (sub && sub.state !== 'streaming' && this.#state === 'streaming')
      reason = `analysis sub stream: ${sub.reason ?? sub.state}`;
    if (
      !reason &&
      cam.main.kind !== 'testPattern' &&
      info?.codec &&
      info.codec !== 'h264' &&
      this.#state === 'streaming'
    )
      reason = `the camera sends ${info.codec}; live view in the browser needs H.264`;
    const status: CameraStatus = {
      id: cam.id,
      name: cam.name,
      enabled: cam.enabled,
      state: this.#state,
      since: this.#since,
      fpsIn: this.#main?.fpsIn ?? 0,
      fpsOut: Math.round((recent / 5) * 10) / 10,
      bytesIn: this.#main?.bytesIn ?? 0,
      recording: cam.enabled && cam.record && this.#state === 'streaming',
      tags: cam.tags,
      location: cam.location,
    };
    if (reason) status.reason = reason;
    if (info?.width) status.width = info.width;
    if (info?.height) status.height = info.height;
    // A generated test pattern is encoded to H.264 for recording and live view.
    const codec = cam.main.kind === 'testPattern' ? 'h264' : info?.codec;
    if (codec) status.codec = codec;
    return status;
  }

  #emit(problem?: StreamProblem): void {
    const status = this.status();
    this.deps.onStatus(status, problem);
    this.deps.bus.publish(Topics.health, this.config.id, status).catch((err: unknown) => {
      this.#log.debug({ err }, 'health not published');
    });
  }

  async dispose(): Promise<void> {
    this.live.closeAll(1001, 'camera stopped');
    await Promise.all([this.#main?.dispose(), this.#sub?.dispose()]);
    this.#main = undefined;
    this.#sub = undefined;
  }
}
