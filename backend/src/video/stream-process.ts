import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import type { StreamSource } from '../contract/config/cameras.js';
import type { Logger } from '../platform/log.js';
import {
  buildFfmpegArgs,
  INPUT_DESCRIPTION_FD,
  resolvePassword,
  sourceLabel,
  type OutputPlan,
} from './ffmpeg-args.js';
import { classifyLine, FfmpegLogReader, type StreamInfo, type StreamProblem } from './ffmpeg-diagnostics.js';
import { Fmp4Splitter, type Fragment } from './fmp4.js';
import { InputDamageMeter } from './input-damage.js';
import { RawFrameAssembler } from './raw-frames.js';
import { trackChild } from '../platform/child-tracker.js';

/** States of one supervised ffmpeg stream. */
export type StreamState = 'starting' | 'streaming' | 'reconnecting' | 'failed';

export interface StreamHandlers {
  onState(state: StreamState, reason: string | undefined, problem?: StreamProblem): void;
  onInit?(init: Buffer): void;
  onFragment?(fragment: Fragment): void;
  /**
   * An analysis frame. `captureTs`: wall-clock time of the frame on the clock of the live fragments' time messages
   * (when this process also writes live video), so that detections line up with the live picture.
   */
  onFrame?(data: Uint8Array, width: number, height: number, captureTs: number): void;
  /** A finished segment file with its start/end in stream seconds (relative to the session). */
  onSegment?(file: string, startSec: number, endSec: number): void;
  onInfo?(info: StreamInfo): void;
}

export interface StreamProcessOptions {
  ffmpeg: string;
  source: StreamSource;
  plan: OutputPlan;
  env: NodeJS.ProcessEnv;
  /** The password kept in the secret store for this stream, read at every (re)start. */
  storedPassword?: () => string | undefined;
  reconnect: { initialDelayMs: number; maxDelayMs: number; failAfterAttempts: number };
  stallMs: number;
  log: Logger;
  handlers: StreamHandlers;
  /** Grace period between SIGTERM and SIGKILL when stopping. */
  stopDeadlineMs?: number;
}

/** The decoder and the frame-rate filter hold frames back; an analysis frame never comes out later than this. */
const MAX_ANALYSIS_DELAY_MS = 3000;

/**
 * When the analysis frame at `mediaSec` (output time line) was captured, on the clock of the live fragments: the
 * live anchor extrapolated to the frame. Decoding and the frame-rate filter delay an analysis frame by a frame or
 * more, so its arrival time is a little late; the live anchor is not. Without an anchor, or when the two disagree
 * (a timestamp jump in the camera's stream), the arrival time is used.
 */
export function analysisCaptureTs(
  mediaSec: number,
  anchor: { mediaSec: number; wallMs: number } | undefined,
  arrivedMs: number,
): number {
  if (!anchor) return arrivedMs;
  const estimate = Math.round(anchor.wallMs + (mediaSec - anchor.mediaSec) * 1000);
  return estimate <= arrivedMs + 20 && arrivedMs - estimate <= MAX_ANALYSIS_DELAY_MS ? estimate : arrivedMs;
}

/** Linux: the kernel kills ffmpeg when the backend dies, even by SIGKILL (prctl PR_SET_PDEATHSIG via setpriv). */
const SETPRIV =
  process.platform === 'linux' && fs.existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : undefined;

/** The delay before reconnection attempt `attempt` (0-based): exponential, capped, with jitter (50–100 %). */
export function backoffDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (0.5 + random() * 0.5));
}

/** Splits a byte stream into lines on \n or \r (ffmpeg's progress lines end with \r). */
function onLines(stream: Readable, fn: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (rest + chunk).split(/[\r\n]+/);
    rest = parts.pop() ?? '';
    if (rest.length > 65_536) rest = '';
    for (const p of parts) if (p) fn(p);
  });
}

/**
 * One ffmpeg process for one camera stream, supervised: restarted with backoff when it fails, restarted by the stall
 * watchdog when video stops, stopped with SIGTERM then SIGKILL.
 */
export class StreamProcess {
  #child: ChildProcess | undefined;
  #state: StreamState = 'starting';
  #reason: string | undefined;
  #attempt = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #tick: NodeJS.Timeout | undefined;
  #disposed = false;
  #lastVideoAt = 0;
  #lastProblem: StreamProblem | undefined;
  #stallReason: string | undefined;
  /** Judges the input's damage from ffmpeg's warnings, without a connection's start-up noise. */
  readonly #damage = new InputDamageMeter();
  /** (time, frames reported) over the last seconds, for a steady fps figure. */
  #frameSamples: Array<[number, number]> = [];
  #log: FfmpegLogReader = new FfmpegLogReader();
  #exited: Promise<void> = Promise.resolve();
  /** Frames per second received (from ffmpeg's progress). */
  fpsIn = 0;
  /** Video bytes received on the live output (the camera's own bitstream, copied). */
  bytesIn = 0;
  readonly label: string;

