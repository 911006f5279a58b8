import { z } from 'zod';
import { Limits } from './config/limits.js';

/**
 * The audit log: who did what, to which camera and thing, and when. Append-only and tamper-evident: each entry
 * carries the SHA-256 of the previous one (a hash chain) and checkpoints sign the chain's head with the
 * installation's Ed25519 key, so an edited, deleted, inserted or cut-off entry is found by `verify()` and by
 * `vigil audit verify`, which name the first broken entry.
 */

/** HTTP routes of the audit log (under the authenticated /api prefix). */
export const AuditApiRoutes = {
  audit: '/api/audit',
  auditCsv: '/api/audit/export.csv',
  auditVerify: '/api/audit/verify',
} as const;

/** What an audit entry records. */
export const AUDIT_ACTIONS = [
  // People.
  'sign-in',
  'sign-in-failed',
  'sign-out',
  'lockout',
  'handover',
  // Watching and looking.
  'live-start',
  'live-stop',
  'playback',
  'search',
  'view',
  'snapshot',
  'export',
  // Alerts and incidents.
  'acknowledge',
  'resolve',
  'escalate',
  'false-positive',
  'snooze',
  'suppression',
  // Changes.
  'update',
  'saved-search',
  'alert-rule',
  'alert-settings',
  'camera-change',
  'user-change',
  'token-change',
  'camera-group-change',
  'rule-change',
  'setting-change',
  'site-map',
  'trail',
  // The installation.
  'backup',
  'restore',
  'verify',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** What a caller appends: the chain fields are added by the log. */
export interface AuditRecord {
  /** Time of the action (ms since the epoch). */
  ts: number;
  actor: string;
  action: AuditAction;
  /** The camera concerned, for filtering and for evidence exports of that camera. */
  camera?: string;
  /** The event, alert, recording, export, target … concerned. */
  target?: string;
  /** Parameters (search filters, clip range, export case and reason …). */
  detail?: Record<string, unknown>;
}

/** One entry of the chain, as stored. */
export interface AuditEntry extends AuditRecord {
  /** 1, 2, 3 … without holes. */
  seq: number;
  /** `hash` of the entry before (64 zeros for the first). */
  prevHash: string;
  /** SHA-256 (hex) of `auditEntryCanonical(this)`. */
  hash: string;
}

/** The hash before the first entry. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/** A signed statement that the chain up to `seq` ends in `hash`. */
export interface AuditCheckpoint {
  seq: number;
  hash: string;
  ts: number;
  /** SHA-256 fingerprint (hex) of the signing key's public key. */
  keyFingerprint: string;
  /** Ed25519 signature (base64) of `auditCheckpointCanonical(this)`. */
  signature: string;
}

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const keys = Object.keys(value as Record<string, unknown>)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** The text an entry's hash is taken over: its fields in a fixed order, absent ones as null. */
export function auditEntryCanonical(e: Omit<AuditEntry, 'hash'>): string {
  return canonicalJson([
    'vigil-audit/1',
    e.seq,
    e.ts,
    e.actor,
    e.action,
    e.camera ?? null,
    e.target ?? null,
    e.detail ?? null,
    e.prevHash,
  ]);
}

/** The text a checkpoint's signature is made over. */
export function auditCheckpointCanonical(c: Omit<AuditCheckpoint, 'signature'>): string {
  return canonicalJson(['vigil-audit-checkpoint/1', c.seq, c.hash, c.ts, c.keyFingerprint]);
}

/** Which entries to list. `actors` narrows to a set of people (a supervisor's team), on top of `actor`. */
export interface AuditFilter {
  actor?: string;
  /** Only these actors (set by the route, never by the caller: a supervisor sees their team). */
  actors?: readonly string[];
  action?: AuditAction;
  camera?: string;
  /** Inclusive start and exclusive end of the time range (ms). */
  from?: number;
  to?: number;
  /** At most this many entries, newest first. */
  limit: number;
  /** Only entries older than this sequence number (the next page). */
  before?: number;
}

/** A page of entries, newest first, and how many entries match the filter in all. */
export interface AuditPage {
  entries: AuditEntry[];
  total: number;
}

/** What `verify()` found. */
export interface AuditVerifyReport {
  /** The chain is whole and every checkpoint signature holds. */
  ok: boolean;
  entries: number;
  checkpoints: number;
  /** Sequence number of the last entry. */
  lastSeq: number;
  /** Last entry covered by a valid checkpoint signature (0: none). */
  signedThrough: number;
  /** Whether signatures were checked (false when the installation's key is not at hand). */
  signaturesChecked: boolean;
  /** The first entry (or checkpoint) found broken, and why. */
  firstBroken?: { seq: number; reason: string };
  checkedAt: number;
}

/** The audit log capability. */
export interface AuditLog {
  /** Which implementation ("sqlite", "elasticsearch"). */
  readonly kind: string;
  /** Appends an entry to the chain; resolves with it once durable. */
  append(record: AuditRecord): Promise<AuditEntry>;
  /** Entries matching the filter, newest first. */
  list(filter: AuditFilter): Promise<AuditPage>;
  /** Every entry matching the filter, oldest first (evidence exports, CSV). */
  all(filter: Omit<AuditFilter, 'limit' | 'before'>): Promise<AuditEntry[]>;
  /** Walks the whole chain and the checkpoints. */
  verify(): Promise<AuditVerifyReport>;
  /** Signs the chain's head now (when there is anything new to sign). */
  checkpoint(): Promise<AuditCheckpoint | undefined>;
  dispose(): Promise<void>;
}

const time = z
  .union(
    [
      z.number().int().min(0).max(Limits.time),
      z
        .string()
        .max(40)
        .regex(/^\d{1,16}$/),
    ],
    'a time in ms',
  )
  .transform(Number);

/** GET /api/audit and /api/audit/export.csv query. */
export const AuditQueryParams = z.strictObject({
  user: z.string().max(Limits.token).optional(),
  action: z.enum(AUDIT_ACTIONS, `one of ${AUDIT_ACTIONS.join(', ')}`).optional(),
  camera: z.string().max(Limits.token).optional(),
  from: time.optional(),
  to: time.optional(),
  limit: z
    .union(
      [
        z.number().int().min(1).max(1000),
        z
          .string()
          .max(4)
          .regex(/^\d{1,4}$/),
      ],
      'a whole number from 1 to 1000',
    )
    .transform(Number)
    .refine((n) => n >= 1 && n <= 1000, 'a whole number from 1 to 1000')
    .optional(),
  before: z
    .union(
      [
        z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
        z
          .string()
          .max(16)
          .regex(/^\d{1,16}$/),
      ],
      'a sequence number',
    )
    .transform(Number)
    .optional(),
});

/** An audit record on the bus (`vigil.audit.v1`), from an api instance to the events role that chains it. */
export const AuditRecordMessage = z.strictObject({
  /** Unique per record, so a redelivered message is chained once. */
  id: z.string().min(1).max(Limits.token),
  ts: z.number().int().min(0).max(Limits.time),
  actor: z.string().max(Limits.token),
  action: z.enum(AUDIT_ACTIONS),
  camera: z.string().max(Limits.token).optional(),
  target: z.string().max(Limits.note).optional(),
  detail: z.record(z.string().max(Limits.token), z.unknown()).optional(),
});
export type AuditRecordMessage = z.infer<typeof AuditRecordMessage>;
