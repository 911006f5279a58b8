import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import type { EvidenceManifest, EvidenceVerifyReport } from '../contract/backup.js';
import { SIGNATURE_FILES } from './exporter.js';
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

function folderReader(root: string): ExportReader {
  const abs = (name: string): string => path.join(root, ...name.split('/'));
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
    read: (name) => fsp.readFile(abs(name)),
    sha256: (name) => hashStream(fs.createReadStream(abs(name))),
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
      const chunks: Buffer[] = [];
      for await (const c of await open(name)) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    },
    sha256: async (name) => hashStream(await open(name)),
    close: () => zip.close(),
  };
}

/**
 * Checks an evidence export (folder or zip): the Ed25519 signature of manifest.json with the public key it carries
 * (and, when given, that this key is the expected one), then the size and SHA-256 of every listed file. Says which
 * files were altered, which are missing and which were added.
 */
export async function verifyEvidence(
  exportPath: string,
  options: { trustedFingerprint?: string } = {},
): Promise<EvidenceVerifyReport> {
  const report: EvidenceVerifyReport = {
    ok: false,
    signatureValid: false,
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
  const reader = st.isDirectory() ? folderReader(exportPath) : await zipReader(exportPath);
  try {
    const names = new Set(await reader.names());
    for (const f of SIGNATURE_FILES) {
      if (!names.has(f)) report.missing.push(f);
    }
    if (report.missing.length) {
      report.problems.push(`not a signed Vigil export: ${report.missing.join(', ')} missing`);
      return report;
    }
    const manifestBytes = await reader.read('manifest.json');
    const signature = Buffer.from((await reader.read('manifest.sig')).toString('utf8').trim(), 'base64');
    const publicKey = createPublicKey(await reader.read('public-key.pem'));
    report.keyFingerprint = keyFingerprint(publicKey);
    report.signatureValid = verifySignature(null, manifestBytes, publicKey, signature);
    if (!report.signatureValid)
      report.problems.push('manifest.json does not match its signature: it was altered');
    if (options.trustedFingerprint && options.trustedFingerprint.toLowerCase() !== report.keyFingerprint) {
      report.problems.push(
        `signed with key ${report.keyFingerprint}, not with the expected key ${options.trustedFingerprint}`,
      );
    }
    let manifest: EvidenceManifest;
    try {
      manifest = JSON.parse(manifestBytes.toString('utf8')) as EvidenceManifest;
    } catch {
      report.problems.push('manifest.json is not valid JSON');
      return report;
    }
    if (manifest.keyFingerprint !== report.keyFingerprint) {
      report.problems.push('public-key.pem is not the key named in manifest.json');
    }
    const listed = new Set<string>();
    for (const f of manifest.files ?? []) {
      listed.add(f.path);
      if (!names.has(f.path)) {
        report.missing.push(f.path);
        continue;
      }
      const actual = await reader.sha256(f.path);
      if (actual.sha256 !== f.sha256 || actual.size !== f.size) report.altered.push(f.path);
    }
    for (const n of names) {
      if (!listed.has(n) && !(SIGNATURE_FILES as readonly string[]).includes(n)) report.added.push(n);
    }
    report.ok =
      report.signatureValid &&
      report.problems.length === 0 &&
      !report.altered.length &&
      !report.missing.length &&
      !report.added.length;
    return report;
  } finally {
    reader.close();
  }
}

/** The report in words, one finding per line (for the command line). */
export function formatVerifyReport(exportPath: string, r: EvidenceVerifyReport): string {
  const lines: string[] = [];
  lines.push(`${r.ok ? 'VERIFIED' : 'FAILED'}: ${exportPath}`);
  if (r.keyFingerprint) lines.push(`signing key fingerprint (SHA-256): ${r.keyFingerprint}`);
  lines.push(`signature: ${r.signatureValid ? 'valid' : 'INVALID'}`);
  for (const f of r.altered)
    lines.push(`ALTERED: ${f} (its SHA-256 or size differs from the signed manifest)`);
  for (const f of r.missing) lines.push(`MISSING: ${f}`);
  for (const f of r.added) lines.push(`ADDED: ${f} (not in the signed manifest)`);
  for (const p of r.problems) lines.push(`problem: ${p}`);
  if (r.ok) lines.push('Every file matches the signed manifest.');
  return lines.join('\n');
}
