import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import type { Bus } from '../contract/bus.js';
import { CameraConfig, CameraInput, DEMO_CAMERA, StreamSourceInput } from '../contract/config/cameras.js';
import { CameraRetentionUpdate, RetentionUpdate, type VideoConfig } from '../contract/config/video.js';
import type {
  GapCause,
  GapRecord,
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
  RetentionResponse,
  RecordingTimelineResponse,
  StorageResponse,
} from '../contract/video-api.js';
import { HOLD_LIMITS, MAX_CLIP_MS, MAX_TIMELINE_MS } from '../contract/video-api.js';
import { findFfprobe } from '../platform/binaries.js';
import { isDiskFullError, retryDelay } from '../platform/disk-full.js';
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
import { FORECAST_WINDOW_MS, forecastRetention, RetentionSettings } from './retention-settings.js';
import { SeekableClipCache } from './seekable-clips.js';
import { trackChild } from '../platform/child-tracker.js';

export interface VideoServiceOptions {
  dataDir: string;
  video: VideoConfig;
  /**
   * Cameras from the config file. The file wins for the cameras it declares: their stored settings are replaced by
   * the file's at every start, and the API refuses to change them. The defaults' demo camera only seeds a fresh
   * installation and is then the app's to edit.
   */
  cameras: readonly CameraConfig[];
  bus: Bus;
  ffmpeg: string;
  /** Video store; local disk under <dataDir>/recordings by default. */
  store?: VideoStore;
  env?: NodeJS.ProcessEnv;
  /** Where camera passwords entered through the API are kept; an encrypted file under <dataDir>/secrets by default. */
  secrets?: SecretStore;
  /** The key of that encrypted file when the desktop shell keeps it in the OS secret store; a key file otherwise. */
  secretKey?: Buffer;
}

