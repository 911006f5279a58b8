import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import type { EvidenceManifest, EvidenceVerifyReport } from '../contract/backup.js';
import type { TrailDocument } from '../contract/investigation.js';
import { SIGNATURE_FILES, TRAIL_FILE } from './exporter.js';
import { keyFingerprint } from './signing.js';

/** The files of an export, whether a folder or a zip. */
interface ExportReader {
  names(): Promise<string[]>;
  read(name: string): Promise<Buffer>;
  sha256(name: string): Promise<{ sha256: string; size: number }>;
  close(): void;
}

async function hashStream(stream: Readable): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  await pipeline(stream, async (src: AsyncIterable<Buffer>) => {
    for await (const c of src) {
      size += c.length;
      h.update(c);
    }
  });
  return { sha256: h.digest('hex'), size };
}

/** The signature files are small; a bigger one is not a Vigil export (and is not read into memory). */
const MAX_SIGNATURE_FILE_BYTES = 64 * 1024 * 1024;

function folderReader(root: string): ExportReader {
  const abs = (name: string): string => path.join(root, ...name.split('/'));
  /** Only regular files are read: a link or a device in an export (to /dev/zero …) is reported, never followed. */
  const regular = async (name: string): Promise<fs.Stats> => {
    const st = await fsp.lstat(abs(name));
    if (!st.isFile()) throw new Error(`${name} is not a regular file`);
    return st;
  };
  return {
    async names() {
      const out: string[] = [];
      const walk = async (dir: string, rel: string): Promise<void> => {
        for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
          const r = rel ? `${rel}/${e.name}` : e.name;
          if (e.isDirectory()) await walk(path.join(dir, e.name), r);
          else out.push(r);
        }
      };
      await walk(root, '');
      return out;
    },
    async read(name) {
      const st = await regular(name);
      if (st.size > MAX_SIGNATURE_FILE_BYTES) throw new Error(`${name} is too large for a Vigil export`);
      return fsp.readFile(abs(name));
    },
    async sha256(name) {
      await regular(name);
      return hashStream(fs.createReadStream(abs(name)));
    },
    close() {},
  };
}

async function zipReader(file: string): Promise<ExportReader> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, autoClose: false }, (err, z) => (err ? reject(err) : resolve(z))),
  );
  const entries = new Map<string, yauzl.Entry>();
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (e: yauzl.Entry) => {
      if (!e.fileName.endsWith('/')) entries.set(e.fileName, e);
      zip.readEntry();
    });
    zip.once('end', () => resolve());
    zip.once('error', reject);
    zip.readEntry();
  });
  const open = (name: string): Promise<Readable> => {
    const e = entries.get(name);
    if (!e) return Promise.reject(new Error(`${name} is not in the zip`));
    return new Promise((resolve, reject) =>
      zip.openReadStream(e, (err, s) => (err ? reject(err) : resolve(s))),
    );
  };
  return {
    names: async () => [...entries.keys()],
    async read(name) {
      if ((entries.get(name)?.uncompressedSize ?? 0) > MAX_SIGNATURE_FILE_BYTES)
        throw new Error(`${name} is too large for a Vigil export`);
      const chunks: Buffer[] = [];
      for await (const c of await open(name)) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    },
    sha256: async (name) => hashStream(await open(name)),
    close: () => zip.close(),
  };
}

/** A signing key the person verifying trusts, by fingerprint, with the name they know it by. */
export interface TrustedKey {
  fingerprint: string;
  name?: string;
}

