import crypto from 'node:crypto';
import {
  NewTokenBody,
  NewUserBody,
  PERMISSIONS,
  ROLE_CAMERA_RIGHTS,
  ROLE_PERMISSIONS,
  type ApiTokenInfo,
  type NewTokenResponse,
  type PeopleSettings,
  type Permission,
  type UserAccount,
  type UserPatch,
} from '../contract/people.js';
import type { Principal } from '../api/access.js';
import { hashed, INSTANCE_TOKEN_USER, randomSecret, safeEqual, SETUP_USER } from '../api/auth.js';
import { createLogger } from '../platform/log.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { CameraScope } from './scope.js';
import type { PeopleStore, StoredUser } from './store.js';

/** An audit record people's changes and sign-ins leave. */
export interface PeopleAuditEntry {
  actor: string;
  action:
    | 'sign-in'
    | 'sign-in-failed'
    | 'sign-out'
    | 'lockout'
    | 'user-change'
    | 'token-change'
    | 'camera-group-change'
    | 'setting-change';
  target?: string;
  detail?: Record<string, unknown>;
}

/** Why a change to people was refused: the field, and words for the person. */
export class PeopleError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export type SignInResult =
  | { ok: true; user: StoredUser }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'locked'; retryAfterSeconds: number };

/** Failures of names that are not accounts, kept only in memory: they lock out the same way (no enumeration). */
interface Strikes {
  failures: number;
  lockedUntil: number;
}

const TOKEN_PREFIX = 'vgt_';

/** The lock after `failures` failed sign-ins in a row: none below the threshold, then doubling up to a day. */
export function lockUntil(failures: number, settings: PeopleSettings, now: number): number | undefined {
  if (failures < settings.lockoutAfter) return undefined;
  const doublings = Math.min(failures - settings.lockoutAfter, 12);
  return now + Math.min(settings.lockoutSeconds * 1000 * 2 ** doublings, 24 * 3600_000);
}

/**
 * People of a site: sign-in with lock-out, who a request's caller is (role, permissions, camera rights, resolved
 * on every request so a removal, a role change or a new password takes effect at once), accounts, camera groups
 * and API tokens.
 */
export class People {
  readonly #log = createLogger('people');
  readonly #strikes = new Map<string, Strikes>();

  constructor(
    readonly store: PeopleStore,
    private readonly options: {
      now?: () => number;
      audit?: (entry: PeopleAuditEntry) => void | Promise<void>;
    } = {},
  ) {}

