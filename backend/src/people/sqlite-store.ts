import fs from 'node:fs';
import type Database from 'better-sqlite3';
import { openMigratedDatabase } from '../platform/sqlite.js';
import { PeopleSettings, type CameraGroup, type UserPatch } from '../contract/people.js';
import type { NewStoredUser, PeopleStore, StoredToken, StoredUser } from './store.js';

const MIGRATIONS = [
  `CREATE TABLE users (
     name_key TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     role TEXT NOT NULL,
     display_name TEXT,
     team TEXT,
     cameras TEXT NOT NULL DEFAULT '[]',
     disabled INTEGER NOT NULL DEFAULT 0,
     password_hash TEXT NOT NULL,
     created_ts INTEGER NOT NULL,
     last_sign_in_ts INTEGER,
     failed_sign_ins INTEGER NOT NULL DEFAULT 0,
     locked_until_ts INTEGER,
     session_epoch INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE camera_groups (name_key TEXT PRIMARY KEY, name TEXT NOT NULL, cameras TEXT NOT NULL);
   CREATE TABLE api_tokens (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     secret_hash TEXT NOT NULL,
     permissions TEXT NOT NULL,
     cameras TEXT NOT NULL,
     created_by TEXT NOT NULL,
     created_ts INTEGER NOT NULL,
     expires_ts INTEGER,
     last_used_ts INTEGER,
     revoked_ts INTEGER
   );
   CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
];

interface UserRow {
  name: string;
  role: StoredUser['role'];
  display_name: string | null;
  team: string | null;
  cameras: string;
  disabled: number;
  password_hash: string;
  created_ts: number;
  last_sign_in_ts: number | null;
  failed_sign_ins: number;
  locked_until_ts: number | null;
  session_epoch: number;
}

interface TokenRow {
  id: string;
  name: string;
  secret_hash: string;
  permissions: string;
  cameras: string;
  created_by: string;
  created_ts: number;
  expires_ts: number | null;
  last_used_ts: number | null;
  revoked_ts: number | null;
}

function userOf(r: UserRow): StoredUser {
  return {
    name: r.name,
    role: r.role,
    ...(r.display_name ? { displayName: r.display_name } : {}),
    ...(r.team ? { team: r.team } : {}),
    cameras: JSON.parse(r.cameras) as StoredUser['cameras'],
    disabled: r.disabled === 1,
    createdTs: r.created_ts,
    ...(r.last_sign_in_ts ? { lastSignInTs: r.last_sign_in_ts } : {}),
    ...(r.locked_until_ts ? { lockedUntilTs: r.locked_until_ts } : {}),
    passwordHash: r.password_hash,
    failedSignIns: r.failed_sign_ins,
    sessionEpoch: r.session_epoch,
  };
}

function tokenOf(r: TokenRow): StoredToken {
  return {
    id: r.id,
    name: r.name,
    secretHash: r.secret_hash,
    permissions: JSON.parse(r.permissions) as StoredToken['permissions'],
    cameras: JSON.parse(r.cameras) as StoredToken['cameras'],
    createdBy: r.created_by,
    createdTs: r.created_ts,
    ...(r.expires_ts ? { expiresTs: r.expires_ts } : {}),
    ...(r.last_used_ts ? { lastUsedTs: r.last_used_ts } : {}),
    ...(r.revoked_ts ? { revokedTs: r.revoked_ts } : {}),
  };
}

const key = (name: string) => name.trim().toLowerCase();

/** People of one installation in `<data>/people.db` (WAL, so the `vigil user` command can change it while the backend runs). */
export class SqlitePeopleStore implements PeopleStore {
  readonly kind = 'sqlite';
  readonly #db: Database.Database;

  constructor(readonly file: string) {
    this.#db = openMigratedDatabase(file, MIGRATIONS);
    // Only its owner reads the password hashes.
    fs.chmodSync(file, 0o600);
  }

  async countUsers(): Promise<number> {
    return (this.#db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
  }

  async getUser(name: string): Promise<StoredUser | undefined> {
    const row = this.#db.prepare('SELECT * FROM users WHERE name_key = ?').get(key(name)) as
      UserRow | undefined;
    return row ? userOf(row) : undefined;
  }

  async listUsers(): Promise<StoredUser[]> {
    return (this.#db.prepare('SELECT * FROM users ORDER BY name_key').all() as UserRow[]).map(userOf);
  }

  async addUser(user: NewStoredUser): Promise<boolean> {
    const result = this.#db
      .prepare(
        // The first session epoch is the creation time: someone removed and added again under the same name
        // does not inherit the sessions of the old account.
        `INSERT OR IGNORE INTO users
           (name_key, name, role, display_name, team, cameras, password_hash, created_ts, session_epoch)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        key(user.name),
        user.name.trim(),
        user.role,
        user.displayName ?? null,
        user.team ?? null,
        JSON.stringify(user.cameras),
        user.passwordHash,
        user.createdTs,
        user.createdTs,
      );
    return result.changes === 1;
  }

  async updateUser(name: string, patch: UserPatch): Promise<StoredUser | undefined> {
    const sets: string[] = [];
    const values: unknown[] = [];
    const set = (clause: string, value?: unknown) => {
      sets.push(clause);
      if (value !== undefined) values.push(value);
    };
    if (patch.role !== undefined) set('role = ?', patch.role);
    if (patch.displayName !== undefined) set('display_name = ?', patch.displayName || null);
    if (patch.team !== undefined) set('team = ?', patch.team || null);
    if (patch.cameras !== undefined) set('cameras = ?', JSON.stringify(patch.cameras));
    if (patch.disabled !== undefined) {
      set('disabled = ?', patch.disabled ? 1 : 0);
      // Disabling ends the person's sessions; enabling clears a lock.
      set(
        patch.disabled ? 'session_epoch = session_epoch + 1' : 'failed_sign_ins = 0, locked_until_ts = NULL',
      );
    }
    // A change of role ends sessions opened under the old one.
    if (patch.role !== undefined) set('session_epoch = session_epoch + 1');
    if (sets.length > 0)
      this.#db.prepare(`UPDATE users SET ${sets.join(', ')} WHERE name_key = ?`).run(...values, key(name));
    return this.getUser(name);
  }

  async setPassword(name: string, passwordHash: string): Promise<boolean> {
    return (
      this.#db
        .prepare(
          `UPDATE users SET password_hash = ?, session_epoch = session_epoch + 1, failed_sign_ins = 0,
             locked_until_ts = NULL WHERE name_key = ?`,
        )
        .run(passwordHash, key(name)).changes === 1
    );
  }

  async removeUser(name: string): Promise<boolean> {
    return this.#db.prepare('DELETE FROM users WHERE name_key = ?').run(key(name)).changes === 1;
  }

  async recordFailure(name: string, lockUntil?: number): Promise<void> {
    this.#db
      .prepare(
        `UPDATE users SET failed_sign_ins = failed_sign_ins + 1,
           locked_until_ts = COALESCE(?, locked_until_ts) WHERE name_key = ?`,
      )
      .run(lockUntil ?? null, key(name));
  }

  async recordSignIn(name: string, now: number): Promise<void> {
    this.#db
      .prepare(
        'UPDATE users SET failed_sign_ins = 0, locked_until_ts = NULL, last_sign_in_ts = ? WHERE name_key = ?',
      )
      .run(now, key(name));
  }

  async listGroups(): Promise<CameraGroup[]> {
    return (
      this.#db.prepare('SELECT name, cameras FROM camera_groups ORDER BY name_key').all() as Array<{
        name: string;
        cameras: string;
      }>
    ).map((r) => ({ name: r.name, cameras: JSON.parse(r.cameras) as string[] }));
  }

  async putGroup(group: CameraGroup): Promise<void> {
    this.#db
      .prepare(
        `INSERT INTO camera_groups (name_key, name, cameras) VALUES (?, ?, ?)
         ON CONFLICT(name_key) DO UPDATE SET name = excluded.name, cameras = excluded.cameras`,
      )
      .run(key(group.name), group.name, JSON.stringify(group.cameras));
  }

  async removeGroup(name: string): Promise<boolean> {
    return this.#db.prepare('DELETE FROM camera_groups WHERE name_key = ?').run(key(name)).changes === 1;
  }

  async addToken(t: StoredToken): Promise<void> {
    this.#db
      .prepare(
        `INSERT INTO api_tokens (id, name, secret_hash, permissions, cameras, created_by, created_ts, expires_ts)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        t.id,
        t.name,
        t.secretHash,
        JSON.stringify(t.permissions),
        JSON.stringify(t.cameras),
        t.createdBy,
        t.createdTs,
        t.expiresTs ?? null,
      );
  }

  async getToken(id: string): Promise<StoredToken | undefined> {
    const row = this.#db.prepare('SELECT * FROM api_tokens WHERE id = ?').get(id) as TokenRow | undefined;
    return row ? tokenOf(row) : undefined;
  }

  async listTokens(): Promise<StoredToken[]> {
    return (this.#db.prepare('SELECT * FROM api_tokens ORDER BY created_ts DESC').all() as TokenRow[]).map(
      tokenOf,
    );
  }

  async revokeToken(id: string, now: number): Promise<boolean> {
    return (
      this.#db
        .prepare('UPDATE api_tokens SET revoked_ts = ? WHERE id = ? AND revoked_ts IS NULL')
        .run(now, id).changes === 1
    );
  }

  async touchToken(id: string, now: number): Promise<void> {
    this.#db.prepare('UPDATE api_tokens SET last_used_ts = ? WHERE id = ?').run(now, id);
  }

  async getSettings(): Promise<PeopleSettings> {
    const row = this.#db.prepare("SELECT value FROM settings WHERE key = 'people'").get() as
      { value: string } | undefined;
    const parsed = PeopleSettings.safeParse(row ? JSON.parse(row.value) : {});
    return parsed.success ? parsed.data : PeopleSettings.parse({});
  }

  async putSettings(settings: PeopleSettings): Promise<void> {
    this.#db
      .prepare(
        `INSERT INTO settings (key, value) VALUES ('people', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
      )
      .run(JSON.stringify(settings));
  }

  async dispose(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}
