import type {
  ApiTokenInfo,
  CameraGroup,
  PeopleSettings,
  Role,
  UserAccount,
  UserPatch,
} from '../contract/people.js';

/** A person's record as stored: the account plus what only sign-in needs. */
export interface StoredUser extends UserAccount {
  passwordHash: string;
  /** Failed sign-ins in a row. */
  failedSignIns: number;
  /** Raised on every password change, removal or lock: sessions opened under an older epoch end. */
  sessionEpoch: number;
}

/** An API token as stored: its info plus the hash of its secret. */
export interface StoredToken extends ApiTokenInfo {
  secretHash: string;
}

/** What adding a person needs (the password already hashed). */
export interface NewStoredUser {
  name: string;
  role: Role;
  passwordHash: string;
  displayName?: string;
  team?: string;
  cameras: UserAccount['cameras'];
  createdTs: number;
}

/**
 * Where people, camera groups, API tokens and the site's people settings live: SQLite in an installation
 * (`<data>/people.db`), Redis shared by the api instances of a cluster. Names are case-insensitive.
 */
export interface PeopleStore {
  readonly kind: string;
  countUsers(): Promise<number>;
  getUser(name: string): Promise<StoredUser | undefined>;
  listUsers(): Promise<StoredUser[]>;
  /** False when the name is taken. */
  addUser(user: NewStoredUser): Promise<boolean>;
  updateUser(name: string, patch: UserPatch): Promise<StoredUser | undefined>;
  /** Sets a new password hash and ends every session of the person (raises the epoch). */
  setPassword(name: string, passwordHash: string): Promise<boolean>;
  removeUser(name: string): Promise<boolean>;
  /** Counts a failed sign-in; locks the account until `lockUntil` when given. */
  recordFailure(name: string, lockUntil?: number): Promise<void>;
  recordSignIn(name: string, now: number): Promise<void>;

  listGroups(): Promise<CameraGroup[]>;
  putGroup(group: CameraGroup): Promise<void>;
  removeGroup(name: string): Promise<boolean>;

  addToken(token: StoredToken): Promise<void>;
  getToken(id: string): Promise<StoredToken | undefined>;
  listTokens(): Promise<StoredToken[]>;
  revokeToken(id: string, now: number): Promise<boolean>;
  touchToken(id: string, now: number): Promise<void>;

  getSettings(): Promise<PeopleSettings>;
  putSettings(settings: PeopleSettings): Promise<void>;
  dispose(): Promise<void>;
}
