import path from 'node:path';
import type { BackupTargetConfig } from '../../contract/config/backup.js';
import type { BackupTarget } from '../target.js';
import { FolderTarget } from './folder.js';
import { HdfsTarget } from './hdfs.js';
import { S3Target } from './s3.js';

/**
 * Builds a target from its configuration; credentials come from the environment variables it names. `stateDir`
 * keeps what lets an interrupted S3 upload resume.
 */
export function createTarget(
  config: BackupTargetConfig,
  env: NodeJS.ProcessEnv = process.env,
  options: { stateDir?: string } = {},
): BackupTarget {
  switch (config.kind) {
    case 'folder':
      return new FolderTarget(config.path);
    case 's3': {
      const accessKeyId = env[config.accessKeyIdEnv];
      const secretAccessKey = env[config.secretAccessKeyEnv];
      if (!accessKeyId || !secretAccessKey) {
        throw new Error(
          `S3 target "${config.id}": set the environment variables ${config.accessKeyIdEnv} and ${config.secretAccessKeyEnv} to the access key id and secret`,
        );
      }
      return new S3Target({
        endpoint: config.endpoint,
        region: config.region,
        bucket: config.bucket,
        prefix: config.prefix,
        accessKeyId,
        secretAccessKey,
        multipartThresholdBytes: config.multipartThresholdMiB * 1024 ** 2,
        partSizeBytes: config.partSizeMiB * 1024 ** 2,
        resumeDir: options.stateDir ? path.join(options.stateDir, 's3-uploads', config.id) : undefined,
      });
    }
    case 'hdfs': {
      const token = config.delegationTokenEnv ? env[config.delegationTokenEnv] : undefined;
      if (config.delegationTokenEnv && !token)
        throw new Error(
          `HDFS target "${config.id}": set the environment variable ${config.delegationTokenEnv} to the delegation token`,
        );
      return new HdfsTarget({
        namenodeUrl: config.namenodeUrl,
        haNamenodeUrl: config.haNamenodeUrl || undefined,
        user: config.user,
        delegationToken: token,
        root: config.root,
      });
    }
  }
}

/** Shows the target is reachable and writable: writes, reads back, lists and deletes a small probe object. */
export async function testTarget(
  target: BackupTarget,
): Promise<{ ok: boolean; message: string; latencyMs?: number }> {
  const { getBuffer, putBuffer } = await import('../target.js');
  const t0 = Date.now();
  const key = `probe/${Date.now()}-${Math.random().toString(16).slice(2)}.txt`;
  const data = Buffer.from('vigil backup target probe');
  try {
    await putBuffer(target, key, data);
    const back = await getBuffer(target, key);
    if (!back.equals(data)) return { ok: false, message: 'the target returned different bytes than written' };
    let listed = false;
    for await (const o of target.list('probe/')) if (o.key === key) listed = true;
    await target.delete(key);
    if (!listed) return { ok: false, message: 'an object written to the target was not listed' };
    return {
      ok: true,
      message: `${target.location} can be written, read and listed`,
      latencyMs: Date.now() - t0,
    };
  } catch (err) {
    return { ok: false, message: `${target.location}: ${err instanceof Error ? err.message : String(err)}` };
  }
}
