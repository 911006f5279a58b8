import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Bus } from '../contract/bus.js';
import { CameraConfig, CameraInput, StreamSourceInput } from '../contract/config/cameras.js';
import type { VideoConfig } from '../contract/config/video.js';
import type {
  GapCause,
  HoldRecord,
  RetentionLogEntry,
  SegmentRecord,
  VideoStore,
} from '../contract/video.js';
import type {
  CameraDetail,
  CameraStatus,
  ProbeResponse,
  RecordingsResponse,
  StorageResponse,
} from '../contract/video-api.js';
import type { Service, ServiceHealth } from '../platform/lifecycle.js';
import { createLogger } from '../platform/log.js';
import { EncryptedFileSecretStore, SECRETS_DIR, type SecretStore } from '../platform/secret-store.js';
import {
  cameraView,
  forgetPasswords,
  passwordSecretName,
  prepareCamera,
  prepareSource,
  savePasswords,
  splitUrlCredentials,
  type StreamName,
} from './camera-credentials.js';
import { CameraPipeline } from './camera-pipeline.js';
import { probeSource } from './probe.js';
import { SourcePolicy } from './source-policy.js';
import type { StreamProblem } from './ffmpeg-diagnostics.js';
import { LocalDiskVideoStore } from './local-store.js';
import { videoMetrics } from './metrics.js';
import { RecordingIndex } from './recording-index.js';
import { runRetention, type RetentionResult } from './retention.js';

export interface VideoServiceOptions {
  dataDir: string;
  video: VideoConfig;
  /** Cameras from the config file; they seed the runtime camera list. */
  cameras: readonly CameraConfig[];
  bus: Bus;
  ffmpeg: string;
  /** Video store; local disk under <dataDir>/recordings by default. */
  store?: VideoStore;
  env?: NodeJS.ProcessEnv;
  /** Where camera passwords entered through the API are kept; an encrypted file under <dataDir>/secrets by default. */
  secrets?: SecretStore;
}

const CameraId_ = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** What a camera whose stored settings cannot be used is listed as: its id and name, nothing started. */
function placeholderCamera(id: string, json: unknown): CameraConfig {
  const name = (json as { name?: unknown } | undefined)?.name;
  return CameraConfig.parse({
    id,
    name: typeof name === 'string' && name.length > 0 ? name.slice(0, 120) : id,
    main: { kind: 'testPattern' },
    record: false,
    analysis: { enabled: false },
  });
}

/** A gap shorter than this between two segments is jitter, not missing footage. */
const GAP_TOLERANCE_MS = 2000;
/** A camera that needs longer than this after start-up to record has been down, not just starting. */
const STARTUP_ALLOWANCE_MS = 5000;

/** A client-caused problem with a status code (unknown camera, bad range …). */
export class VideoRequestError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** Everything video: cameras, recording index, gaps, clips, holds and retention. */
export class VideoService implements Service {
  readonly name = 'video';
  readonly #log = createLogger('video.service');
  readonly #cameras = new Map<string, CameraPipeline>();
  readonly #lastEnd = new Map<string, number>();
  /** When each camera was started by this process (the start of its history when nothing is stored yet). */
  readonly #cameraStartedAt = new Map<string, number>();
  readonly #pendingCause = new Map<string, { cause: GapCause; detail?: string }>();
  readonly #startedAt = Date.now();
  #storing: Promise<void> = Promise.resolve();
  #retentionTimer: NodeJS.Timeout | undefined;
  #retentionRunning: Promise<RetentionResult> | undefined;
  #index!: RecordingIndex;
  #metrics!: ReturnType<typeof videoMetrics>;
  readonly store: VideoStore;
  readonly stagingDir: string;
  readonly #policy: SourcePolicy;
  #secrets: SecretStore | undefined;

  constructor(private readonly o: VideoServiceOptions) {
    this.store = o.store ?? new LocalDiskVideoStore(path.join(o.dataDir, 'recordings'));
    this.stagingDir = path.join(o.dataDir, 'recordings-staging');
    this.#policy = new SourcePolicy(o.video, o.cameras);
    this.#secrets = o.secrets;
  }

  get secrets(): SecretStore {
    this.#secrets ??= EncryptedFileSecretStore.inFolder(path.join(this.o.dataDir, SECRETS_DIR));
    return this.#secrets;
  }

  get index(): RecordingIndex {
    return this.#index;
  }