/** A fingerprint as people copy it (upper case, with colons or spaces) → 64 lower-case hex digits, or undefined. */
export function normaliseFingerprint(text: string): string | undefined {
  const hex = text.replace(/[:\s]/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

/**
 * Reads a trusted-keys file: one key per line as its SHA-256 fingerprint, optionally followed by a name
 * ("3fa9… Main site"), and/or PEM public keys (each may be preceded by a "# name" line). Blank lines and other
 * "#" comments are skipped. Throws naming the line that is neither.
 */
export function parseTrustedKeys(text: string, source: string): TrustedKey[] {
  const keys: TrustedKey[] = [];
  const lines = text.split(/\r?\n/);
  let comment: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      comment = line.slice(1).trim() || undefined;
      continue;
    }
    if (line === '-----BEGIN PUBLIC KEY-----') {
      const end = lines.findIndex((l, j) => j > i && l.trim() === '-----END PUBLIC KEY-----');
      if (end < 0) throw new Error(`${source}:${i + 1}: a PEM public key without its END line`);
      const pem = lines.slice(i, end + 1).join('\n');
      let fingerprint: string;
      try {
        fingerprint = keyFingerprint(createPublicKey(pem));
      } catch {
        throw new Error(`${source}:${i + 1}: not a readable public key`);
      }
      keys.push({ fingerprint, ...(comment ? { name: comment } : {}) });
      comment = undefined;
      i = end;
      continue;
    }
    const [first = '', ...rest] = line.split(/\s+/);
    const fingerprint = normaliseFingerprint(first);
    if (!fingerprint)
      throw new Error(
        `${source}:${i + 1}: expected a key fingerprint (64 hexadecimal digits) or a PEM public key, got "${first.slice(0, 80)}"`,
      );
    const name = rest.join(' ') || comment;
    keys.push({ fingerprint, ...(name ? { name } : {}) });
    comment = undefined;
  }
  return keys;
}

/**
 * Checks an evidence export (folder or zip): the Ed25519 signature of manifest.json with the public key it carries,
 * then the size and SHA-256 of every listed file, naming the altered, missing and added ones. A valid signature
 * only shows the export is unchanged since it was signed — by whoever holds that key. Whether that key is one the
 * verifier trusts (`trustedKeys`) decides `ok`; with no trusted key the signer is reported as unchecked.
 */
export async function verifyEvidence(
  exportPath: string,
  options: { trustedKeys?: readonly TrustedKey[] } = {},
): Promise<EvidenceVerifyReport> {
  const report: EvidenceVerifyReport = {
    ok: false,
    intact: false,
    signatureValid: false,
    signer: { trust: 'unchecked' },
    altered: [],
    missing: [],
    added: [],
    problems: [],
  };
  const st = await fsp.stat(exportPath).catch(() => undefined);
  if (!st) {
    report.problems.push(`${exportPath} does not exist`);
    return report;
  }
  let reader: ExportReader;
  try {
    reader = st.isDirectory() ? folderReader(exportPath) : await zipReader(exportPath);
  } catch (err) {
    report.problems.push(`not a readable export folder or zip: ${(err as Error).message}`);
    return report;
  }
  try {
    await check(reader, report, options.trustedKeys ?? []);
  } catch (err) {
    report.problems.push(`the export could not be read: ${(err as Error).message}`);
  } finally {
    reader.close();
  }
  report.intact =
    report.signatureValid &&
    report.problems.length === 0 &&
    !report.altered.length &&
    !report.missing.length &&
    !report.added.length;
  report.ok = report.intact && report.signer.trust === 'trusted';
  return report;
}

