import fs from 'node:fs';
import path from 'node:path';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { formatAuditReport } from './chain.js';
import { auditDbFile } from './service.js';
import { SqliteAuditLog } from './sqlite-audit-log.js';

/** Exit codes of `vigil audit verify`, the same as `vigil verify`'s where they mean the same. */
export const AuditVerifyExit = {
  intact: 0,
  tampered: 1,
  /** Bad arguments, or the audit log cannot be read. */
  usage: 2,
  /** The chain is whole but the checkpoint signatures could not be checked (no installation key here). */
  unsigned: 3,
} as const;

/** The public half of the installation's signing key, read without creating one. */
export function installationPublicKey(appHome: string): KeyObject | undefined {
  try {
    return createPublicKey(fs.readFileSync(path.join(appHome, 'keys', 'evidence-ed25519.pem')));
  } catch {
    return undefined;
  }
}

/**
 * `vigil audit verify`: checks the chain and the checkpoint signatures of `<data>/audit.db` (opened read-only, so it
 * may run while Vigil runs), prints what it found, names the first broken entry, and answers the exit code.
 */
export async function auditVerifyCommand(
  dataDir: string,
  appHome: string,
  print: (line: string) => void,
): Promise<number> {
  const file = auditDbFile(dataDir);
  if (!fs.existsSync(file)) {
    print(`vigil audit verify: there is no audit log at ${file} (check --data).`);
    return AuditVerifyExit.usage;
  }
  const publicKey = installationPublicKey(appHome);
  let log: SqliteAuditLog;
  try {
    log = new SqliteAuditLog({ file, readOnly: true, ...(publicKey ? { publicKey } : {}) });
  } catch (err) {
    print(`vigil audit verify: cannot read ${file}: ${(err as Error).message}`);
    return AuditVerifyExit.usage;
  }
  try {
    const report = await log.verify();
    print(`${file}\n${formatAuditReport(report)}`);
    if (!report.ok) return AuditVerifyExit.tampered;
    return report.signaturesChecked ? AuditVerifyExit.intact : AuditVerifyExit.unsigned;
  } catch (err) {
    print(`vigil audit verify: cannot read ${file}: ${(err as Error).message}`);
    return AuditVerifyExit.usage;
  } finally {
    await log.dispose();
  }
}
