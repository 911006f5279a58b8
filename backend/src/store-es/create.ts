import path from 'node:path';
import { Client, type ClientOptions } from '@elastic/elasticsearch';
import type { ClusterEventStoreConfig } from '../contract/config/cluster.js';
import { ClusterSetupError, readSecret, tlsOptions } from '../platform/secrets.js';
import type { SigningKey } from '../export/signing.js';
import { EsAuditLog } from './es-audit-log.js';
import { EsEventStore } from './es-store.js';

/** The Elasticsearch event store from `cluster.eventStore`, credentials from the environment. Call setup() next. */
export function createEsEventStore(
  config: ClusterEventStoreConfig,
  dataDir: string,
  cameraName?: (id: string) => string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): EsEventStore {
  return new EsEventStore({
    client: createEsClient(config, env),
    indexPrefix: config.indexPrefix,
    retentionDays: config.retentionDays,
    spoolDir: config.spoolDir || path.join(dataDir, 'es-spool'),
    cameraName,
  });
}

/** The audit log in the cluster's Elasticsearch (`<indexPrefix>-audit`). Call setup() next. */
export function createEsAuditLog(
  config: ClusterEventStoreConfig,
  key: { writer: SigningKey } | { reader: SigningKey['publicKey'] },
  env: NodeJS.ProcessEnv = process.env,
): EsAuditLog {
  return new EsAuditLog({
    client: createEsClient(config, env),
    indexPrefix: config.indexPrefix,
    ...('writer' in key ? { key: key.writer } : { publicKey: key.reader }),
  });
}

/** An Elasticsearch client for `cluster.eventStore`, credentials from the environment. */
export function createEsClient(
  config: ClusterEventStoreConfig,
  env: NodeJS.ProcessEnv = process.env,
): Client {
  const options: ClientOptions = { node: config.node, maxRetries: 3, requestTimeout: 30_000 };
  const apiKey = readSecret('cluster.eventStore.apiKeyEnv', config.apiKeyEnv, env);
  if (apiKey) options.auth = { apiKey };
  else if (config.usernameEnv || config.passwordEnv) {
    const username = readSecret('cluster.eventStore.usernameEnv', config.usernameEnv, env);
    const password = readSecret('cluster.eventStore.passwordEnv', config.passwordEnv, env);
    if (!username || !password)
      throw new ClusterSetupError('cluster.eventStore: set both usernameEnv and passwordEnv, or apiKeyEnv');
    options.auth = { username, password };
  }
  const tls = tlsOptions('cluster.eventStore', config);
  if (tls) options.tls = tls;
  return new Client(options);
}
