import type { ClusterVideoStoreConfig } from '../contract/config/cluster.js';
import type { VideoStore } from '../contract/video.js';
import { HdfsVideoStore } from './hdfs-store.js';

/** The configured cluster video store, or undefined for the default local-disk store. */
export function clusterVideoStore(config: ClusterVideoStoreConfig): VideoStore | undefined {
  if (config.kind !== 'hdfs') return undefined;
  return new HdfsVideoStore({ namenodeUrl: config.namenodeUrl, user: config.user, root: config.root });
}
