import { z } from 'zod';
import { Limits } from './limits.js';

const id = z
  .string()
  .max(Limits.token)
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'use lower-case letters, digits, "-" and "_" (at most 64)');

/** A folder on a local disk or a mounted network share. */
export const FolderTargetConfig = z.strictObject({
  id: id.describe('Identifier of the target, used by jobs and in the API.'),
  name: z.string().max(Limits.name).default('').describe('Name shown in the UI. Empty: the id.'),
  kind: z.literal('folder').describe('A local or mounted network folder.'),
  path: z.string().max(Limits.path).min(1).describe('Absolute path of the folder that receives the backups.'),
});

/** S3-compatible object storage (AWS, MinIO, Ceph RADOS gateway). */
export const S3TargetConfig = z.strictObject({
  id: id.describe('Identifier of the target, used by jobs and in the API.'),
  name: z.string().max(Limits.name).default('').describe('Name shown in the UI. Empty: the id.'),
  kind: z.literal('s3').describe('S3-compatible object storage.'),
  endpoint: z
    .string()
    .max(Limits.url)
    .default('')
    .describe('Endpoint URL, e.g. http://127.0.0.1:7480 for a Ceph gateway. Empty: AWS for the region.'),
  region: z
    .string()
    .max(Limits.token)
    .default('us-east-1')
    .describe('Region name (any value for MinIO and Ceph).'),
  bucket: z.string().max(Limits.token).min(3).describe('Bucket that receives the backups; it must exist.'),
  prefix: z.string().max(Limits.path).default('vigil/').describe('Key prefix inside the bucket.'),
  accessKeyIdEnv: z
    .string()
    .max(Limits.token)
    .default('VIGIL_S3_ACCESS_KEY_ID')
    .describe('Environment variable holding the access key id.'),
  secretAccessKeyEnv: z
    .string()
    .max(Limits.token)
    .default('VIGIL_S3_SECRET_ACCESS_KEY')
    .describe('Environment variable holding the secret access key.'),
  multipartThresholdMiB: z
    .int()
    .min(5)
    .max(5120)
    .default(64)
    .describe(
      'Files larger than this are uploaded in parts, and an interrupted upload resumes at the first missing part (S3 refuses a single upload above 5 GiB).',
    ),
  partSizeMiB: z
    .int()
    .min(5)
    .max(5120)
    .default(64)
    .describe(
      'Size of each uploaded part (S3 needs at least 5 MiB; it is raised for files that would need more than 10,000 parts).',
    ),
});

/** A folder in an HDFS cluster, over WebHDFS. */
export const HdfsTargetConfig = z.strictObject({
  id: id.describe('Identifier of the target, used by jobs and in the API.'),
  name: z.string().max(Limits.name).default('').describe('Name shown in the UI. Empty: the id.'),
  kind: z.literal('hdfs').describe('A folder in an HDFS cluster (WebHDFS).'),
  namenodeUrl: z
    .url()
    .max(Limits.url)
    .default('http://localhost:9870')
    .describe('WebHDFS address of the namenode, e.g. http://namenode:9870.'),
  haNamenodeUrl: z
    .union([z.literal(''), z.url().max(Limits.url)])
    .default('')
    .describe('WebHDFS address of the other namenode of an HA pair. Empty: a single namenode.'),
  user: z
    .string()
    .max(Limits.token)
    .regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'an HDFS user name')
    .default('vigil')
    .describe('HDFS user the backups are written as (simple authentication, when no delegation token).'),
  delegationTokenEnv: z
    .string()
    .max(Limits.token)
    .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name')
    .optional()
    .describe(
      'Environment variable holding an HDFS delegation token, for a cluster with security on (Kerberos is not supported).',
    ),
  root: z
    .string()
    .max(Limits.path)
    .regex(/^\/[^\s]*$/, 'an absolute HDFS path')
    .default('/vigil-backup')
    .describe('Absolute HDFS folder that receives the backups.'),
});

export const BackupTargetConfig = z
  .discriminatedUnion('kind', [FolderTargetConfig, S3TargetConfig, HdfsTargetConfig])
  .describe('Where backups are written.');
export type BackupTargetConfig = z.infer<typeof BackupTargetConfig>;
export type BackupTargetConfigInput = z.input<typeof BackupTargetConfig>;

export const BackupScheduleConfig = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('manual').describe('Only when started by hand ("run now").') }),
    z.strictObject({
      kind: z.literal('daily').describe('Once a day.'),
      at: z
        .string()
        .max(Limits.token)
        .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM, e.g. 02:30')
        .describe('Local time of day, HH:MM.'),
    }),
    z.strictObject({
      kind: z.literal('every').describe('At a fixed interval.'),
      hours: z.int().min(1).max(168).describe('Hours between runs.'),
    }),
  ])
  .describe('When the job runs.');
export type BackupScheduleConfig = z.infer<typeof BackupScheduleConfig>;

export const BackupJobConfig = z.strictObject({
  id: id.describe('Identifier of the job.'),
  name: z.string().max(Limits.name).default('').describe('Name shown in the UI. Empty: the id.'),
  targetId: id.describe('Target that receives this job’s backups.'),
  schedule: BackupScheduleConfig.prefault({ kind: 'daily', at: '02:00' }),
  metadata: z.boolean().default(true).describe('Back up the databases (events, audit, recording index).'),
  recordings: z.boolean().default(true).describe('Back up the recorded footage and snapshots.'),
  bandwidthMBps: z
    .number()
    .min(0)
    .max(100_000)
    .default(0)
    .describe('Upload limit in megabytes per second, so backups do not starve cameras. 0: unlimited.'),
  keepLast: z
    .int()
    .min(1)
    .max(1000)
    .default(3)
    .describe(
      'Keep the last N backups of this job, whatever their age (so a second backup on one day keeps the first).',
    ),
  keepDaily: z
    .int()
    .min(0)
    .max(3660)
    .default(7)
    .describe('Also keep the newest backup of this job of each of the last N days.'),
  keepWeekly: z
    .int()
    .min(0)
    .max(520)
    .default(4)
    .describe('Also keep the newest backup of this job of each of the last M weeks.'),
});
export type BackupJobConfig = z.infer<typeof BackupJobConfig>;
export type BackupJobConfigInput = z.input<typeof BackupJobConfig>;

/** Backups, restore and evidence export. */
export const BackupConfig = z
  .strictObject({
    targets: z
      .array(BackupTargetConfig)
      .max(Limits.list)
      .default([])
      .describe('Backup targets. Targets added in the UI are kept in the data folder.'),
    jobs: z
      .array(BackupJobConfig)
      .max(Limits.list)
      .default([])
      .describe('Backup jobs. Jobs added in the UI are kept in the data folder.'),
  })
  .prefault({})
  .describe('Backups of metadata and footage to folders or object storage.');
export type BackupConfig = z.infer<typeof BackupConfig>;