async function check(
  reader: ExportReader,
  report: EvidenceVerifyReport,
  trustedKeys: readonly TrustedKey[],
): Promise<void> {
  const names = new Set(await reader.names());
  for (const f of SIGNATURE_FILES) {
    if (!names.has(f)) report.missing.push(f);
  }
  if (report.missing.length) {
    report.problems.push(`not a signed Vigil export: ${report.missing.join(', ')} missing`);
    return;
  }
  const manifestBytes = await reader.read('manifest.json');
  const signature = Buffer.from((await reader.read('manifest.sig')).toString('utf8').trim(), 'base64');
  let publicKey;
  try {
    publicKey = createPublicKey(await reader.read('public-key.pem'));
  } catch {
    report.problems.push('public-key.pem is not a readable public key');
    return;
  }
  report.keyFingerprint = keyFingerprint(publicKey);
  report.signer.fingerprint = report.keyFingerprint;
  try {
    report.signatureValid = verifySignature(null, manifestBytes, publicKey, signature);
  } catch {
    report.signatureValid = false;
  }
  if (!report.signatureValid)
    report.problems.push('manifest.json does not match its signature: it was altered');
  if (trustedKeys.length) {
    const known = trustedKeys.find((k) => k.fingerprint === report.keyFingerprint);
    report.signer.trust = known ? 'trusted' : 'untrusted';
    if (known?.name) report.signer.trustedAs = known.name;
  }
  let manifest: EvidenceManifest;
  try {
    manifest = JSON.parse(manifestBytes.toString('utf8')) as EvidenceManifest;
  } catch {
    report.problems.push('manifest.json is not valid JSON');
    return;
  }
  if (typeof manifest.installation === 'string')
    report.signer.installation = manifest.installation.slice(0, 200);
  if (manifest.keyFingerprint !== report.keyFingerprint) {
    report.problems.push('public-key.pem is not the key named in manifest.json');
  }
  const listed = new Set<string>();
  for (const f of Array.isArray(manifest.files) ? manifest.files : []) {
    listed.add(f.path);
    if (!names.has(f.path)) {
      report.missing.push(f.path);
      continue;
    }
    const actual = await reader.sha256(f.path).catch(() => undefined);
    if (!actual || actual.sha256 !== f.sha256 || actual.size !== f.size) report.altered.push(f.path);
  }
  for (const n of names) {
    if (!listed.has(n) && !(SIGNATURE_FILES as readonly string[]).includes(n)) report.added.push(n);
  }
  if (manifest.trail !== undefined || listed.has(TRAIL_FILE)) {
    // Checked only when it is the file that was signed (an altered one is already reported).
    if (!listed.has(TRAIL_FILE))
      report.problems.push(`the manifest names a trail but does not list ${TRAIL_FILE}`);
    else if (!report.altered.includes(TRAIL_FILE) && names.has(TRAIL_FILE))
      report.problems.push(...trailProblems(manifest, await reader.read(TRAIL_FILE)));
  }
}

/**
 * What does not hold in a trail.json: every sighting on an exported camera and inside the exported range, numbered
 * 1, 2, 3 … in time order, and the trail the manifest names.
 */
export function trailProblems(manifest: EvidenceManifest, bytes: Buffer): string[] {
  let doc: TrailDocument;
  try {
    doc = JSON.parse(bytes.toString('utf8')) as TrailDocument;
  } catch {
    return [`${TRAIL_FILE} is not valid JSON`];
  }
  if (doc?.format !== 'vigil-trail/1' || !Array.isArray(doc.sightings))
    return [`${TRAIL_FILE} is not a Vigil trail (format vigil-trail/1)`];
  const problems: string[] = [];
  if (manifest.trail && manifest.trail.id !== doc.id)
    problems.push(`${TRAIL_FILE} is trail "${String(doc.id)}", the manifest names "${manifest.trail.id}"`);
  const cameras = new Set(Array.isArray(manifest.cameras) ? manifest.cameras : []);
  let last = -Infinity;
  doc.sightings.forEach((s, i) => {
    const which = `${TRAIL_FILE} sighting ${i + 1}`;
    if (s.n !== i + 1) problems.push(`${which} is numbered ${String(s.n)}`);
    if (!cameras.has(s.cameraId))
      problems.push(`${which} is on camera "${String(s.cameraId)}", not exported`);
    if (!(s.ts >= manifest.from && s.ts <= manifest.to))
      problems.push(`${which} (${String(s.eventId)}) is outside the exported range`);
    if (s.ts < last) problems.push(`${which} is earlier than the sighting before it`);
    last = s.ts;
  });
  return problems;
}

/** Exit codes of `vigil verify` (documented in docs/backup.md and the command's help). */
export const VerifyExit = {
  verified: 0,
  tampered: 1,
  usage: 2,
  signerUnchecked: 3,
  signerUntrusted: 4,
} as const;

