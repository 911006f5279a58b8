import type { ClusterVideoStoreConfig } from '../contract/config/cluster.js';
import type { VideoStore } from '../contract/video.js';
import { readSecret } from '../platform/secrets.js';
import { HdfsVideoStore } from './hdfs-store.js';

/** The configured cluster video store, or undefined for the default local-disk store. */
export function clusterVideoStore(
  config: ClusterVideoStoreConfig,
  env: NodeJS.ProcessEnv = process.env,
): VideoStore | undefined {
  if (config.kind !== 'hdfs') return undefined;
  return new HdfsVideoStore({
    namenodeUrl: config.namenodeUrl,
    haNamenodeUrl: config.haNamenodeUrl || undefined,
    user: config.user,
    delegationToken: readSecret('cluster.videoStore.delegationTokenEnv', config.delegationTokenEnv, env),
    root: config.root,
  });
}