  async start(): Promise<void> {
    fs.mkdirSync(this.o.dataDir, { recursive: true });
    this.#index = new RecordingIndex(path.join(this.o.dataDir, 'recordings.sqlite'));
    // Segments left half-written by a crash have no index entry and no MP4 index: they cannot be played.
    fs.rmSync(this.stagingDir, { recursive: true, force: true });
    fs.mkdirSync(this.stagingDir, { recursive: true });
    this.#seedCameras();
    this.#moveUrlPasswordsToSecretStore();
    this.#metrics = videoMetrics(() => this.statuses());
    // Sources are checked all at once (host names resolve in parallel), cameras then start in their stored order.
    const rows = this.#index.cameraRows();
    const refusals = await Promise.all(rows.map((row) => this.#storedRefusal(row.json)));
    rows.forEach((row, i) => this.#startStoredCamera(row.id, row.json, refusals[i]));
    const every = this.o.video.retention.intervalSeconds * 1000;
    this.#retentionTimer = setInterval(() => void this.runRetention().catch(() => undefined), every);
    this.#log.info({ cameras: this.#cameras.size }, 'video started');
  }

  /** Seeds the configuration file's new cameras, with any password in a URL moved to the secret store. */
  #seedCameras(): void {
    const known = new Set(this.#index.cameraRows(true).map((r) => r.id));
    const seeded = this.o.cameras.map((cam) => {
      if (known.has(cam.id)) return cam;
      const { config, passwords } = prepareCamera(cam, undefined);
      if (passwords.main || passwords.sub) {
        this.#log.warn(
          { camera: cam.id },
          'the configuration file has a camera password in a URL; it is kept in the secret store, but name an environment variable with passwordEnv instead',
        );
        savePasswords(this.secrets, cam.id, passwords);
      }
      return config;
    });
    this.#index.seedCameras(seeded);
  }

  /** Stored cameras written by older versions may hold passwords inside their URLs: move them to the secret store. */
  #moveUrlPasswordsToSecretStore(): void {
    const changed: Array<{ id: string; json: unknown }> = [];
    for (const row of this.#index.cameraRows(true)) {
      const json = row.json as Record<string, unknown> | undefined;
      if (!json || typeof json !== 'object') continue;
      let touched = false;
      for (const stream of ['main', 'sub'] as const) {
        const src = json[stream] as { url?: unknown; username?: unknown } | undefined;
        if (!src || typeof src.url !== 'string') continue;
        const split = splitUrlCredentials(src.url);
        if (split.url === src.url) continue;
        touched = true;
        src.url = split.url;
        if (split.username && !src.username) src.username = split.username;
        if (split.password) this.secrets.set(passwordSecretName(row.id, stream), split.password);
      }
      if (touched) changed.push({ id: row.id, json });
    }
    if (changed.length === 0) return;
    this.#index.rewriteCamerasScrubbed(changed);
    this.#log.info(
      { cameras: changed.map((c) => c.id) },
      'camera passwords moved from URLs to the secret store',
    );
  }

  /**
   * Starts a stored camera. A row that is no longer valid (an older version accepted it) or whose source is no longer
   * allowed does not stop the backend: the camera is listed as failed with the reason, the others run.
   */
  /** Why a stored camera's source is no longer allowed, if it is not. */
  async #storedRefusal(json: unknown): Promise<string | undefined> {
    const parsed = CameraConfig.safeParse(json);
    if (!parsed.success) return undefined;
    try {
      const cam = parsed.data;
      const refusals = await Promise.all(
        [cam.main, cam.sub].map((s) => (s ? this.#policy.refusal(s) : undefined)),
      );
      return refusals.find((r) => r !== undefined);
    } catch (err) {
      return `could not check the camera's source: ${(err as Error).message}`;
    }
  }

  #startStoredCamera(id: string, json: unknown, refusal: string | undefined): void {
    try {
      const parsed = CameraConfig.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const field = issue?.path.join('.') ?? '';
        const reason = `the stored settings of this camera are invalid (${field ? `${field}: ` : ''}${issue?.message ?? 'invalid'}); edit or remove the camera`;
        this.#log.error({ camera: id, field }, 'stored camera settings are invalid');
        this.#startCamera(placeholderCamera(id, json), reason);
        return;
      }
      this.#startCamera(parsed.data, refusal);
    } catch (err) {
      this.#log.error({ err, camera: id }, 'camera could not be started');
      if (!this.#cameras.has(id) && CameraId_.test(id))
        this.#startCamera(placeholderCamera(id, json), `could not start: ${(err as Error).message}`);
    }
  }

