import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type {
  AuditAction,
  AuditCheckpoint,
  AuditEntry,
  AuditFilter,
  AuditLog,
  AuditPage,
  AuditRecord,
  AuditVerifyReport,
} from '../contract/audit.js';
import type { SigningKey } from '../export/signing.js';
import { createLogger } from '../platform/log.js';
import { AuditChainVerifier, chainEntry, signCheckpoint } from './chain.js';

/** Checkpoint after this many new entries … */
export const CHECKPOINT_EVERY = 100;
/** … or this long after the first unsigned one. */
export const CHECKPOINT_INTERVAL_MS = 5 * 60_000;

export interface SqliteAuditLogOptions {
  /** The database file (`<data>/audit.db`). */
  file: string;
  /** The installation's Ed25519 key: signs checkpoints and checks them. Without it nothing is signed. */
  key?: Pick<SigningKey, 'privateKey' | 'publicKey' | 'fingerprint'>;
  /** Only the public key (verifying a copy without the private key). */
  publicKey?: SigningKey['publicKey'];
  /** The event database whose old `audit` table is chained once, the first time the log opens. */
  legacyEventsDb?: string;
  checkpointEvery?: number;
  checkpointIntervalMs?: number;
  /** Open an existing file for reading only (verification, an api instance beside the writer). */
  readOnly?: boolean;
}

interface EntryRow {
  seq: number;
  ts: number;
  actor: string;
  action: string;
  camera: string | null;
  target: string | null;
  detail: string | null;
  prev_hash: string;
  hash: string;
}