  constructor(private readonly o: StreamProcessOptions) {
    this.label = sourceLabel(o.source);
  }

  get state(): StreamState {
    return this.#state;
  }
  get reason(): string | undefined {
    return this.#reason;
  }
  get pid(): number | undefined {
    return this.#child?.pid;
  }
  get info(): StreamInfo {
    return this.#log.info;
  }

  start(): void {
    this.#tick = setInterval(() => this.#onTick(), 1000);
    this.#spawn();
  }

  #setState(state: StreamState, reason: string | undefined, problem?: StreamProblem): void {
    if (state === this.#state && reason === this.#reason) return;
    this.#state = state;
    this.#reason = reason;
    this.o.handlers.onState(state, reason, problem);
  }

  #spawn(): void {
    if (this.#disposed) return;
    this.#lastProblem = undefined;
    this.#stallReason = undefined;
    this.#log = new FfmpegLogReader();
    this.#frameSamples = [];
    // Damage counted in an earlier connection says nothing about this one.
    this.#damage.connected();
    this.#lastVideoAt = Date.now();
    let built;
    try {
      const password = resolvePassword(this.o.source, this.o.storedPassword?.(), this.o.env);
      built = buildFfmpegArgs(this.o.source, this.o.plan, password);
    } catch (err) {
      // A configuration problem (e.g. a missing password variable): say so and retry later, it may get fixed.
      this.#scheduleRetry({ reason: (err as Error).message, permanent: true });
      return;
    }
    const { args, analysisOutputIndex, inputDescription } = built;
    const { plan, handlers } = this.o;
    const cmd = SETPRIV ?? this.o.ffmpeg;
    const cmdArgs = SETPRIV ? ['--pdeathsig', 'KILL', '--', this.o.ffmpeg, ...args] : args;
    let child: ChildProcess;
    try {
      child = trackChild(
        spawn(cmd, cmdArgs, {
          stdio: [
            'ignore',
            plan.live ? 'pipe' : 'ignore',
            'pipe',
            plan.analysis ? 'pipe' : 'ignore',
            plan.record ? 'pipe' : 'ignore',
            inputDescription !== undefined ? 'pipe' : 'ignore',
          ],
          // ffmpeg needs no secrets from our environment.
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
        }),
      );
    } catch (err) {
      // Some spawn failures throw instead of emitting 'error' (E2BIG: the arguments exceed the system's limit).
      // Only this camera fails; the backend and the other cameras carry on.
      this.#scheduleRetry({ reason: `could not start ffmpeg: ${(err as Error).message}`, permanent: true });
      return;
    }
    this.#child = child;
    const pipes = child.stdio;
    const descriptionPipe = (pipes as unknown as Array<Writable | null | undefined>)[INPUT_DESCRIPTION_FD];
    if (inputDescription !== undefined && descriptionPipe) {
      descriptionPipe.on('error', () => undefined);
      descriptionPipe.end(inputDescription);
    }
    let sawVideo = false;
    const markVideo = (): void => {
      sawVideo = true;
      this.#damage.video();
      this.#lastVideoAt = Date.now();
      if (this.#state !== 'streaming') {
        this.#attempt = 0;
        this.#setState('streaming', undefined);
      }
    };

    if (pipes[2]) {
      let infoSent = false;
      onLines(pipes[2] as Readable, (line) => {
        const before = this.#log.frames;
        if (this.#log.read(line)) {
          if (this.#log.frames > before) markVideo();
          if (!infoSent && this.#log.info.codec) {
            infoSent = true;
            handlers.onInfo?.(this.#log.info);
          }
          return;
        }
        const problem = classifyLine(line, this.label);
        if (problem) {
          this.#lastProblem = problem;
          if (problem.diskFull) this.#setState(this.#state, problem.reason, problem);
        } else this.#damage.line(line);
      });
    }
    // The live output's latest time anchor: media time ↔ when it came out of ffmpeg.
    let liveAnchor: { mediaSec: number; wallMs: number } | undefined;
    if (plan.live && pipes[1]) {
      const splitter = new Fmp4Splitter(
        (init) => {
          liveAnchor = undefined;
          handlers.onInit?.(init);
        },
        (f) => {
          markVideo();
          if (f.endSec !== undefined && f.receivedAt !== undefined)
            liveAnchor = { mediaSec: f.endSec, wallMs: f.receivedAt };
          handlers.onFragment?.(f);
        },
      );
      (pipes[1] as Readable).on('data', (chunk: Buffer) => {
        this.bytesIn += chunk.length;
        splitter.push(chunk);
      });
    }
    if (plan.analysis && pipes[3]) {
      let frameIndex = 0;
      let size: { width: number; height: number } | undefined;
      const fps = plan.analysis.fps;
      const frames = new RawFrameAssembler((data) => {
        if (!size) return;
        markVideo();
        handlers.onFrame?.(
          data,
          size.width,
          size.height,
          analysisCaptureTs(frameIndex++ / fps, liveAnchor, Date.now()),
        );
      });
      (pipes[3] as Readable).on('data', (chunk: Buffer) => {
        size =
          analysisOutputIndex !== undefined ? this.#log.info.outputSizes.get(analysisOutputIndex) : undefined;
        if (!size) return; // ffmpeg prints the output size before writing any frame
        frames.push(chunk, size.width * size.height * 3);
      });
    }
    if (plan.record && pipes[4]) {
      onLines(pipes[4] as Readable, (line) => {
        const m = /^(.*),([\d.]+),([\d.]+)$/.exec(line.trim());
        if (m?.[1]) handlers.onSegment?.(m[1], Number(m[2]), Number(m[3]));
      });
    }
    for (const p of pipes) (p as Readable | null)?.on?.('error', () => undefined);

    this.#exited = new Promise<void>((resolve) => {
      child.once('error', (err) => {
        this.#lastProblem = { reason: `could not start ffmpeg: ${err.message}`, permanent: true };
      });
      child.once('close', (code, signal) => {
        if (this.#child === child) this.#child = undefined;
        resolve();
        if (this.#disposed) return;
        const live = this.o.source.kind === 'rtsp' || this.o.source.kind === 'url';
        const lost =
          live &&
          sawVideo &&
          !this.#stallReason &&
          (this.#lastProblem === undefined || this.#lastProblem.inputEnded === true);
        // A live feed that delivered video and then stopped was lost (the camera closed the connection, went away
        // or restarted); the last bytes ffmpeg read before that may look damaged, but the input was not corrupt.
        const noStreamYet = live && !sawVideo && this.#lastProblem?.inputEnded === true;
        const problem: StreamProblem = lost
          ? { reason: `lost the stream from ${this.label} (the camera stopped sending)`, permanent: false }
          : noStreamYet
            ? {
                // A camera or relay that is starting answers before its video flows; its data is not corrupt.
                reason: `${this.label} answered but sent no video (the stream may be starting)`,
                permanent: false,
              }
            : (this.#lastProblem ??
              (this.#stallReason ? { reason: this.#stallReason, permanent: false } : undefined) ?? {
                reason:
                  code === 0
                    ? `the stream from ${this.label} ended`
                    : `ffmpeg stopped (${signal ?? `exit code ${code}`}) reading ${this.label}`,
                permanent: false,
              });
        this.#scheduleRetry(problem);
      });
    });
  }

  #scheduleRetry(problem: StreamProblem): void {
    const failed = problem.permanent || this.#attempt + 1 >= this.o.reconnect.failAfterAttempts;
    const delay = backoffDelay(this.#attempt, this.o.reconnect.initialDelayMs, this.o.reconnect.maxDelayMs);
    this.#attempt++;
    this.fpsIn = 0;
    // One warning per new reason: a camera that stays down does not flood the log.
    const level = problem.reason === this.#reason ? 'debug' : 'warn';
    this.o.log[level]({ reason: problem.reason, retryInMs: delay, attempt: this.#attempt }, 'stream down');
    this.#setState(failed ? 'failed' : 'reconnecting', problem.reason, problem);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#spawn();
    }, delay);
  }

  #onTick(): void {
    const now = Date.now();
    this.#frameSamples.push([now, this.#log.frames]);
    if (this.#frameSamples.length > 6) this.#frameSamples.shift();
    const [t0, f0] = this.#frameSamples[0]!;
    this.fpsIn = now > t0 ? Math.round(((this.#log.frames - f0) / ((now - t0) / 1000)) * 10) / 10 : 0;
    const child = this.#child;
    if (child && !this.#stallReason && now - this.#lastVideoAt > this.o.stallMs) {
      this.#stallReason = `no video for ${Math.round(this.o.stallMs / 1000)} s from ${this.label}`;
      this.#lastProblem = undefined;
      void this.#stop(child);
    }
    if (this.#state === 'streaming') {
      const n = this.#damage.damagedSeconds(now);
      this.#setState(
        'streaming',
        n !== undefined
          ? `damaged input from ${this.label}: corrupt frames or timestamps in ${n} of the last 60 seconds`
          : undefined,
      );
    }
  }

  /** Stops ffmpeg: SIGTERM (it closes the current segment properly), SIGKILL after the deadline. */
  async #stop(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), this.o.stopDeadlineMs ?? 3000);
    await exited;
    clearTimeout(timer);
  }

  async dispose(): Promise<void> {
    this.#disposed = true;
    if (this.#tick) clearInterval(this.#tick);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    const child = this.#child;
    if (child) await this.#stop(child);
    await this.#exited;
  }
}
