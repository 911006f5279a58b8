import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import {
  AUDIT_GENESIS_HASH,
  auditCheckpointCanonical,
  auditEntryCanonical,
  type AuditCheckpoint,
  type AuditEntry,
  type AuditRecord,
  type AuditVerifyReport,
} from '../contract/audit.js';
import type { SigningKey } from '../export/signing.js';

/** SHA-256 (hex) of an entry's canonical form. */
export function auditEntryHash(e: Omit<AuditEntry, 'hash'>): string {
  return createHash('sha256').update(auditEntryCanonical(e)).digest('hex');
}

/** The next link of the chain after `head` (undefined: the first entry). */
export function chainEntry(record: AuditRecord, head: { seq: number; hash: string } | undefined): AuditEntry {
  // The detail as it will read back from storage (JSON: no undefined, no functions), so the hash verifies later.
  const detail =
    record.detail && Object.keys(record.detail).length
      ? (JSON.parse(JSON.stringify(record.detail)) as Record<string, unknown>)
      : undefined;
  const base: Omit<AuditEntry, 'hash'> = {
    seq: (head?.seq ?? 0) + 1,
    ts: record.ts,
    actor: record.actor,
    action: record.action,
    ...(record.camera ? { camera: record.camera } : {}),
    ...(record.target !== undefined ? { target: record.target } : {}),
    ...(detail ? { detail } : {}),
    prevHash: head?.hash ?? AUDIT_GENESIS_HASH,
  };
  return { ...base, hash: auditEntryHash(base) };
}

/** Signs the chain's head with the installation's key. */
export function signCheckpoint(
  head: { seq: number; hash: string },
  key: Pick<SigningKey, 'privateKey' | 'fingerprint'>,
  ts = Date.now(),
): AuditCheckpoint {
  const body = { seq: head.seq, hash: head.hash, ts, keyFingerprint: key.fingerprint };
  const signature = sign(null, Buffer.from(auditCheckpointCanonical(body)), key.privateKey).toString(
    'base64',
  );
  return { ...body, signature };
}

/** Whether a checkpoint's signature was made by `publicKey`. */
export function checkpointSignatureValid(c: AuditCheckpoint, publicKey: KeyObject): boolean {
  try {
    return verify(
      null,
      Buffer.from(auditCheckpointCanonical(c)),
      publicKey,
      Buffer.from(c.signature, 'base64'),
    );
  } catch {
    return false;
  }
}

/**
 * Checks a chain fed oldest first against its checkpoints: every seq follows the one before, every prevHash is the
 * hash before, every hash is the entry's own, every checkpoint names an entry that exists with that hash and carries
 * a valid signature of the installation's key (when `publicKey` is given). Stops at the first break and names it.
 * Fed one entry at a time, so a large log is never held in memory.
 */
export class AuditChainVerifier {
  readonly #bySeq = new Map<number, AuditCheckpoint[]>();
  readonly #checkpoints: readonly AuditCheckpoint[];
  readonly #publicKey: KeyObject | undefined;
  readonly report: AuditVerifyReport;
  #prev: { seq: number; hash: string } = { seq: 0, hash: AUDIT_GENESIS_HASH };

  constructor(checkpoints: readonly AuditCheckpoint[], publicKey: KeyObject | undefined, now = Date.now()) {
    this.#checkpoints = checkpoints;
    this.#publicKey = publicKey;
    for (const c of checkpoints) this.#bySeq.set(c.seq, [...(this.#bySeq.get(c.seq) ?? []), c]);
    this.report = {
      ok: true,
      entries: 0,
      checkpoints: checkpoints.length,
      lastSeq: 0,
      signedThrough: 0,
      signaturesChecked: publicKey !== undefined,
      checkedAt: now,
    };
  }

  #broken(seq: number, reason: string): false {
    this.report.ok = false;
    this.report.firstBroken = { seq, reason };
    return false;
  }

  /** Checks the next entry; false once the chain is broken (stop feeding). */
  push(e: AuditEntry): boolean {
    if (!this.report.ok) return false;
    const prev = this.#prev;
    if (e.seq !== prev.seq + 1) {
      return e.seq > prev.seq + 1
        ? this.#broken(prev.seq + 1, `entry ${prev.seq + 1} is missing (the next entry is ${e.seq}): deleted`)
        : this.#broken(e.seq, `entry ${e.seq} appears twice or out of order`);
    }
    if (e.prevHash !== prev.hash)
      return this.#broken(
        e.seq,
        `entry ${e.seq} does not link to entry ${prev.seq}: an entry was inserted, deleted or changed before it`,
      );
    if (auditEntryHash(e) !== e.hash)
      return this.#broken(e.seq, `entry ${e.seq} was changed after it was written`);
    for (const c of this.#bySeq.get(e.seq) ?? []) {
      if (c.hash !== e.hash)
        return this.#broken(
          e.seq,
          `the checkpoint at entry ${e.seq} signed another chain: entries up to ${e.seq} were rewritten`,
        );
      if (this.#publicKey) {
        if (!checkpointSignatureValid(c, this.#publicKey))
          return this.#broken(
            e.seq,
            `the signature of the checkpoint at entry ${e.seq} is not valid for this installation's key`,
          );
        this.report.signedThrough = e.seq;
      }
    }
    this.#prev = { seq: e.seq, hash: e.hash };
    this.report.entries++;
    this.report.lastSeq = e.seq;
    return true;
  }

  /** The report, once every entry was fed: a checkpoint beyond the last entry means the tail was cut off. */
  finish(): AuditVerifyReport {
    if (!this.report.ok) return this.report;
    const last = this.#prev.seq;
    const beyond = this.#checkpoints.filter((c) => c.seq > last).sort((a, b) => a.seq - b.seq)[0];
    if (beyond)
      this.#broken(
        last + 1,
        `entries ${last + 1} to ${beyond.seq} are missing: the log was cut off after entry ${last} (a checkpoint signed entry ${beyond.seq})`,
      );
    return this.report;
  }
}

/** One line per finding, for the command line and logs. */
export function formatAuditReport(r: AuditVerifyReport): string {
  const lines: string[] = [];
  if (r.ok) lines.push(`Audit log intact: ${r.entries} entries, ${r.checkpoints} checkpoints.`);
  else
    lines.push(
      `AUDIT LOG TAMPERED: ${r.firstBroken?.reason ?? 'broken'} (first broken entry: ${r.firstBroken?.seq}).`,
    );
  if (r.signaturesChecked) {
    if (r.ok && r.lastSeq > r.signedThrough)
      lines.push(
        `Entries ${r.signedThrough + 1} to ${r.lastSeq} are after the last signed checkpoint (signed at the next one).`,
      );
    else if (r.ok) lines.push(`Signed through entry ${r.signedThrough}.`);
  } else lines.push("Checkpoint signatures were NOT checked: this installation's signing key was not found.");
  return lines.join('\n');
}
