import type { Redis } from 'ioredis';
import { PeopleSettings, type CameraGroup, type UserPatch } from '../contract/people.js';
import type { NewStoredUser, PeopleStore, StoredToken, StoredUser } from './store.js';

/** The parts of a person kept as one JSON value; counters and the session epoch are keys of their own. */
type UserDoc = Omit<StoredUser, 'failedSignIns' | 'sessionEpoch' | 'lockedUntilTs'>;

const key = (name: string) => name.trim().toLowerCase();

/**
 * People shared by the api instances of a cluster, in the cluster's Redis (the one that already holds the browser
 * sessions). A person is a JSON value under `<prefix>people:user:<name>`; failed sign-ins, the lock and the
 * session epoch are separate keys changed with INCR/SET, so two instances counting failures at once never lose one.
 */
export class RedisPeopleStore implements PeopleStore {
  readonly kind = 'redis';
  readonly #p: string;

  constructor(
    private readonly redis: Redis,
    prefix = 'vigil:',
  ) {
    this.#p = `${prefix}people:`;
  }

  #user(name: string) {
    return `${this.#p}user:${key(name)}`;
  }

  async countUsers(): Promise<number> {
    return this.redis.scard(`${this.#p}users`);
  }

  async getUser(name: string): Promise<StoredUser | undefined> {
    const k = key(name);
    const [doc, failures, locked, epoch] = await this.redis.mget(
      this.#user(k),
      `${this.#p}fail:${k}`,
      `${this.#p}lock:${k}`,
      `${this.#p}epoch:${k}`,
    );
    if (!doc) return undefined;
    const user = JSON.parse(doc) as UserDoc;
    return {
      ...user,
      failedSignIns: Number(failures ?? 0),
      sessionEpoch: Number(epoch ?? 0),
      ...(locked ? { lockedUntilTs: Number(locked) } : {}),
    };
  }

  async listUsers(): Promise<StoredUser[]> {
    const keys = (await this.redis.smembers(`${this.#p}users`)).sort();
    const users = await Promise.all(keys.map((k) => this.getUser(k)));
    return users.filter((u): u is StoredUser => u !== undefined);
  }

  async addUser(user: NewStoredUser): Promise<boolean> {
    const doc: UserDoc = {
      name: user.name.trim(),
      role: user.role,
      ...(user.displayName ? { displayName: user.displayName } : {}),
      ...(user.team ? { team: user.team } : {}),
      cameras: user.cameras,
      disabled: false,
      createdTs: user.createdTs,
      passwordHash: user.passwordHash,
    };
    const set = await this.redis.set(this.#user(user.name), JSON.stringify(doc), 'NX');
    if (set !== 'OK') return false;
    await this.redis.sadd(`${this.#p}users`, key(user.name));
    return true;
  }

  async #patchDoc(name: string, change: (doc: UserDoc) => void): Promise<boolean> {
    const k = this.#user(name);
    // Optimistic: retried when another instance changed the person in between.
    for (let attempt = 0; attempt < 5; attempt++) {
      await this.redis.watch(k);
      const text = await this.redis.get(k);
      if (!text) {
        await this.redis.unwatch();
        return false;
      }
      const doc = JSON.parse(text) as UserDoc;
      change(doc);
      const done = await this.redis.multi().set(k, JSON.stringify(doc)).exec();
      if (done) return true;
    }
    throw new Error(`could not update ${name}: changed concurrently too often`);
  }

  async updateUser(name: string, patch: UserPatch): Promise<StoredUser | undefined> {
    const found = await this.#patchDoc(name, (doc) => {
      if (patch.role !== undefined) doc.role = patch.role;
      if (patch.displayName !== undefined) {
        if (patch.displayName) doc.displayName = patch.displayName;
        else delete doc.displayName;
      }
      if (patch.team !== undefined) {
        if (patch.team) doc.team = patch.team;
        else delete doc.team;
      }
      if (patch.cameras !== undefined) doc.cameras = patch.cameras;
      if (patch.disabled !== undefined) doc.disabled = patch.disabled;
    });
    if (!found) return undefined;
    const k = key(name);
    if (patch.role !== undefined || patch.disabled === true) await this.redis.incr(`${this.#p}epoch:${k}`);
    if (patch.disabled === false) await this.redis.del(`${this.#p}fail:${k}`, `${this.#p}lock:${k}`);
    return this.getUser(name);
  }

  async setPassword(name: string, passwordHash: string): Promise<boolean> {
    const found = await this.#patchDoc(name, (doc) => {
      doc.passwordHash = passwordHash;
    });
    if (!found) return false;
    const k = key(name);
    await this.redis
      .multi()
      .incr(`${this.#p}epoch:${k}`)
      .del(`${this.#p}fail:${k}`, `${this.#p}lock:${k}`)
      .exec();
    return true;
  }

  async removeUser(name: string): Promise<boolean> {
    const k = key(name);
    // The epoch is raised, not deleted: a person re-added under the same name does not inherit old sessions.
    const result = await this.redis
      .multi()
      .del(this.#user(k), `${this.#p}fail:${k}`, `${this.#p}lock:${k}`)
      .srem(`${this.#p}users`, k)
      .incr(`${this.#p}epoch:${k}`)
      .exec();
    return Number(result?.[1]?.[1] ?? 0) === 1;
  }

  async recordFailure(name: string, lockUntil?: number): Promise<void> {
    const k = key(name);
    const m = this.redis.multi().incr(`${this.#p}fail:${k}`);
    if (lockUntil !== undefined) m.set(`${this.#p}lock:${k}`, String(lockUntil));
    await m.exec();
  }

  async recordSignIn(name: string, now: number): Promise<void> {
    const k = key(name);
    await this.redis.del(`${this.#p}fail:${k}`, `${this.#p}lock:${k}`);
    await this.#patchDoc(name, (doc) => {
      doc.lastSignInTs = now;
    });
  }

  async listGroups(): Promise<CameraGroup[]> {
    const all = await this.redis.hgetall(`${this.#p}groups`);
    return Object.values(all)
      .map((v) => JSON.parse(v) as CameraGroup)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async putGroup(group: CameraGroup): Promise<void> {
    await this.redis.hset(`${this.#p}groups`, key(group.name), JSON.stringify(group));
  }

  async removeGroup(name: string): Promise<boolean> {
    return (await this.redis.hdel(`${this.#p}groups`, key(name))) === 1;
  }

  async addToken(token: StoredToken): Promise<void> {
    await this.redis.hset(`${this.#p}tokens`, token.id, JSON.stringify(token));
  }

  async getToken(id: string): Promise<StoredToken | undefined> {
    const text = await this.redis.hget(`${this.#p}tokens`, id);
    if (!text) return undefined;
    const lastUsed = await this.redis.hget(`${this.#p}token-used`, id);
    return { ...(JSON.parse(text) as StoredToken), ...(lastUsed ? { lastUsedTs: Number(lastUsed) } : {}) };
  }

  async listTokens(): Promise<StoredToken[]> {
    const ids = await this.redis.hkeys(`${this.#p}tokens`);
    const tokens = await Promise.all(ids.map((id) => this.getToken(id)));
    return tokens.filter((t): t is StoredToken => t !== undefined).sort((a, b) => b.createdTs - a.createdTs);
  }

  async revokeToken(id: string, now: number): Promise<boolean> {
    const token = await this.getToken(id);
    if (!token || token.revokedTs) return false;
    await this.redis.hset(`${this.#p}tokens`, id, JSON.stringify({ ...token, revokedTs: now }));
    return true;
  }

  async touchToken(id: string, now: number): Promise<void> {
    await this.redis.hset(`${this.#p}token-used`, id, String(now));
  }

  async getSettings(): Promise<PeopleSettings> {
    const text = await this.redis.get(`${this.#p}settings`);
    const parsed = PeopleSettings.safeParse(text ? JSON.parse(text) : {});
    return parsed.success ? parsed.data : PeopleSettings.parse({});
  }

  async putSettings(settings: PeopleSettings): Promise<void> {
    await this.redis.set(`${this.#p}settings`, JSON.stringify(settings));
  }

  async dispose(): Promise<void> {
    // The connection belongs to whoever passed it in.
  }
}
