import type { ClusterVideoStoreConfig } from '../contract/config/cluster.js';
import type { VideoStore } from '../contract/video.js';
import { readSecret } from '../platform/secrets.js';
import { HdfsVideoStore } from './hdfs-store.js';

/**
 * The video-store factory: HDFS (`cluster.videoStore.kind: hdfs`, the delegation token from the environment), or
 * undefined for the default local-disk store the video service keeps under the data folder.
 */
export function createVideoStore(
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
