import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test/fixtures/backend.js';
import {
  REDIS_INSTALL_HINT,
  redisAvailable,
  useRedis,
  type RedisHandle,
} from '../../../test/fixtures/redis.js';
import { skipWithout } from '../../../test/fixtures/require.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { RedisPeopleStore } from './redis-store.js';
import { People, lockUntil } from './service.js';
import { SqlitePeopleStore } from './sqlite-store.js';
import type { PeopleStore } from './store.js';
import { PeopleSettings } from '../contract/people.js';

const PASSWORD = 'correct horse battery';

describe('passwords', () => {
  it('are stored as salted scrypt hashes that only the right password matches', async () => {
    const a = await hashPassword(PASSWORD);
    const b = await hashPassword(PASSWORD);
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(a).not.toContain(PASSWORD);
    expect(a).not.toBe(b); // salted
    expect(await verifyPassword(PASSWORD, a)).toBe(true);
    expect(await verifyPassword('correct horse battery!', a)).toBe(false);
    expect(await verifyPassword(PASSWORD, undefined)).toBe(false);
    expect(await verifyPassword(PASSWORD, 'plain-text')).toBe(false);
  });

  it('lock-out starts after the threshold and doubles, at most a day', () => {
    const s = PeopleSettings.parse({ lockoutAfter: 5, lockoutSeconds: 60 });
    expect(lockUntil(4, s, 0)).toBeUndefined();
    expect(lockUntil(5, s, 0)).toBe(60_000);
    expect(lockUntil(6, s, 0)).toBe(120_000);
    expect(lockUntil(40, s, 0)).toBe(24 * 3_600_000);
  });
});

/** The same promises from every people store. */
function storeSuite(name: string, make: () => Promise<PeopleStore>, skip = false) {
  describe.skipIf(skip)(`people (${name})`, () => {
    let clock = Date.now();
    const people = async () => {
      const store = await make();
      return new People(store, { now: () => clock });
    };

    it('signs in with the right password, counts failures, locks, and unlocks after the wait', async () => {
      const p = await people();
      await p.addUser({ name: 'Ana', role: 'guard', password: PASSWORD, cameras: [] }, 'test');
      expect((await p.signIn('ana', PASSWORD)).ok).toBe(true); // names are case-insensitive
      for (let i = 0; i < 4; i++)
        expect(await p.signIn('Ana', 'wrong')).toEqual({ ok: false, reason: 'invalid' });
      const locked = await p.signIn('Ana', 'wrong');
      expect(locked).toEqual({ ok: false, reason: 'locked', retryAfterSeconds: 60 });
      // Even the right password waits while locked.
      expect(await p.signIn('Ana', PASSWORD)).toMatchObject({ ok: false, reason: 'locked' });
      clock += 61_000;
      expect((await p.signIn('Ana', PASSWORD)).ok).toBe(true);
      expect((await p.store.getUser('ana'))?.failedSignIns).toBe(0);
    });

    it('an unknown name is refused and locked the same way (no telling which names exist)', async () => {
      const p = await people();
      const name = `nobody-${randomUUID().slice(0, 8)}`;
      const answers = [];
      for (let i = 0; i < 5; i++) answers.push(await p.signIn(name, 'guess'));
      expect(answers.slice(0, 4)).toEqual(Array(4).fill({ ok: false, reason: 'invalid' }));
      expect(answers[4]).toEqual({ ok: false, reason: 'locked', retryAfterSeconds: 60 });
    });

    it('a new password, a new role, disabling or removal ends the sessions opened before', async () => {
      const p = await people();
      await p.addUser({ name: 'bo', role: 'guard', password: PASSWORD, cameras: [] }, 'test');
      const session = async () => {
        const u = (await p.store.getUser('bo'))!;
        return { user: 'bo', via: 'session' as const, sessionId: 's', epoch: u.sessionEpoch };
      };
      let s = await session();
      expect(await p.resolve(s)).toMatchObject({ role: 'guard' });
      await p.setPassword('bo', 'another long password', 'admin');
      expect(await p.resolve(s)).toBeUndefined();
      s = await session();
      await p.updateUser('bo', { role: 'investigator' }, 'admin');
      expect(await p.resolve(s)).toBeUndefined();
      s = await session();
      expect(await p.resolve(s)).toMatchObject({ role: 'investigator' });
      await p.updateUser('bo', { disabled: true }, 'admin');
      expect(await p.resolve(s)).toBeUndefined();
      expect((await p.signIn('bo', 'another long password')).ok).toBe(false);
      await p.updateUser('bo', { disabled: false }, 'admin');
      const before = await session();
      expect(await p.resolve(before)).toMatchObject({ role: 'investigator' });
      await p.removeUser('bo', 'admin');
      clock += 1000;
      await p.addUser({ name: 'bo', role: 'guard', password: PASSWORD, cameras: [] }, 'test');
      // Someone re-added under the same name does not inherit a session of the old account.
      expect(await p.resolve(before)).toBeUndefined();
    });

    it('keeps at least one administrator', async () => {
      const p = await people();
      await p.addUser({ name: 'root', role: 'admin', password: PASSWORD, cameras: [] }, 'test');
      await expect(p.updateUser('root', { role: 'guard' }, 'x')).rejects.toThrow(/last administrator/);
      await expect(p.removeUser('root', 'x')).rejects.toThrow(/last administrator/);
      await p.addUser({ name: 'root2', role: 'admin', password: PASSWORD, cameras: [] }, 'test');
      await p.removeUser('root', 'x');
      expect(await p.store.getUser('root')).toBeUndefined();
    });

    it('camera groups widen a grant; rights stop at what the role may have', async () => {
      const p = await people();
      await p.store.putGroup({ name: 'lobby', cameras: ['door', 'desk'] });
      await p.addUser(
        {
          name: 'cy',
          role: 'guard',
          password: PASSWORD,
          cameras: [
            { target: '@lobby', rights: ['live', 'export'] },
            { target: 'yard', rights: ['live'] },
          ],
        },
        'test',
      );
      const u = (await p.store.getUser('cy'))!;
      const principal = (await p.resolve({ user: 'cy', via: 'session', epoch: u.sessionEpoch }))!;
      expect(principal.cameras?.cameras('live')).toEqual(['desk', 'door', 'yard']);
      // A guard cannot be given export, whatever the grant says.
      expect(principal.cameras?.cameras('export')).toEqual([]);
      expect(principal.lookbackMinutes).toBe(15);
    });
  });
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
storeSuite('SQLite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-people-'));
  dirs.push(dir);
  return new SqlitePeopleStore(path.join(dir, 'people.db'));
});