/** The exit code for a report: tampering first, then who signed it. */
export function verifyExitCode(r: EvidenceVerifyReport): number {
  if (!r.intact) return VerifyExit.tampered;
  if (r.signer.trust === 'trusted') return VerifyExit.verified;
  return r.signer.trust === 'untrusted' ? VerifyExit.signerUntrusted : VerifyExit.signerUnchecked;
}

/** The report in words, one finding per line (for the command line). */
export function formatVerifyReport(
  exportPath: string,
  r: EvidenceVerifyReport,
  trustedFrom?: string,
): string {
  const lines: string[] = [];
  const headline = !r.intact
    ? 'FAILED'
    : r.signer.trust === 'trusted'
      ? 'VERIFIED'
      : r.signer.trust === 'untrusted'
        ? 'INTACT BUT SIGNED BY AN UNTRUSTED KEY'
        : 'INTACT, SIGNER NOT CHECKED';
  lines.push(`${headline}: ${exportPath}`);
  if (r.signer.fingerprint) {
    lines.push(
      `signed by: ${r.signer.installation !== undefined ? `installation ${JSON.stringify(r.signer.installation)} (as the export itself states)` : 'an unnamed installation'}`,
    );
    lines.push(`signing key fingerprint (SHA-256): ${r.signer.fingerprint}`);
  }
  if (r.signer.fingerprint) lines.push(`signature: ${r.signatureValid ? 'valid' : 'INVALID'}`);
  if (r.signer.fingerprint) {
    if (r.signer.trust === 'trusted')
      lines.push(
        `signer: a trusted key${r.signer.trustedAs ? ` (${JSON.stringify(r.signer.trustedAs)})` : ''}${trustedFrom ? `, from ${trustedFrom}` : ''}`,
      );
    else if (r.signer.trust === 'untrusted')
      lines.push(
        `signer: NOT TRUSTED. This key is not among the trusted keys${trustedFrom ? ` (${trustedFrom})` : ''}: ` +
          'whoever holds it may have made or re-signed this export.',
      );
    else
      lines.push(
        'signer: NOT CHECKED against a trusted key. A valid signature only shows the export is unchanged since it ' +
          'was signed, by anyone with a key of their own. Compare the fingerprint above with the one the ' +
          'installation shows (Backup page), or run again with --key <fingerprint> or --trusted-keys <file>.',
      );
  }
  for (const f of r.altered)
    lines.push(`ALTERED: ${f} (its SHA-256 or size differs from the signed manifest)`);
  for (const f of r.missing) lines.push(`MISSING: ${f}`);
  for (const f of r.added) lines.push(`ADDED: ${f} (not in the signed manifest)`);
  for (const p of r.problems) lines.push(`problem: ${p}`);
  if (r.intact) lines.push('Every file matches the signed manifest.');
  return lines.join('\n');
}

/** The trusted-keys file `vigil verify` reads when given no --key or --trusted-keys: in the application folder. */
export const TRUSTED_KEYS_FILE = 'trusted-evidence-keys.txt';

/**
 * The keys `vigil verify` trusts by default on a machine with a Vigil installation: its own signing key (so an
 * export made here verifies here) and those listed in `<app data>/trusted-evidence-keys.txt` (other sites).
 * Returns the keys and where they came from, in words.
 */
export function defaultTrustedKeys(appHome: string): { keys: TrustedKey[]; from: string[] } {
  const keys: TrustedKey[] = [];
  const from: string[] = [];
  const own = path.join(appHome, 'keys', 'evidence-ed25519.pem');
  try {
    keys.push({
      fingerprint: keyFingerprint(createPublicKey(fs.readFileSync(own))),
      name: 'this installation',
    });
    from.push(`this installation's key ${own}`);
  } catch {
    // No installation here (or its key is not readable by this user).
  }
  const file = path.join(appHome, TRUSTED_KEYS_FILE);
  if (fs.existsSync(file)) {
    keys.push(...parseTrustedKeys(fs.readFileSync(file, 'utf8'), file));
    from.push(file);
  }
  return { keys, from };
}