  #now(): number {
    return (this.options.now ?? Date.now)();
  }

  async #audit(entry: PeopleAuditEntry): Promise<void> {
    try {
      await this.options.audit?.(entry);
    } catch (err) {
      this.#log.error({ err, action: entry.action }, 'could not write the audit log');
    }
  }

  /** Checks a user name and password; counts failures and locks the account (or the unknown name) after too many. */
  async signIn(username: string, password: string): Promise<SignInResult> {
    const now = this.#now();
    const settings = await this.store.getSettings();
    const name = username.trim();
    const user = await this.store.getUser(name);
    const locked = user
      ? (user.lockedUntilTs ?? 0)
      : (this.#strikes.get(name.toLowerCase())?.lockedUntil ?? 0);
    // Checked (and timed) the same whether or not the account exists.
    const matches = await verifyPassword(password, user?.passwordHash);
    if (locked > now) {
      await this.#audit({ actor: name, action: 'sign-in-failed', detail: { reason: 'locked' } });
      return { ok: false, reason: 'locked', retryAfterSeconds: Math.ceil((locked - now) / 1000) };
    }
    if (matches && user && !user.disabled) {
      // Bookkeeping only: a full disk must not keep a guard from signing in.
      await this.store.recordSignIn(user.name, now).catch((err: unknown) => {
        this.#log.error({ err, user: user.name }, 'could not record a sign-in (the person is signed in)');
      });
      await this.#audit({ actor: user.name, action: 'sign-in' });
      return { ok: true, user };
    }
    const failures = (user ? user.failedSignIns : (this.#strikes.get(name.toLowerCase())?.failures ?? 0)) + 1;
    const until = lockUntil(failures, settings, now);
    if (user) await this.store.recordFailure(user.name, until);
    else {
      if (this.#strikes.size > 10_000) this.#strikes.clear();
      this.#strikes.set(name.toLowerCase(), { failures, lockedUntil: until ?? 0 });
    }
    await this.#audit({
      actor: name.slice(0, 64),
      action: 'sign-in-failed',
      detail: { reason: user?.disabled ? 'disabled' : 'wrong password or user name', failures },
    });
    if (until !== undefined) {
      await this.#audit({
        actor: name.slice(0, 64),
        action: 'lockout',
        detail: { failures, untilTs: until },
      });
      return { ok: false, reason: 'locked', retryAfterSeconds: Math.ceil((until - now) / 1000) };
    }
    return { ok: false, reason: 'invalid' };
  }

  /**
   * Completes an authenticated caller with what they may do, or undefined when their account no longer allows it
   * (removed, disabled, password changed since the session opened, setup already done).
   */
  async resolve(base: Principal): Promise<Principal | undefined> {
    if (base.via === 'token' && base.user === INSTANCE_TOKEN_USER) {
      return { ...base, role: 'token', permissions: new Set(PERMISSIONS), cameras: CameraScope.everything() };
    }
    if (base.permissions) return base; // an API token, resolved when its secret was checked
    if (base.user === SETUP_USER) {
      if ((await this.store.countUsers()) > 0) return undefined;
      return { ...base, setup: true, permissions: new Set(), cameras: CameraScope.of([], [], []) };
    }
    const user = await this.store.getUser(base.user);
    if (!user || user.disabled || user.sessionEpoch !== (base.epoch ?? 0)) return undefined;
    return this.#principalOf(user, base);
  }

  async #principalOf(user: StoredUser, base: Principal): Promise<Principal> {
    const settings = await this.store.getSettings();
    const permissions = new Set<Permission>(ROLE_PERMISSIONS[user.role]);
    const cameras =
      user.role === 'admin'
        ? CameraScope.everything()
        : CameraScope.of(user.cameras, await this.store.listGroups(), ROLE_CAMERA_RIGHTS[user.role]);
    const team = user.team?.toLowerCase();
    const teamMembers =
      user.role === 'supervisor' && team
        ? (await this.store.listUsers()).filter((u) => u.team?.toLowerCase() === team).map((u) => u.name)
        : undefined;
    return {
      ...base,
      user: user.name,
      role: user.role,
      permissions,
      cameras,
      ...(user.team ? { team: user.team } : {}),
      ...(teamMembers ? { teamMembers } : {}),
      ...(user.displayName ? { displayName: user.displayName } : {}),
      ...(permissions.has('events.search') ? {} : { lookbackMinutes: settings.guardLookbackMinutes }),
    };
  }

  /** The caller of an API token (`vgt_<id>_<secret>`), or undefined for anything else. */
  async authenticateToken(bearer: string): Promise<Principal | undefined> {
    if (!bearer.startsWith(TOKEN_PREFIX)) return undefined;
    const rest = bearer.slice(TOKEN_PREFIX.length);
    const cut = rest.indexOf('_');
    const id = rest.slice(0, cut);
    const secret = rest.slice(cut + 1);
    if (cut < 1 || !secret || id.length > 40) return undefined;
    const token = await this.store.getToken(id);
    const now = this.#now();
    if (!token || token.revokedTs || (token.expiresTs && token.expiresTs <= now)) return undefined;
    if (!safeEqual(hashed(secret), token.secretHash)) return undefined;
    await this.store.touchToken(id, now);
    return {
      user: `token:${token.name}`,
      via: 'token',
      role: 'token',
      permissions: new Set(token.permissions),
      cameras: CameraScope.of(token.cameras, await this.store.listGroups(), ['live', 'recordings', 'export']),
    };
  }

  /** The account as the API shows it. */
  static account(user: StoredUser): UserAccount {
    const { passwordHash: _h, failedSignIns: _f, sessionEpoch: _e, ...account } = user;
    return account;
  }

  async addUser(input: NewUserBody, actor: string): Promise<UserAccount> {
    const body = NewUserBody.parse(input);
    const passwordHash = await hashPassword(body.password);
    const added = await this.store.addUser({
      name: body.name,
      role: body.role,
      passwordHash,
      ...(body.displayName ? { displayName: body.displayName } : {}),
      ...(body.team ? { team: body.team } : {}),
      cameras: body.cameras,
      createdTs: this.#now(),
    });
    if (!added) throw new PeopleError(409, `There is already a person called "${body.name}".`, 'name');
    await this.#audit({
      actor,
      action: 'user-change',
      target: body.name,
      detail: { change: 'added', role: body.role, cameras: body.cameras },
    });
    return People.account((await this.store.getUser(body.name))!);
  }

  async updateUser(name: string, patch: UserPatch, actor: string): Promise<UserAccount> {
    const before = await this.store.getUser(name);
    if (!before) throw new PeopleError(404, `There is no person called "${name}".`);
    const demotes = (patch.role !== undefined && patch.role !== 'admin') || patch.disabled === true;
    if (before.role === 'admin' && demotes && (await this.#activeAdmins()) <= 1)
      throw new PeopleError(
        409,
        'This is the last administrator: make someone else an administrator first.',
        'role',
      );
    const after = await this.store.updateUser(name, patch);
    await this.#audit({
      actor,
      action: 'user-change',
      target: before.name,
      detail: { change: 'updated', ...patch },
    });
    return People.account(after!);
  }

  async removeUser(name: string, actor: string): Promise<void> {
    const user = await this.store.getUser(name);
    if (!user) throw new PeopleError(404, `There is no person called "${name}".`);
    if (user.role === 'admin' && !user.disabled && (await this.#activeAdmins()) <= 1)
      throw new PeopleError(409, 'This is the last administrator: make someone else an administrator first.');
    await this.store.removeUser(name);
    await this.#audit({ actor, action: 'user-change', target: user.name, detail: { change: 'removed' } });
  }

  async setPassword(name: string, password: string, actor: string): Promise<void> {
    const user = await this.store.getUser(name);
    if (!user) throw new PeopleError(404, `There is no person called "${name}".`);
    await this.store.setPassword(name, await hashPassword(password));
    await this.#audit({ actor, action: 'user-change', target: user.name, detail: { change: 'password' } });
  }

  async #activeAdmins(): Promise<number> {
    return (await this.store.listUsers()).filter((u) => u.role === 'admin' && !u.disabled).length;
  }

  async createToken(input: NewTokenBody, actor: string): Promise<NewTokenResponse> {
    const body = NewTokenBody.parse(input);
    const id = crypto.randomBytes(8).toString('hex');
    const secret = randomSecret(32);
    const now = this.#now();
    const info: ApiTokenInfo = {
      id,
      name: body.name,
      permissions: body.permissions,
      cameras: body.cameras,
      createdBy: actor,
      createdTs: now,
      ...(body.expiresDays ? { expiresTs: now + body.expiresDays * 86_400_000 } : {}),
    };
    await this.store.addToken({ ...info, secretHash: hashed(secret) });
    await this.#audit({
      actor,
      action: 'token-change',
      target: id,
      detail: { change: 'created', name: body.name, permissions: body.permissions },
    });
    return { token: info, secret: `${TOKEN_PREFIX}${id}_${secret}` };
  }

  async revokeToken(id: string, actor: string): Promise<void> {
    if (!(await this.store.revokeToken(id, this.#now())))
      throw new PeopleError(404, 'There is no such token, or it was already revoked.');
    await this.#audit({ actor, action: 'token-change', target: id, detail: { change: 'revoked' } });
  }

  async listTokens(): Promise<ApiTokenInfo[]> {
    return (await this.store.listTokens()).map(({ secretHash: _s, ...info }) => info);
  }

  /** Records a sign-out. */
  async signedOut(user: string): Promise<void> {
    await this.#audit({ actor: user, action: 'sign-out' });
  }

  /** Records any other change made by a person through these routes. */
  audit(entry: PeopleAuditEntry): Promise<void> {
    return this.#audit(entry);
  }
}
