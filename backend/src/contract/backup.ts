// Backup, restore and evidence export: file formats and the HTTP API shapes, shared by the backend, the renderer
// and the `vigil verify` command. Times are ms since the epoch.
import { z } from 'zod';
import type { TrailDocument } from './investigation.js';

/** One file in a backup: its path relative to the data folder, size and SHA-256 (hex). */
export interface BackupManifestFile {
  path: string;
  size: number;
  sha256: string;
  /** Modification time of the source when it was read; with the size, decides whether a file changed. */
  mtimeMs: number;
  kind: 'database' | 'recording';
  /** Key of the object on the target holding the bytes (shared by backups while the file is unchanged). */
  object: string;
  /** Databases: size and time stamps of the live database when it was snapshotted (unchanged → no new snapshot). */
  sourceStamp?: string;
}

/** manifest of one complete backup, stored on the target as backups/<id>.json (written last). */
export interface BackupManifest {
  format: 'vigil-backup/1';
  id: string;
  jobId: string;
  startedAt: number;
  finishedAt: number;
  /** The backup this one was built upon (files unchanged since it were not uploaded again). */
  previousId?: string;
  files: BackupManifestFile[];
  totalBytes: number;
}

export type BackupRunState = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'nothing-new';

/** Live progress of a running job (GET /api/backup/progress). */
export interface BackupProgress {
  jobId: string;
  runId: string;
  phase: 'snapshot' | 'scanning' | 'uploading' | 'finishing';
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  /** Bytes per second over the last seconds. */
  rateBps: number;
  /** Seconds until done at the current rate; absent while unknown. */
  etaSeconds?: number;
  startedAt: number;
}

/** One finished (or failed) backup run, verify or restore, in the history (GET /api/backup/history). */
export interface BackupRunRecord {
  runId: string;
  /** What happened; absent in records written before verifies and restores were recorded: a backup run. */
  kind?: 'backup' | 'verify' | 'restore';
  /** The job that made the backup (for a verify or restore: the job of the backup checked, '' when unknown). */
  jobId: string;
  targetId: string;
  state: BackupRunState;
  startedAt: number;
  finishedAt: number;
  /** Id of the backup written on the target (absent when nothing was written). */
  backupId?: string;
  filesUploaded: number;
  filesSkipped: number;
  bytesUploaded: number;
  /** What went wrong, in words a person can act on. */
  errors: string[];
  /** True when this run carried on from an interrupted one. */
  resumed?: boolean;
  /** Backups of the job that retention removed after this run. */
  deletedBackups?: string[];
  /** A verify or restore: its outcome in words. */
  summary?: string;
}

/** A target as the API shows it (no secrets). */
export interface BackupTargetView {
  id: string;
  name: string;
  kind: 'folder' | 's3' | 'hdfs';
  /** Folder path, s3://bucket/prefix at endpoint, or the HDFS folder at the namenode. */
  location: string;
  /** Where it was defined: the config file (read-only here) or the UI. */
  source: 'config' | 'ui';
}

export interface BackupJobView {
  id: string;
  name: string;
  targetId: string;
  schedule: { kind: 'manual' } | { kind: 'daily'; at: string } | { kind: 'every'; hours: number };
  metadata: boolean;
  recordings: boolean;
  bandwidthMBps: number;
  /** Retention: the last `keepLast` backups of the job, plus the newest of each of `keepDaily` days and `keepWeekly` weeks. */
  keepLast: number;
  keepDaily: number;
  keepWeekly: number;
  source: 'config' | 'ui';
  nextRunAt?: number;
  running: boolean;
}

/** POST /api/backup/targets/:id/test → whether the target can be written, read and listed. */
export interface BackupTargetTestResult {
  ok: boolean;
  message: string;
  latencyMs?: number;
}

/** A backup listed on a target (GET /api/backup/targets/:id/backups). */
export interface BackupSummary {
  id: string;
  jobId: string;
  startedAt: number;
  finishedAt: number;
  files: number;
  totalBytes: number;
  /** Why its manifest is refused (a restore or verify of it answers 400 with the same words). */
  problem?: string;
}

/** Result of checking a backup against its manifest (verify-only, or before a restore). */
export interface BackupVerifyReport {
  backupId: string;
  ok: boolean;
  filesChecked: number;
  /** Files listed in the manifest but absent on the target. */
  missing: string[];
  /** Files whose size or SHA-256 differs from the manifest. */
  corrupt: string[];
}

/** POST /api/backup/restore body. */
export interface BackupRestoreRequest {
  targetId: string;
  backupId: string;
  metadata?: boolean;
  recordings?: boolean;
}

/** What a restore did. Nothing is written when the verification fails. */
export interface BackupRestoreReport {
  backupId: string;
  ok: boolean;
  verify: BackupVerifyReport;
  restoredFiles: number;
  /** Files kept because the installation already has them (newer data is never overwritten). */
  keptExisting: number;
  /** Databases merged row by row into an existing database (existing rows win). */
  mergedDatabases: string[];
  message: string;
}

// ---- Evidence export ----

