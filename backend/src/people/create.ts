import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import type { ServiceHost } from '../platform/lifecycle.js';
import { People, type PeopleAuditEntry } from './service.js';
import { RedisPeopleStore } from './redis-store.js';
import { SqlitePeopleStore } from './sqlite-store.js';

/** The people database of an installation, relative to its data folder. */
export const PEOPLE_DB = 'people.db';

/**
 * The one factory of the people store: the cluster's shared Redis when the roles share one (every api and ingest
 * instance then knows the same people), else `<data>/people.db`.
 */
export function createPeople(
  services: ServiceHost,
  options: {
    dataDir: string;
    redis?: { connection: Redis; keyPrefix?: string };
    audit?: (entry: PeopleAuditEntry) => void | Promise<void>;
  },
): People {
  const store = options.redis
    ? new RedisPeopleStore(options.redis.connection, options.redis.keyPrefix)
    : new SqlitePeopleStore(path.join(options.dataDir, PEOPLE_DB));
  services.add({ name: 'people', start: async () => {}, dispose: () => store.dispose() });
  return new People(store, options.audit ? { audit: options.audit } : {});
}

/** The OS user the backend runs as (the desktop shell's user), when the OS can say. */
export function osUserName(): string | undefined {
  try {
    return os.userInfo().username;
  } catch {
    return undefined;
  }
}