const redisSkip = skipWithout('Redis', await redisAvailable(), REDIS_INSTALL_HINT);
let redis: RedisHandle | undefined;
const connections: Redis[] = [];
beforeAll(async () => {
  if (!redisSkip) redis = await useRedis();
});
afterAll(async () => {
  for (const c of connections) c.disconnect();
  await redis?.stop();
});
storeSuite(
  'Redis, shared by the api instances of a cluster',
  async () => {
    const connection = new Redis(redis!.url);
    connections.push(connection);
    return new RedisPeopleStore(connection, `vigil-people-${randomUUID()}:`);
  },
  redisSkip,
);

describe('vigil user (the command line)', () => {
  it('adds, lists, changes the password of and removes people; refuses bad input with exit codes', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-user-cli-'));
    dirs.push(home);
    const env = { VIGIL_HOME: home, VIGIL_PASSWORD: PASSWORD };
    const added = await runCli(['user', 'add', 'dana', '--role', 'guard', '--cameras', 'gate,@lobby'], env);
    expect(added.output).toContain('Added dana (guard)');
    expect(added.code).toBe(0);
    expect((await runCli(['user', 'add', 'dana', '--role', 'guard'], env)).code).toBe(1);
    const badRole = await runCli(['user', 'add', 'eve', '--role', 'root'], env);
    expect(badRole.code).toBe(2);
    expect(badRole.output).toMatch(/--role must be one of guard, investigator, supervisor, admin/);
    const list = await runCli(['user', 'list'], env);
    expect(list.output).toMatch(/dana\tguard\tgate,@lobby/);
    // The password never appears in the database file in clear.
    expect(fs.readFileSync(path.join(home, 'data', 'people.db')).includes(PASSWORD)).toBe(false);
    expect(
      (await runCli(['user', 'passwd', 'dana'], { ...env, VIGIL_PASSWORD: 'a brand new password' })).code,
    ).toBe(0);
    const store = new SqlitePeopleStore(path.join(home, 'data', 'people.db'));
    const p = new People(store);
    expect((await p.signIn('dana', 'a brand new password')).ok).toBe(true);
    await store.dispose();
    expect((await runCli(['user', 'remove', 'dana'], env)).code).toBe(0);
  }, 180_000);
});
