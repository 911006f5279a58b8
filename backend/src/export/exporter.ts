import { spawn } from 'node:child_process';
import { createHash, randomBytes, sign } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import type {
  ContinuityItem,
  EvidenceExportRequest,
  EvidenceExportResult,
  EvidenceFile,
  EvidenceManifest,
} from '../contract/backup.js';
import { BackupApiRoutes } from '../contract/backup.js';
import { createLogger } from '../platform/log.js';
import type { SigningKey } from './signing.js';
import type { AuditSink, EventSource, HoldSink, SegmentFile, SegmentSource } from './sources.js';
import { trackChild } from '../platform/child-tracker.js';

const log = createLogger('export.evidence');

/** The trail of an export of a trail (`TrailDocument`), listed in the manifest like every other file. */
export const TRAIL_FILE = 'trail.json';

/** Files of an export that are not listed in its manifest (they make up the signature). */
export const SIGNATURE_FILES = ['manifest.json', 'manifest.sig', 'public-key.pem'] as const;

export interface EvidenceExporterOptions {
  /** Folder that receives exports (a sub-folder or zip per export). */
  exportsDir: string;
  ffmpegPath: string;
  key: SigningKey;
  segments: SegmentSource;
  events: EventSource;
  audit: AuditSink;
  holds?: HoldSink;
  /** Name of this installation, written in the manifest. */
  installation?: string;
}

/** Segments closer than this are one continuous clip. */
const CONTIGUOUS_MS = 1500;

const stamp = (ms: number): string =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
const safe = (s: string): string => s.replace(/[^A-Za-z0-9_-]/g, '_');

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(fs.createReadStream(file), h);
  return h.digest('hex');
}

/** Joins segments into one plain MP4 without re-encoding (ffmpeg concat demuxer, -c copy), trimmed to the range. */
async function writeClip(
  ffmpeg: string,
  parts: SegmentFile[],
  from: number,
  to: number,
  out: string,
  signal?: AbortSignal,
): Promise<void> {
  const list = parts
    .map((s, i) => {
      const lines = [`file '${s.path.replace(/'/g, "'\\''")}'`];
      if (i === 0 && from > s.start) lines.push(`inpoint ${((from - s.start) / 1000).toFixed(3)}`);
      if (i === parts.length - 1 && to < s.end) lines.push(`outpoint ${((to - s.start) / 1000).toFixed(3)}`);
      return lines.join('\n');
    })
    .join('\n');
  const listFile = `${out}.txt`;
  await fsp.writeFile(listFile, `ffconcat version 1.0\n${list}\n`);
  const args = ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', listFile];
  args.push('-map', '0:v?', '-map', '0:a?', '-c', 'copy', '-movflags', '+faststart', out);
  const child = trackChild(
    spawn(ffmpeg, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      // Not the backend's environment: it may hold secrets (camera passwords named by passwordEnv, the API token).
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
    }),
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const onAbort = (): void => void child.kill('SIGKILL');
  signal?.addEventListener('abort', onAbort);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0)
      throw new Error(`ffmpeg could not join the segments into ${path.basename(out)}: ${stderr.trim()}`);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await fsp.rm(listFile, { force: true });
  }
}

/** Groups segments into runs without gaps. */
function contiguousRuns(segments: SegmentFile[]): SegmentFile[][] {
  const runs: SegmentFile[][] = [];
  for (const s of segments) {
    const run = runs.at(-1);
    const last = run?.at(-1);
    if (run && last && s.start - last.end <= CONTIGUOUS_MS) run.push(s);
    else runs.push([s]);
  }
  return runs;
}

/** Cause written for footage missing where neither the recorder nor retention logged why. */
export const UNEXPLAINED_CAUSE = 'no footage (no cause logged)';

/**
 * Every stretch of [from, to) without footage of one camera, with its cause: the recorder's gaps and retention's
 * deletions as logged, and the holes nothing explains (named as such), so the report accounts for every second.
 */
export function cameraContinuity(
  cameraId: string,
  from: number,
  to: number,
  segments: ReadonlyArray<{ start: number; end: number }>,
  logged: readonly ContinuityItem[],
): ContinuityItem[] {
  const items = logged
    .filter((i) => i.cameraId === cameraId && i.end > from && i.start < to)
    .map((i) => ({ ...i, start: Math.max(i.start, from), end: Math.min(i.end, to) }));
  const covered = [...segments, ...items].map((s) => ({ start: s.start, end: s.end }));
  covered.sort((a, b) => a.start - b.start);
  let at = from;
  const holes: ContinuityItem[] = [];
  for (const c of covered) {
    if (c.start - at > CONTIGUOUS_MS && at < to)
      holes.push({ cameraId, start: at, end: Math.min(c.start, to), kind: 'gap', cause: UNEXPLAINED_CAUSE });
    at = Math.max(at, c.end);
  }
  if (to - at > CONTIGUOUS_MS)
    holes.push({ cameraId, start: at, end: to, kind: 'gap', cause: UNEXPLAINED_CAUSE });
  return [...items, ...holes].sort((a, b) => a.start - b.start);
}