  #startCamera(cam: CameraConfig, blockedReason?: string): void {
    if (!this.#cameraStartedAt.has(cam.id)) this.#cameraStartedAt.set(cam.id, Date.now());
    const last = this.#index.lastSegment(cam.id);
    if (last) this.#lastEnd.set(cam.id, last.end);
    if (!cam.record || !cam.enabled)
      this.#pendingCause.set(cam.id, {
        cause: 'recording off',
        detail: cam.enabled ? undefined : 'camera disabled',
      });
    const pipeline = new CameraPipeline(cam, {
      ffmpeg: this.o.ffmpeg,
      video: this.o.video,
      bus: this.o.bus,
      stagingDir: path.join(this.stagingDir, cam.id),
      env: this.o.env ?? process.env,
      storedPassword: (stream: StreamName) => this.secrets.get(passwordSecretName(cam.id, stream)),
      blockedReason,
      onSegment: (id, file, start, end) => this.#queueSegment(id, file, start, end),
      onStatus: (status, problem) => this.#onStatus(status, problem),
    });
    this.#cameras.set(cam.id, pipeline);
    pipeline.start();
  }

  #onStatus(status: CameraStatus, problem?: StreamProblem): void {
    if (problem?.diskFull) this.#pendingCause.set(status.id, { cause: 'disk full', detail: problem.reason });
    else if ((status.state === 'reconnecting' || status.state === 'failed') && status.reason)
      this.#pendingCause.set(status.id, { cause: 'camera down', detail: status.reason });
  }

  #queueSegment(cameraId: string, file: string, start: number, end: number): void {
    this.#storing = this.#storing
      .then(() => this.#storeSegment(cameraId, file, start, end))
      .catch((err: unknown) => {
        const diskFull = (err as NodeJS.ErrnoException).code === 'ENOSPC';
        if (diskFull)
          this.#pendingCause.set(cameraId, { cause: 'disk full', detail: 'the video store is full' });
        this.#log.error({ err, camera: cameraId }, 'segment could not be stored');
        fs.rmSync(file, { force: true });
      });
  }

  async #storeSegment(cameraId: string, file: string, startIn: number, end: number): Promise<void> {
    if (!fs.existsSync(file)) return;
    const last = this.#lastEnd.get(cameraId);
    // Clock jitter can make a segment appear to start a little before the previous one ended.
    const start = last !== undefined && startIn < last && last - startIn < 3000 ? last : startIn;
    if (end - start < 50) {
      fs.rmSync(file, { force: true });
      return;
    }
    if (last !== undefined && start - last > GAP_TOLERANCE_MS) this.#recordGap(cameraId, last, start);
    this.#pendingCause.delete(cameraId);
    const day = new Date(start).toISOString().slice(0, 10);
    const info = await this.store.put(`${cameraId}/${day}/${start}.mp4`, file);
    this.#index.addSegment({ cameraId, start, end, bytes: info.bytes, key: info.key });
    this.#lastEnd.set(cameraId, end);
    this.#metrics.segment(cameraId);
  }

  #recordGap(cameraId: string, from: number, to: number): void {
    const pending = this.#pendingCause.get(cameraId) ?? { cause: 'camera down' as GapCause };
    if (from < this.#startedAt) {
      const restartEnd = to - this.#startedAt > STARTUP_ALLOWANCE_MS ? this.#startedAt : to;
      this.#index.addGap({ cameraId, start: from, end: restartEnd, cause: 'backend stopped' });
      if (restartEnd < to) this.#index.addGap({ cameraId, start: restartEnd, end: to, ...pending });
    } else {
      this.#index.addGap({ cameraId, start: from, end: to, ...pending });
    }
  }

  camera(id: string): CameraPipeline {
    const cam = this.#cameras.get(id);
    if (!cam) throw new VideoRequestError(404, 'not_found', `No camera "${id}".`, 'id');
    return cam;
  }

  statuses(): CameraStatus[] {
    return [...this.#cameras.values()].map((c) => c.status());
  }

  /** A camera's status and configuration; never a password, only whether one is stored. */
  detail(id: string): CameraDetail {
    const cam = this.camera(id);
    return { ...cam.status(), config: cameraView(cam.config, this.secrets) };
  }

  /** Refuses (400, naming the field) a source the source policy does not allow. */
  async #checkSources(cam: CameraConfig): Promise<void> {
    for (const stream of ['main', 'sub'] as const) {
      const source = cam[stream];
      if (!source) continue;
      const refusal = await this.#policy.refusal(source);
      if (refusal) {
        const field = `${stream}.${source.kind === 'file' ? 'path' : 'url'}`;
        throw new VideoRequestError(400, 'source_not_allowed', `${field}: ${refusal}`, field);
      }
    }
  }

  async addCamera(input: unknown): Promise<CameraDetail> {
    const parsed = CameraInput.parse(input);
    if (this.#cameras.has(parsed.id))
      throw new VideoRequestError(409, 'conflict', `A camera with id "${parsed.id}" already exists.`, 'id');
    const { config: cam, passwords } = prepareCamera(parsed, undefined);
    await this.#checkSources(cam);
    savePasswords(this.secrets, cam.id, passwords);
    this.#index.saveCamera(cam);
    this.#startCamera(cam);
    return this.detail(cam.id);
  }

  async updateCamera(id: string, input: unknown): Promise<CameraDetail> {
    const old = this.camera(id);
    const parsed = CameraInput.parse({ ...(input as object), id });
    const { config: cam, passwords } = prepareCamera(parsed, old.config);
    await this.#checkSources(cam);
    await old.dispose();
    this.#cameras.delete(id);
    savePasswords(this.secrets, id, passwords);
    this.#index.saveCamera(cam);
    this.#startCamera(cam);
    return this.detail(id);
  }

  async removeCamera(id: string): Promise<void> {
    const cam = this.camera(id);
    this.#cameras.delete(id);
    await cam.dispose();
    this.#index.deleteCamera(id);
    forgetPasswords(this.secrets, id);
    this.#cameraStartedAt.delete(id);
  }

  /**
   * The "test" button: opens a source once. A password typed into the form (or the URL) is used; without one, the
   * password stored for `cameraId`'s stream, as long as the URL still points at the same server.
   */
  async probe(input: unknown, cameraId?: string, stream: StreamName = 'main'): Promise<ProbeResponse> {
    const parsed = StreamSourceInput.parse(input);
    const previous = cameraId ? this.#cameras.get(cameraId)?.config[stream] : undefined;
    const { source, password } = prepareSource(parsed, previous);
    const refusal = await this.#policy.refusal(source);
    if (refusal) {
      const field = `source.${source.kind === 'file' ? 'path' : 'url'}`;
      throw new VideoRequestError(400, 'source_not_allowed', `${field}: ${refusal}`, field);
    }
    const stored =
      password === undefined && cameraId ? this.secrets.get(passwordSecretName(cameraId, stream)) : undefined;
    return probeSource(this.o.ffmpeg, source, password ?? stored, this.o.env ?? process.env);
  }

  recordings(cameraId: string, from: number, to: number): RecordingsResponse {
    const segments = this.#index
      .segments(cameraId, from, to)
      .map(({ start, end, bytes }) => ({ start, end, bytes }));
    const gaps: RecordingsResponse['gaps'] = this.#index
      .gaps(cameraId, from, to)
      .map(({ start, end, cause, detail }) =>
        detail ? { start, end, cause, detail } : { start, end, cause },
      );
    // The interval since the last segment is a gap too when nothing is being recorded right now.
    const cam = this.#cameras.get(cameraId);
    const last = this.#lastEnd.get(cameraId);
    const now = Date.now();
    if (cam && last !== undefined && last < to && !cam.status().recording && now - last > GAP_TOLERANCE_MS) {
      const pending = this.#pendingCause.get(cameraId) ?? { cause: 'camera down' as GapCause };
      gaps.push({ start: Math.max(last, from), end: Math.min(now, to), ...pending });
    }
    const result: RecordingsResponse = { segments, gaps };
    const tracked = Math.min(
      this.#index.firstRecord(cameraId) ?? Infinity,
      this.#cameraStartedAt.get(cameraId) ?? Infinity,
    );
    if (Number.isFinite(tracked)) result.trackedSince = tracked;
    const status = cam?.status();
    // The segment being written starts where the last one ended, or when the camera came (back) up.
    if (status?.recording) result.recordingSince = Math.max(last ?? status.since, status.since);
    return result;
  }

  /** Streams an MP4 of [from, to) assembled from segments with -c copy (starting at the keyframe before `from`). */
  async clip(
    cameraId: string,
    from: number,
    to: number,
  ): Promise<{ stream: Readable; segments: SegmentRecord[] }> {
    if (!(to > from)) throw new VideoRequestError(400, 'bad_request', '"to" must be after "from".', 'to');
    const segments = this.#index.segments(cameraId, from, to);
    if (segments.length === 0)
      throw new VideoRequestError(404, 'not_found', `No footage of "${cameraId}" between these times.`);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-clip-'));
    const lines = ['ffconcat version 1.0'];
    for (const [i, seg] of segments.entries()) {
      let file = this.store.localPath?.(seg.key);
      if (!file) {
        file = path.join(tmp, `${i}.mp4`);
        const out = fs.createWriteStream(file);
        for await (const chunk of await this.store.open(seg.key)) out.write(chunk);
        await new Promise((r) => out.end(r));
      }
      lines.push(`file '${file.replace(/'/g, "'\\''")}'`);
      if (i === 0 && from > seg.start) lines.push(`inpoint ${((from - seg.start) / 1000).toFixed(3)}`);
      if (i === segments.length - 1 && to < seg.end)
        lines.push(`outpoint ${((to - seg.start) / 1000).toFixed(3)}`);
    }
    const list = path.join(tmp, 'list.ffconcat');
    fs.writeFileSync(list, lines.join('\n') + '\n');
    const child = spawn(
      this.o.ffmpeg,
      [
        '-hide_banner',
        '-nostdin',
        '-loglevel',
        'error',
        '-f',
        'concat',
        '-safe',
        '0',
        '-i',
        list,
        '-map',
        '0:v',
        '-c',
        'copy',
        '-f',
        'mp4',
        '-movflags',
        'frag_keyframe+empty_moov+default_base_moof',
        'pipe:1',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    const cleanup = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      fs.rmSync(tmp, { recursive: true, force: true });
    };
    child.once('close', (code) => {
      if (code) this.#log.warn({ code, stderr, camera: cameraId }, 'clip assembly failed');
      fs.rmSync(tmp, { recursive: true, force: true });
    });
    child.stdout.once('close', cleanup);
    child.stdout.once('error', cleanup);
    return { stream: child.stdout, segments };
  }

  addHold(h: { cameraId: string; from: number; to: number; reason: string }): HoldRecord {
    if (!(h.to > h.from)) throw new VideoRequestError(400, 'bad_request', '"to" must be after "from".', 'to');
    return this.#index.addHold(h);
  }

  removeHold(id: string): void {
    if (!this.#index.removeHold(id)) throw new VideoRequestError(404, 'not_found', `No hold "${id}".`, 'id');
  }

  holds(): HoldRecord[] {
    return this.#index.holds();
  }

  retentionLog(limit: number): RetentionLogEntry[] {
    return this.#index.retentionLog(limit);
  }

  async storage(): Promise<StorageResponse> {
    const perCamera = this.#index.bytesByCamera();
    const cap = await this.store.capacity?.();
    return {
      totalBytes: cap?.totalBytes ?? 0,
      freeBytes: cap?.freeBytes ?? 0,
      usedByRecordings: Object.values(perCamera).reduce((a, b) => a + b, 0),
      perCamera,
    };
  }

  /** Runs retention now (it also runs on a timer); one run at a time. */
  runRetention(): Promise<RetentionResult> {
    this.#retentionRunning ??= runRetention({
      index: this.#index,
      store: this.store,
      config: this.o.video.retention,
      log: this.#log,
      onDeleted: (bytes, kind) => this.#metrics.deleted(bytes, kind),
    }).finally(() => (this.#retentionRunning = undefined));
    return this.#retentionRunning;
  }

  /** Waits until every finished segment reported so far is in the store and the index. */
  flush(): Promise<void> {
    return this.#storing;
  }

  health(): ServiceHealth {
    const down = this.statuses().filter((s) => s.enabled && s.state !== 'streaming');
    if (down.length === 0) return { status: 'ok' };
    return { status: 'degraded', detail: down.map((s) => `${s.id}: ${s.reason ?? s.state}`).join('; ') };
  }

  async dispose(): Promise<void> {
    if (this.#retentionTimer) clearInterval(this.#retentionTimer);
    await Promise.all([...this.#cameras.values()].map((c) => c.dispose()));
    this.#cameras.clear();
    await this.#storing;
    await this.#retentionRunning?.catch(() => undefined);
    this.#metrics?.dispose();
    this.#index?.close();
  }
}