/** Whether the camera list is the defaults' (no `cameras` in the file): the demo camera and nothing else. */
function isDefaultCameraList(cameras: readonly CameraConfig[]): boolean {
  return cameras.length === 1 && isDeepStrictEqual(cameras[0], CameraConfig.parse(DEMO_CAMERA));
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
/** Index entries (segments, gaps) kept in memory while the disk is full; beyond, the oldest are given up. */
const MAX_UNINDEXED = 20_000;

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
  /** Ids of the cameras the configuration file declares (their settings are the file's). */
  readonly #setInConfigFile = new Set<string>();
  readonly #lastEnd = new Map<string, number>();
  /** When each camera was started by this process (the start of its history when nothing is stored yet). */
  readonly #cameraStartedAt = new Map<string, number>();
  readonly #pendingCause = new Map<string, { cause: GapCause; detail?: string }>();
  readonly #startedAt = Date.now();
  #storing: Promise<void> = Promise.resolve();
  /** Since when the disk is full (a recording or index write failed for lack of space); cleared by a write. */
  #diskFullSince: number | undefined;
  /** Index writes that failed because the disk was full, in order, written again with back-off. */
  readonly #unindexed: Array<{ what: 'segment' | 'gap'; write: () => void }> = [];
  #indexRetryTimer: NodeJS.Timeout | undefined;
  #indexRetryAttempt = 0;
  #retentionTimer: NodeJS.Timeout | undefined;
  #seekableClips: SeekableClipCache | undefined;
  #retentionRunning: Promise<RetentionResult> | undefined;
  /** Retention in force: the configuration file's, with the changes made in the UI. */
  #retention!: RetentionSettings;
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
    this.#secrets ??= EncryptedFileSecretStore.inFolder(
      path.join(this.o.dataDir, SECRETS_DIR),
      this.o.secretKey,
    );
    return this.#secrets;
  }

  get index(): RecordingIndex {
    return this.#index;
  }

  async start(): Promise<void> {
    fs.mkdirSync(this.o.dataDir, { recursive: true });
    this.#index = new RecordingIndex(path.join(this.o.dataDir, 'recordings.sqlite'));
    this.#retention = new RetentionSettings(this.o.dataDir, this.o.video.retention);
    // Segments left half-written by a crash have no index entry and no MP4 index: they cannot be played.
    fs.rmSync(this.stagingDir, { recursive: true, force: true });
    fs.mkdirSync(this.stagingDir, { recursive: true });
    this.#seedCameras();
    this.#moveUrlPasswordsToSecretStore();
    await this.#indexStraySegments();
    this.#metrics = videoMetrics(() => this.statuses());
    // Sources are checked all at once (host names resolve in parallel), cameras then start in their stored order.
    const rows = this.#index.cameraRows();
    const refusals = await Promise.all(rows.map((row) => this.#storedRefusal(row.json)));
    rows.forEach((row, i) => this.#startStoredCamera(row.id, row.json, refusals[i]));
    const every = this.o.video.retention.intervalSeconds * 1000;
    this.#retentionTimer = setInterval(() => void this.runRetention().catch(() => undefined), every);
    this.#log.info({ cameras: this.#cameras.size }, 'video started');
  }

  /**
   * Stores the configuration file's cameras, with any password in a URL moved to the secret store. A camera the file
   * declares is written at every start (the file wins, even over an earlier removal in the app); the defaults' demo
   * camera is only added to a fresh installation.
   */
  #seedCameras(): void {
    const fromFile = !isDefaultCameraList(this.o.cameras);
    const known = new Set(this.#index.cameraRows(true).map((r) => r.id));
    const seeded = this.o.cameras.flatMap((cam) => {
      if (!fromFile && known.has(cam.id)) return [];
      const { config, passwords } = prepareCamera(cam, undefined);
      if (passwords.main || passwords.sub) {
        this.#log.warn(
          { camera: cam.id },
          'the configuration file has a camera password in a URL; it is kept in the secret store, but name an environment variable with passwordEnv instead',
        );
        savePasswords(this.secrets, cam.id, passwords);
      }
      if (fromFile) this.#setInConfigFile.add(cam.id);
      return [config];
    });
    for (const cam of seeded) this.#index.saveCamera(cam);
  }

  /**
   * Refuses (409) a change or removal through the API of a camera the configuration file declares: the file would
   * undo it at the next start. An unknown camera answers 404 as before.
   */
  refuseIfSetInConfigFile(id: string, what: 'changed' | 'removed'): void {
    this.camera(id);
    if (!this.#setInConfigFile.has(id)) return;
    throw new VideoRequestError(
      409,
      'set_in_config_file',
      `Camera "${id}" is set in the configuration file and cannot be ${what} here: ${
        what === 'changed' ? 'change it' : 'remove it from'
      } the file's "cameras" list and restart Vigil.`,
    );
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
    if (problem?.diskFull) this.#markDiskFull();
    if (problem?.diskFull) this.#pendingCause.set(status.id, { cause: 'disk full', detail: problem.reason });
    else if ((status.state === 'reconnecting' || status.state === 'failed') && status.reason)
      this.#pendingCause.set(status.id, { cause: 'camera down', detail: status.reason });
  }

  #queueSegment(cameraId: string, file: string, start: number, end: number): void {
    this.#storing = this.#storing
      .then(() => this.#storeSegment(cameraId, file, start, end))
      .catch((err: unknown) => {
        const diskFull = isDiskFullError(err);
        if (diskFull) {
          this.#markDiskFull();
          this.#pendingCause.set(cameraId, { cause: 'disk full', detail: 'the video store is full' });
        }
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
    const gaps =
      last !== undefined && start - last > GAP_TOLERANCE_MS ? this.#gaps(cameraId, last, start) : [];
    const day = new Date(start).toISOString().slice(0, 10);
    const info = await this.store.put(`${cameraId}/${day}/${start}.mp4`, file);
    this.#pendingCause.delete(cameraId);
    this.#lastEnd.set(cameraId, end);
    for (const g of gaps) this.#indexWrite('gap', () => this.#index.addGap(g));
    this.#indexWrite('segment', () => {
      this.#index.addSegment({ cameraId, start, end, bytes: info.bytes, key: info.key });
    });
    this.#metrics.segment(cameraId);
  }

  /** The gap records for footage missing between `from` and `to`, with their cause. */
  #gaps(cameraId: string, from: number, to: number): GapRecord[] {
    const pending = this.#pendingCause.get(cameraId) ?? { cause: 'camera down' as GapCause };
    if (from < this.#startedAt) {
      const restartEnd = to - this.#startedAt > STARTUP_ALLOWANCE_MS ? this.#startedAt : to;
      const gaps: GapRecord[] = [{ cameraId, start: from, end: restartEnd, cause: 'backend stopped' }];
      if (restartEnd < to) gaps.push({ cameraId, start: restartEnd, end: to, ...pending });
      return gaps;
    }
    return [{ cameraId, start: from, end: to, ...pending }];
  }

  /**
   * Segment files on the local video store that have no index entry: stored while the disk was full, with their
   * index entries still waiting when the backend stopped. They are indexed before the cameras start, with their
   * length per ffprobe (the configured segment length when ffprobe is missing or cannot read the file).
   */
  async #indexStraySegments(): Promise<void> {
    if (!this.store.localPath) return; // a remote store is not walked at every start
    const stray = (await this.store.list('')).filter(
      (o) => /^[^/]+\/\d{4}-\d{2}-\d{2}\/\d+\.mp4$/.test(o.key) && !this.#index.hasSegmentKey(o.key),
    );
    if (stray.length === 0) return;
    const ffprobe = findFfprobe(this.o.env ?? process.env)?.path;
    for (const o of stray) {
      const [cameraId, , name] = o.key.split('/') as [string, string, string];
      const start = Number(name.slice(0, -'.mp4'.length));
      const file = this.store.localPath(o.key);
      const seconds = ffprobe && file ? await probeSeconds(ffprobe, file) : undefined;
      const end = start + Math.round((seconds ?? this.o.video.segmentSeconds) * 1000);
      this.#index.addSegment({ cameraId, start, end, bytes: o.bytes, key: o.key });
    }
    this.#log.warn({ segments: stray.length }, 'indexed segment files that were stored but not indexed');
  }

  #markDiskFull(): void {
    if (this.#diskFullSince !== undefined) return;
    this.#diskFullSince = Date.now();
    this.#log.error('disk full: recording paused; segments are indexed when space returns');
  }

  /**
   * Writes an index entry. When the disk is full the entry waits in memory, in order, and is written again with
   * back-off (250 ms doubling to 10 s) until space returns: the segment file is stored, so it must become findable.
   */
  #indexWrite(what: 'segment' | 'gap', write: () => void): void {
    if (this.#unindexed.length === 0) {
      try {
        write();
        this.#diskFullSince = undefined;
        return;
      } catch (err) {
        if (!isDiskFullError(err)) throw err;
        this.#markDiskFull();
      }
    }
    this.#unindexed.push({ what, write });
    if (this.#unindexed.length > MAX_UNINDEXED) {
      const lost = this.#unindexed.shift();
      this.#log.error({ what: lost?.what }, 'disk full for too long: an index entry was given up');
    }
    this.#scheduleIndexRetry();
  }

  #scheduleIndexRetry(): void {
    if (this.#indexRetryTimer) return;
    this.#indexRetryTimer = setTimeout(() => {
      this.#indexRetryTimer = undefined;
      this.#retryIndex();
    }, retryDelay(this.#indexRetryAttempt++));
  }

  #retryIndex(): void {
    const before = this.#unindexed.length;
    while (this.#unindexed.length > 0) {
      const next = this.#unindexed[0]!;
      try {
        next.write();
      } catch (err) {
        if (isDiskFullError(err)) {
          this.#scheduleIndexRetry();
          return;
        }
        this.#log.error({ err, what: next.what }, 'an index entry could not be written');
      }
      this.#unindexed.shift();
    }
    this.#indexRetryAttempt = 0;
    this.#diskFullSince = undefined;
    this.#log.warn({ entries: before }, 'disk space is back: waiting segments and gaps indexed');
  }

  camera(id: string): CameraPipeline {
    const cam = this.#cameras.get(id);
    if (!cam) throw new VideoRequestError(404, 'not_found', `No camera "${id}".`, 'id');
    return cam;
  }

  statuses(): CameraStatus[] {
    const diskFull = this.#diskFullSince !== undefined;
    return [...this.#cameras.values()].map((c) => {
      const s = this.#withOrigin(c.status());
      // Footage that cannot be stored is not being recorded, whatever ffmpeg is doing right now.
      return diskFull && s.recording
        ? { ...s, recording: false, reason: s.reason ?? 'disk full: recording paused' }
        : s;
    });
  }

  /** A camera's status and configuration; never a password, only whether one is stored. */
  detail(id: string): CameraDetail {
    const cam = this.camera(id);
    return { ...this.#withOrigin(cam.status()), config: cameraView(cam.config, this.secrets) };
  }

  #withOrigin(s: CameraStatus): CameraStatus {
    return this.#setInConfigFile.has(s.id) ? { ...s, setInConfigFile: true } : s;
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

  /**
   * The playback timeline of a camera over [from, to): recorded spans, recorder gaps with their causes, and the
   * spans retention deleted (named as such, with its reason), so an investigator sees why footage is missing.
   */
  timeline(cameraId: string, from: number, to: number): RecordingTimelineResponse {
    if (!(to > from)) throw new VideoRequestError(400, 'bad_request', '"to" must be after "from".', 'to');
    if (to - from > MAX_TIMELINE_MS)
      throw new VideoRequestError(
        400,
        'bad_request',
        `A timeline covers at most ${MAX_TIMELINE_MS / 86_400_000} days; ask for a shorter range.`,
        'to',
      );
    const rec = this.recordings(cameraId, from, to);
    const gaps: RecordingTimelineResponse['gaps'] = rec.gaps.map((g) => ({ ...g }));
    for (const d of this.#index.deletions(cameraId, from, to))
      gaps.push({ start: d.start, end: d.end, cause: 'deleted by retention', detail: d.reason });
    gaps.sort((a, b) => a.start - b.start);
    const out: RecordingTimelineResponse = {
      cameraId,
      from,
      to,
      segments: rec.segments.map(({ start, end }) => ({ start, end })),
      gaps,
    };
    if (rec.recordingSince !== undefined) out.recordingSince = rec.recordingSince;
    return out;
  }

  /**
   * The MP4 file of [from, to), whole and seekable (for playback tiles, which seek; see SeekableClipCache). The
   * same bounds as a streamed clip.
   */
  async seekableClip(cameraId: string, from: number, to: number): Promise<{ file: string; bytes: number }> {
    if (!(to > from)) throw new VideoRequestError(400, 'bad_request', '"to" must be after "from".', 'to');
    if (to - from > MAX_CLIP_MS)
      throw new VideoRequestError(
        400,
        'bad_request',
        `A clip may cover at most ${MAX_CLIP_MS / 60_000} minutes; ask for a shorter range.`,
        'to',
      );
    const segments = this.#index.segments(cameraId, from, to);
    if (segments.length === 0)
      throw new VideoRequestError(404, 'not_found', `No footage of "${cameraId}" between these times.`);
    const parts = segments.map((segment) => ({ segment, file: this.store.localPath?.(segment.key) }));
    if (parts.some((p) => !p.file))
      throw new VideoRequestError(
        501,
        'not_implemented',
        'Seekable clips need the recordings on a local disk; play the streamed clip instead.',
      );
    this.#seekableClips ??= new SeekableClipCache(this.o.ffmpeg);
    return this.#seekableClips.get(cameraId, from, to, async () =>
      parts.map((p) => ({ segment: p.segment, file: p.file as string })),
    );
  }

  /** Streams an MP4 of [from, to) assembled from segments with -c copy (starting at the keyframe before `from`). */
  async clip(
    cameraId: string,
    from: number,
    to: number,
  ): Promise<{ stream: Readable; segments: SegmentRecord[] }> {
    if (!(to > from)) throw new VideoRequestError(400, 'bad_request', '"to" must be after "from".', 'to');
    if (to - from > MAX_CLIP_MS)
      throw new VideoRequestError(
        400,
        'bad_request',
        `A clip may cover at most ${MAX_CLIP_MS / 60_000} minutes (this range is ${Math.ceil((to - from) / 60_000)}); ` +
          'ask for a shorter range, or export longer footage as evidence.',
        'to',
      );
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
    const child = trackChild(
      spawn(
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
      ),
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

  /**
   * Keeps footage of [from, to) from retention. The range is bounded (see HOLD_LIMITS): a hold from the epoch to the
   * far future would switch retention off for the camera, and the disk would fill.
   */
  addHold(h: { cameraId: string; from: number; to: number; reason: string }): HoldRecord {
    const bad = (message: string, field: string): never => {
      throw new VideoRequestError(400, 'bad_request', message, field);
    };
    const latest = Date.now() + HOLD_LIMITS.aheadMs;
    const day = (t: number): string => new Date(t).toISOString().slice(0, 10);
    for (const field of ['from', 'to'] as const) {
      const t = h[field];
      if (!Number.isSafeInteger(t)) bad(`"${field}" must be a whole number of ms since the epoch.`, field);
      if (t < HOLD_LIMITS.earliest || t > latest)
        bad(
          `"${field}" must be a time from ${day(HOLD_LIMITS.earliest)} to ${day(latest)} (ms since the epoch); got ${t}.`,
          field,
        );
    }
    if (!(h.to > h.from)) bad('"to" must be after "from".', 'to');
    if (h.to - h.from > HOLD_LIMITS.maxSpanMs)
      bad(
        `A hold may cover at most ${HOLD_LIMITS.maxSpanMs / 86_400_000} days; hold the footage in shorter ranges.`,
        'to',
      );
    if (!h.cameraId || h.cameraId.length > 200)
      bad('"cameraId" must be a camera id (1 to 200 characters).', 'cameraId');
    if (h.reason.length > HOLD_LIMITS.maxReason)
      bad(`"reason" may be at most ${HOLD_LIMITS.maxReason} characters.`, 'reason');
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

  /** The retention in force and how long footage fits at the rate the cameras record now. */
  async retention(): Promise<RetentionResponse> {
    const r = this.#retention.effective;
    const { usedByRecordings } = await this.storage();
    return {
      maxAgeDays: r.maxAgeDays,
      perCameraMaxAgeDays: r.perCameraMaxAgeDays,
      maxBytes: r.maxBytes,
      minFreePercent: r.minFreePercent,
      forecast: forecastRetention({
        retention: r,
        recorded: this.#index.recordedSince(Date.now() - FORECAST_WINDOW_MS),
        recordingCameras: this.statuses()
          .filter((c) => c.enabled && c.recording)
          .map((c) => c.id),
        usedByRecordings,
        capacity: await this.store.capacity?.(),
      }),
    };
  }

  /** Changes the global age limit (kept across restarts) and applies it at once. */
  async updateRetention(input: unknown): Promise<RetentionResponse> {
    const parsed = RetentionUpdate.parse(input);
    this.#retention.setMaxAgeDays(parsed.maxAgeDays);
    await this.runRetention();
    return this.retention();
  }

  /** Gives a camera its own age limit, or (null) makes it follow the global one; applied at once. */
  async updateCameraRetention(cameraId: string, input: unknown): Promise<RetentionResponse> {
    const parsed = CameraRetentionUpdate.parse(input);
    if (!this.#cameras.has(cameraId) && !(cameraId in this.#index.bytesByCamera()))
      throw new VideoRequestError(404, 'not_found', `No camera "${cameraId}".`, 'id');
    this.#retention.setCameraMaxAgeDays(cameraId, parsed.maxAgeDays);
    await this.runRetention();
    return this.retention();
  }

  /** Runs retention now (it also runs on a timer); one run at a time. */
  runRetention(): Promise<RetentionResult> {
    this.#retentionRunning ??= runRetention({
      index: this.#index,
      store: this.store,
      config: this.#retention.effective,
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
    const problems: string[] = [];
    if (this.#diskFullSince !== undefined) {
      const waiting = this.#unindexed.filter((u) => u.what === 'segment').length;
      problems.push(
        `disk full: recording paused since ${new Date(this.#diskFullSince).toISOString()}` +
          (waiting ? `, ${waiting} segments waiting to be indexed` : ''),
      );
    }
    const down = this.statuses().filter((s) => s.enabled && s.state !== 'streaming');
    problems.push(...down.map((s) => `${s.id}: ${s.reason ?? s.state}`));
    return problems.length ? { status: 'degraded', detail: problems.join('; ') } : { status: 'ok' };
  }

  async dispose(): Promise<void> {
    this.#seekableClips?.dispose();
    if (this.#retentionTimer) clearInterval(this.#retentionTimer);
    clearTimeout(this.#indexRetryTimer);
    await Promise.all([...this.#cameras.values()].map((c) => c.dispose()));
    this.#cameras.clear();
    await this.#storing;
    if (this.#unindexed.length) this.#retryIndex();
    clearTimeout(this.#indexRetryTimer);
    await this.#retentionRunning?.catch(() => undefined);
    this.#metrics?.dispose();
    this.#index?.close();
  }
}

/** Duration of a media file in seconds per ffprobe; undefined when it cannot be read. */
function probeSeconds(ffprobe: string, file: string): Promise<number | undefined> {
  return new Promise((resolve) =>
    execFile(
      ffprobe,
      ['-v', 'error', '-show_entries', 'format=duration', '-of', 'default=nw=1:nk=1', file],
      { timeout: 10_000 },
      (err, stdout) => {
        const seconds = Number(String(stdout).trim());
        resolve(!err && Number.isFinite(seconds) && seconds > 0 ? seconds : undefined);
      },
    ),
  );
}