/** One file of an evidence export, as listed in its signed manifest. */
export interface EvidenceFile {
  path: string;
  size: number;
  sha256: string;
  kind: 'clip' | 'snapshot' | 'events' | 'continuity' | 'audit' | 'trail' | 'other';
  cameraId?: string;
}

/** manifest.json of an evidence export; manifest.sig holds its Ed25519 signature (base64). */
export interface EvidenceManifest {
  format: 'vigil-evidence/1';
  id: string;
  cameras: string[];
  from: number;
  to: number;
  /** Who exported: the signed-in person (the request's actor). */
  exportedBy: string;
  exportedAt: number;
  /** Why the footage was exported (a request, an incident); required. */
  reason: string;
  /** The case the export belongs to; required. */
  caseNumber: string;
  /** The trail exported (its trail.json lists the sightings), when the export is of a trail. */
  trail?: { id: string; name: string; sightings: number };
  installation: string;
  /** SHA-256 fingerprint (hex) of the public key in public-key.pem. */
  keyFingerprint: string;
  files: EvidenceFile[];
}

/** A gap or deletion inside an exported range, with its cause. */
export interface ContinuityItem {
  cameraId: string;
  start: number;
  end: number;
  kind: 'gap' | 'deleted';
  cause: string;
  detail?: string;
}

/** POST /api/export body. The reason and the case number are required: an export nobody can account for is not evidence. */
export interface EvidenceExportRequest {
  cameraIds: string[];
  from: number;
  to: number;
  format: 'zip' | 'folder';
  reason: string;
  caseNumber: string;
  /** A trail's trail.json (and the site plan it refers to), written into the export under its signature. */
  trail?: { document: TrailDocument; plan?: Uint8Array };
}

/** Longest export reason, in characters. */
export const MAX_EXPORT_REASON = 500;
/** Longest case number, in characters. */
export const MAX_CASE_NUMBER = 64;

/** Why footage is exported, as the export takes it. */
export const ExportReason = z
  .string('the reason for the export (a request, an incident)')
  .trim()
  .min(3, 'the reason for the export (a request, an incident): at least 3 characters')
  .max(MAX_EXPORT_REASON, `at most ${MAX_EXPORT_REASON} characters`);

/** A case number as exports and trails take it. */
export const CaseNumber = z
  .string('the case number the export belongs to')
  .trim()
  .min(1, 'the case number the export belongs to')
  .max(MAX_CASE_NUMBER, `at most ${MAX_CASE_NUMBER} characters`)
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} ._/#:-]*$/u, 'letters, digits, spaces and . _ / # : -');

/** POST /api/export answer. */
export interface EvidenceExportResult {
  id: string;
  format: 'zip' | 'folder';
  /** Where the export was written on the backend machine. */
  location: string;
  /** Download URL (zip only). */
  downloadUrl?: string;
  files: number;
  bytes: number;
  keyFingerprint: string;
  holds: string[];
  warnings: string[];
}

/** Who signed an evidence export, and whether the verifier trusts that key. */
export interface EvidenceSigner {
  /** Installation name written in the signed manifest: only as trustworthy as the key that signed it. */
  installation?: string;
  /** SHA-256 fingerprint (hex) of the key that signed the export (the one it carries). */
  fingerprint?: string;
  /**
   * trusted: the key is one the verifier named (`--key`, a trusted-keys file, this installation's own key);
   * untrusted: trusted keys were named and this is none of them; unchecked: no trusted key was available, so the
   * export only proves it is unchanged since someone — anyone — signed it.
   */
  trust: 'trusted' | 'untrusted' | 'unchecked';
  /** Name the trusted key goes by (from the trusted-keys file). */
  trustedAs?: string;
}

/** Result of `vigil verify`. */
export interface EvidenceVerifyReport {
  /** Intact and signed by a trusted key: the only result that proves where the export came from. */
  ok: boolean;
  /** The manifest matches its signature and every file matches the manifest (whoever signed it). */
  intact: boolean;
  signatureValid: boolean;
  keyFingerprint?: string;
  signer: EvidenceSigner;
  altered: string[];
  missing: string[];
  added: string[];
  problems: string[];
}

export const BackupApiRoutes = {
  targets: '/api/backup/targets',
  target: '/api/backup/targets/:id',
  /** POST a target's settings: checks them without saving. */
  targetTest: '/api/backup/targets/test',
  /** POST: checks a saved target. */
  savedTargetTest: '/api/backup/targets/:id/test',
  targetBackups: '/api/backup/targets/:id/backups',
  jobs: '/api/backup/jobs',
  job: '/api/backup/jobs/:id',
  jobRun: '/api/backup/jobs/:id/run',
  jobCancel: '/api/backup/jobs/:id/cancel',
  progress: '/api/backup/progress',
  history: '/api/backup/history',
  verify: '/api/backup/verify',
  restore: '/api/backup/restore',
  export: '/api/export',
  /** GET: the fingerprint of the key exports are signed with. */
  exportKey: '/api/export/key',
  exportDownload: '/api/export/:id/download',
} as const;