/** The continuity report of one camera, in words. */
function continuityText(cameraId: string, items: ContinuityItem[], req: EvidenceExportRequest): string {
  const lines = [
    `Continuity report for ${cameraId} from ${new Date(req.from).toISOString()} to ${new Date(req.to).toISOString()}`,
    `Case ${req.caseNumber}: ${req.reason}`,
    '',
  ];
  if (!items.length) lines.push('The footage is continuous: no gaps and no deletions in the range.');
  const missing = items.reduce((n, i) => n + (i.end - i.start), 0);
  if (items.length)
    lines.push(`${items.length} stretch(es) without footage, ${(missing / 1000).toFixed(1)} s in all:`, '');
  for (const i of items) {
    const secs = ((i.end - i.start) / 1000).toFixed(1);
    lines.push(
      `${i.kind === 'gap' ? 'gap' : 'deleted'} ${new Date(i.start).toISOString()} – ${new Date(i.end).toISOString()} (${secs} s): ${i.cause}${i.detail ? ` (${i.detail})` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Evidence export: per camera the plain MP4 clips of the range, the events and their snapshots, a continuity report
 * (gaps and deletions with causes) and manifest.json with the SHA-256 of every file, signed with the installation's
 * Ed25519 key (manifest.sig, public-key.pem). The range is held against retention and the export is audited.
 */
export class EvidenceExporter {
  constructor(private readonly options: EvidenceExporterOptions) {}

  async export(
    req: EvidenceExportRequest,
    user: string,
    signal?: AbortSignal,
  ): Promise<EvidenceExportResult & { manifest: EvidenceManifest }> {
    const { options } = this;
    if (!req.cameraIds.length) throw new Error('choose at least one camera to export');
    if (!(req.to > req.from)) throw new Error('the end of the range must be after its start');
    if (!req.reason.trim()) throw new Error('give the reason for the export');
    if (!req.caseNumber.trim()) throw new Error('give the case number the export belongs to');
    const id = `${stamp(req.from)}_${safe(req.cameraIds.join('+')).slice(0, 60)}_${randomBytes(3).toString('hex')}`;
    await fsp.mkdir(options.exportsDir, { recursive: true });
    const work =
      req.format === 'folder'
        ? path.join(options.exportsDir, id)
        : await fsp.mkdtemp(path.join(os.tmpdir(), 'vigil-export-'));
    const warnings: string[] = [];
    const files: EvidenceFile[] = [];
    const add = async (rel: string, kind: EvidenceFile['kind'], cameraId?: string): Promise<void> => {
      const abs = path.join(work, ...rel.split('/'));
      files.push({
        path: rel,
        size: (await fsp.stat(abs)).size,
        sha256: await sha256File(abs),
        kind,
        ...(cameraId ? { cameraId } : {}),
      });
    };
    try {
      await fsp.mkdir(path.join(work, 'clips'), { recursive: true });
      const continuity: ContinuityItem[] = [];
      for (const cameraId of req.cameraIds) {
        const segments = await options.segments.segments(cameraId, req.from, req.to);
        const logged = await options.segments.continuity(cameraId, req.from, req.to);
        const own = cameraContinuity(cameraId, req.from, req.to, segments, logged);
        continuity.push(...own);
        // One continuity report per camera: every stretch of the range without its footage, with the cause.
        await fsp.mkdir(path.join(work, 'continuity'), { recursive: true });
        const rel = `continuity/${safe(cameraId)}.txt`;
        await fsp.writeFile(
          path.join(work, 'continuity', `${safe(cameraId)}.txt`),
          continuityText(cameraId, own, req),
        );
        await add(rel, 'continuity', cameraId);
        if (!segments.length) warnings.push(`no footage of camera "${cameraId}" in the range`);
        for (const run of contiguousRuns(segments)) {
          const first = run[0] as SegmentFile;
          const start = Math.max(req.from, first.start);
          const rel = `clips/${safe(cameraId)}_${stamp(start)}.mp4`;
          await writeClip(
            options.ffmpegPath,
            run,
            req.from,
            req.to,
            path.join(work, ...rel.split('/')),
            signal,
          );
          await add(rel, 'clip', cameraId);
        }
      }

      const events = await options.events.events(req.cameraIds, req.from, req.to);
      let snapshots = 0;
      for (const e of events) {
        const jpeg = await options.events.snapshot(e.id);
        if (!jpeg) continue;
        if (!snapshots++) await fsp.mkdir(path.join(work, 'snapshots'), { recursive: true });
        const rel = `snapshots/${safe(e.id)}.jpg`;
        await fsp.writeFile(path.join(work, 'snapshots', `${safe(e.id)}.jpg`), jpeg);
        await add(rel, 'snapshot', e.cameraId);
      }
      await fsp.writeFile(path.join(work, 'events.json'), JSON.stringify(events, null, 2));
      await add('events.json', 'events');
      continuity.sort((a, b) => a.start - b.start);
      await fsp.writeFile(path.join(work, 'continuity.json'), JSON.stringify(continuity, null, 2));
      await add('continuity.json', 'continuity');
      // Who watched, played back and exported this footage before it left: the cameras' audit entries, with their
      // chain hashes (each can be checked against the installation's log), under the manifest's signature.
      const history = await options.audit.history(req.cameraIds);
      await fsp.writeFile(path.join(work, 'audit.json'), JSON.stringify(history, null, 2));
      await add('audit.json', 'audit');
      // A trail: its confirmed sightings in order with the cameras' places on the site map, and the plan itself.
      const trail = req.trail;
      if (trail) {
        const plan = trail.document.plan;
        if (plan && trail.plan) {
          await fsp.mkdir(path.dirname(path.join(work, ...plan.path.split('/'))), { recursive: true });
          await fsp.writeFile(path.join(work, ...plan.path.split('/')), trail.plan);
          await add(plan.path, 'trail');
        }
        await fsp.writeFile(path.join(work, TRAIL_FILE), JSON.stringify(trail.document, null, 2));
        await add(TRAIL_FILE, 'trail');
      }

      const manifest: EvidenceManifest = {
        format: 'vigil-evidence/1',
        id,
        cameras: [...req.cameraIds],
        from: req.from,
        to: req.to,
        exportedBy: user,
        exportedAt: Date.now(),
        reason: req.reason,
        caseNumber: req.caseNumber,
        ...(trail
          ? {
              trail: {
                id: trail.document.id,
                name: trail.document.name,
                sightings: trail.document.sightings.length,
              },
            }
          : {}),
        installation: options.installation ?? os.hostname(),
        keyFingerprint: options.key.fingerprint,
        files,
      };
      const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2));
      await fsp.writeFile(path.join(work, 'manifest.json'), manifestBytes);
      await fsp.writeFile(
        path.join(work, 'manifest.sig'),
        `${sign(null, manifestBytes, options.key.privateKey).toString('base64')}\n`,
      );
      await fsp.writeFile(path.join(work, 'public-key.pem'), options.key.publicKeyPem);

      let location = work;
      if (req.format === 'zip') {
        location = path.join(options.exportsDir, `${id}.zip`);
        await zipFolder(work, [...SIGNATURE_FILES, ...files.map((f) => f.path)], location);
      }

      const holds: string[] = [];
      if (options.holds) {
        for (const cameraId of req.cameraIds) {
          try {
            holds.push(
              await options.holds.hold({
                cameraId,
                from: req.from,
                to: req.to,
                reason: `evidence export ${id}`,
              }),
            );
          } catch (err) {
            warnings.push(
              `footage of "${cameraId}" could not be protected from retention: ${(err as Error).message}`,
            );
          }
        }
      }
      await options.audit.record({
        actor: user,
        cameras: req.cameraIds,
        target: id,
        detail: {
          cameras: req.cameraIds,
          from: req.from,
          to: req.to,
          reason: req.reason,
          caseNumber: req.caseNumber,
          ...(trail ? { trail: trail.document.id } : {}),
          format: req.format,
          files: files.length,
          location,
          keyFingerprint: options.key.fingerprint,
        },
      });
      const bytes = files.reduce((a, f) => a + f.size, 0);
      log.info({ id, cameras: req.cameraIds, files: files.length, bytes }, 'evidence exported');
      return {
        id,
        format: req.format,
        location,
        ...(req.format === 'zip'
          ? { downloadUrl: BackupApiRoutes.exportDownload.replace(':id', encodeURIComponent(id)) }
          : {}),
        files: files.length,
        bytes,
        keyFingerprint: options.key.fingerprint,
        holds,
        warnings,
        manifest,
      };
    } catch (err) {
      await fsp.rm(work, { recursive: true, force: true });
      throw err;
    } finally {
      if (req.format === 'zip') await fsp.rm(work, { recursive: true, force: true });
    }
  }
}

async function zipFolder(dir: string, rels: string[], out: string): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const rel of rels) {
    // Clips are already compressed: stored as they are, which keeps exporting fast.
    zip.addFile(path.join(dir, ...rel.split('/')), rel, {
      compress: !rel.endsWith('.mp4') && !rel.endsWith('.jpg'),
    });
  }
  zip.end();
  const temp = `${out}.partial`;
  await pipeline(zip.outputStream, fs.createWriteStream(temp));
  await fsp.rename(temp, out);
}