function fromRow(r: EntryRow): AuditEntry {
  return {
    seq: r.seq,
    ts: r.ts,
    actor: r.actor,
    action: r.action as AuditAction,
    ...(r.camera !== null ? { camera: r.camera } : {}),
    ...(r.target !== null ? { target: r.target } : {}),
    ...(r.detail !== null ? { detail: JSON.parse(r.detail) as Record<string, unknown> } : {}),
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY,
    ts INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    camera TEXT,
    target TEXT,
    detail TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS entries_ts ON entries (ts);
  CREATE INDEX IF NOT EXISTS entries_actor ON entries (actor, seq);
  CREATE INDEX IF NOT EXISTS entries_camera ON entries (camera, seq);
  CREATE INDEX IF NOT EXISTS entries_action ON entries (action, seq);
  CREATE TABLE IF NOT EXISTS checkpoints (
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    ts INTEGER NOT NULL,
    key_fingerprint TEXT NOT NULL,
    signature TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER IF NOT EXISTS checkpoints_no_update BEFORE UPDATE ON checkpoints
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER IF NOT EXISTS checkpoints_no_delete BEFORE DELETE ON checkpoints
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
`;

/** Builds the WHERE clause of a filter (parameters named after the fields). */
export function auditWhere(filter: Omit<AuditFilter, 'limit'>): {
  sql: string;
  params: Record<string, unknown>;
} {
  const parts: string[] = [];
  const params: Record<string, unknown> = {};
  if (filter.actor !== undefined) {
    parts.push('actor = @actor');
    params.actor = filter.actor;
  }
  if (filter.actors) {
    const names = filter.actors.map((a, i) => {
      params[`actor${i}`] = a;
      return `@actor${i}`;
    });
    parts.push(names.length ? `actor IN (${names.join(',')})` : '0');
  }
  if (filter.action !== undefined) {
    parts.push('action = @action');
    params.action = filter.action;
  }
  if (filter.camera !== undefined) {
    parts.push('camera = @camera');
    params.camera = filter.camera;
  }
  if (filter.from !== undefined) {
    parts.push('ts >= @from');
    params.from = filter.from;
  }
  if (filter.to !== undefined) {
    parts.push('ts < @to');
    params.to = filter.to;
  }
  if (filter.before !== undefined) {
    parts.push('seq < @before');
    params.before = filter.before;
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

/**
 * The embedded audit log: a hash chain in its own SQLite file (WAL; triggers refuse UPDATE and DELETE), with
 * checkpoints signed by the installation's key every `checkpointEvery` entries, every `checkpointIntervalMs` and on
 * dispose. Appends are synchronous transactions (microseconds), so the chain has one order even with several
 * writers on the file.
 */
export class SqliteAuditLog implements AuditLog {
  readonly kind = 'sqlite';
  readonly db: Database.Database;
  readonly #log = createLogger('audit.sqlite');
  readonly #options: SqliteAuditLogOptions;
  #timer: NodeJS.Timeout | undefined;
  #unsignedSince: number | undefined;

  constructor(options: SqliteAuditLogOptions) {
    this.#options = options;
    if (!options.readOnly) fs.mkdirSync(path.dirname(options.file), { recursive: true });
    this.db = new Database(options.file, options.readOnly ? { readonly: true, fileMustExist: true } : {});
    this.db.pragma('busy_timeout = 5000');
    if (!options.readOnly) {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.exec(SCHEMA);
      if (options.legacyEventsDb) this.#importLegacy(options.legacyEventsDb);
      const interval = options.checkpointIntervalMs ?? CHECKPOINT_INTERVAL_MS;
      if (options.key && interval > 0) {
        this.#timer = setInterval(() => {
          try {
            if (this.#unsignedSince !== undefined) this.#checkpointNow();
          } catch (err) {
            this.#log.error({ err }, 'could not write an audit checkpoint');
          }
        }, interval);
        this.#timer.unref();
      }
    }
  }

  #head(): { seq: number; hash: string } | undefined {
    return this.db.prepare('SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1').get() as
      { seq: number; hash: string } | undefined;
  }

  #insert(entry: AuditEntry): void {
    this.db
      .prepare(
        'INSERT INTO entries (seq, ts, actor, action, camera, target, detail, prev_hash, hash) VALUES (@seq, @ts, @actor, @action, @camera, @target, @detail, @prevHash, @hash)',
      )
      .run({
        seq: entry.seq,
        ts: entry.ts,
        actor: entry.actor,
        action: entry.action,
        camera: entry.camera ?? null,
        target: entry.target ?? null,
        detail: entry.detail ? JSON.stringify(entry.detail) : null,
        prevHash: entry.prevHash,
        hash: entry.hash,
      });
  }

  /** Chains the rows of the event database's old `audit` table, once, oldest first. */
  #importLegacy(file: string): void {
    if (this.db.prepare("SELECT 1 FROM meta WHERE key = 'imported-events-audit'").get()) return;
    let rows: Array<{
      ts: number;
      actor: string;
      action: string;
      target: string | null;
      detail: string | null;
    }> = [];
    if (fs.existsSync(file)) {
      const old = new Database(file, { readonly: true, fileMustExist: true });
      try {
        const has = old.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit'").get();
        if (has)
          rows = old
            .prepare('SELECT ts, actor, action, target, detail FROM audit ORDER BY id')
            .all() as typeof rows;
      } finally {
        old.close();
      }
    }
    this.db.transaction(() => {
      let head = this.#head();
      for (const r of rows) {
        const entry = chainEntry(
          {
            ts: r.ts,
            actor: r.actor,
            action: r.action as AuditAction,
            ...(r.target !== null ? { target: r.target } : {}),
            ...(r.detail !== null ? { detail: JSON.parse(r.detail) as Record<string, unknown> } : {}),
          },
          head,
        );
        this.#insert(entry);
        head = entry;
      }
      this.db
        .prepare("INSERT INTO meta (key, value) VALUES ('imported-events-audit', ?)")
        .run(JSON.stringify({ rows: rows.length, at: Date.now() }));
    })();
    if (rows.length) {
      this.#log.info({ rows: rows.length, from: file }, 'chained the entries of the old audit table');
      this.#unsignedSince ??= Date.now();
    }
  }

  readonly #recentMessages = new Set<string>();

  /** Appends the record of a bus message unless this process chained that message already (a redelivery). */
  async appendMessage(messageId: string, record: AuditRecord): Promise<AuditEntry | undefined> {
    if (this.#recentMessages.has(messageId)) return undefined;
    const entry = await this.append(record);
    this.#recentMessages.add(messageId);
    if (this.#recentMessages.size > 10_000)
      this.#recentMessages.delete(this.#recentMessages.values().next().value as string);
    return entry;
  }

  async append(record: AuditRecord): Promise<AuditEntry> {
    if (this.#options.readOnly) throw new Error('this audit log was opened for reading only');
    const entry = this.db
      .transaction(() => {
        const e = chainEntry(record, this.#head());
        this.#insert(e);
        return e;
      })
      .immediate();
    this.#unsignedSince ??= Date.now();
    const every = this.#options.checkpointEvery ?? CHECKPOINT_EVERY;
    if (this.#options.key && entry.seq - this.#lastCheckpointSeq() >= every) this.#checkpointNow();
    return entry;
  }

  #lastCheckpointSeq(): number {
    return (this.db.prepare('SELECT MAX(seq) AS s FROM checkpoints').get() as { s: number | null }).s ?? 0;
  }

  #checkpointNow(): AuditCheckpoint | undefined {
    const key = this.#options.key;
    if (!key || this.#options.readOnly) return undefined;
    const head = this.#head();
    this.#unsignedSince = undefined;
    if (!head || head.seq <= this.#lastCheckpointSeq()) return undefined;
    const c = signCheckpoint(head, key);
    this.db
      .prepare(
        'INSERT INTO checkpoints (seq, hash, ts, key_fingerprint, signature) VALUES (@seq, @hash, @ts, @keyFingerprint, @signature)',
      )
      .run(c);
    return c;
  }

  async checkpoint(): Promise<AuditCheckpoint | undefined> {
    return this.#checkpointNow();
  }

  async list(filter: AuditFilter): Promise<AuditPage> {
    const { sql, params } = auditWhere(filter);
    const { before: _before, ...rest } = filter;
    const total = auditWhere(rest);
    const rows = this.db
      .prepare(`SELECT * FROM entries ${sql} ORDER BY seq DESC LIMIT @limit`)
      .all({ ...params, limit: Math.max(1, Math.min(filter.limit, 10_000)) }) as EntryRow[];
    const count = this.db.prepare(`SELECT COUNT(*) AS n FROM entries ${total.sql}`).get(total.params) as {
      n: number;
    };
    return { entries: rows.map(fromRow), total: count.n };
  }

  async all(filter: Omit<AuditFilter, 'limit' | 'before'>): Promise<AuditEntry[]> {
    const { sql, params } = auditWhere(filter);
    return (this.db.prepare(`SELECT * FROM entries ${sql} ORDER BY seq`).all(params) as EntryRow[]).map(
      fromRow,
    );
  }

  checkpoints(): AuditCheckpoint[] {
    return (
      this.db
        .prepare('SELECT seq, hash, ts, key_fingerprint, signature FROM checkpoints ORDER BY rowid')
        .all() as Array<{
        seq: number;
        hash: string;
        ts: number;
        key_fingerprint: string;
        signature: string;
      }>
    ).map((c) => ({
      seq: c.seq,
      hash: c.hash,
      ts: c.ts,
      keyFingerprint: c.key_fingerprint,
      signature: c.signature,
    }));
  }

  async verify(): Promise<AuditVerifyReport> {
    // One read transaction: a consistent snapshot of entries and checkpoints while writers go on (WAL). Rows are
    // streamed, so a long log is never held in memory.
    return this.db.transaction(() => {
      const verifier = new AuditChainVerifier(
        this.checkpoints(),
        this.#options.key?.publicKey ?? this.#options.publicKey,
      );
      for (const row of this.db
        .prepare('SELECT * FROM entries ORDER BY seq')
        .iterate() as IterableIterator<EntryRow>)
        if (!verifier.push(fromRow(row))) break;
      return verifier.finish();
    })();
  }

  async dispose(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    try {
      this.#checkpointNow();
    } catch (err) {
      this.#log.error({ err }, 'could not write the audit checkpoint at shutdown');
    }
    this.db.close();
  }
}
