// `vigil verify` must not call an export VERIFIED just because it carries a key that matches its own signature:
// anyone can doctor an export and re-sign it with a key of their own. Only a key the verifier trusts proves where
// an export came from; without one, the command says the signer was not checked and exits with its own code.
import { execFile } from 'node:child_process';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { realSegments } from '../fixtures/footage.js';
import type { EvidenceManifest } from '../../backend/src/contract/backup.js';
import { EvidenceExporter } from '../../backend/src/export/exporter.js';
import { keyFingerprint, loadOrCreateSigningKey } from '../../backend/src/export/signing.js';
import { verifyEvidence } from '../../backend/src/export/verify.js';
import { findFfmpeg } from '../../backend/src/platform/binaries.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'backend/src/roles/cli.ts');
const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);

/** `vigil verify` in its own process, with `home` as the application folder (VIGIL_HOME). */
async function vigilVerify(home: string, ...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', CLI, 'verify', ...args], {
      cwd: ROOT,
      env: { ...process.env, VIGIL_HOME: home },
    });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

// Each case runs the command as a user would (a process of its own): slow on a loaded machine.
describe('`vigil verify` and who signed an export', { timeout: 180_000 }, () => {
  let home: string; // the installation's application folder (its signing key in keys/)
  let empty: string; // a machine with no installation and no trusted keys
  let genuine: string;
  let forged: string;
  let tampered: string;
  let realFingerprint: string;
  let forgerFingerprint: string;

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-verify-home-'));
    empty = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-verify-empty-'));
    const key = loadOrCreateSigningKey(path.join(home, 'keys'));
    realFingerprint = key.fingerprint;
    const segs = realSegments();
    const exporter = new EvidenceExporter({
      exportsDir: path.join(home, 'exports'),
      ffmpegPath: findFfmpeg()?.path ?? 'ffmpeg',
      key,
      // The recording index and event store are stood in for by these in-memory sources over a real segment.
      segments: {
        segments: async () => [{ path: segs[0] as string, start: T0, end: T0 + 10_000 }],
        continuity: async () => [],
      },
      events: {
        events: async () => [{ id: 'ev-1', cameraId: 'gate', ts: T0 + 2_000, label: 'person', score: 0.9 }],
        snapshot: async () => undefined,
      },
      audit: { record: () => {}, history: async () => [] },
      installation: 'Harbour gate',
    });
    const r = await exporter.export(
      {
        cameraIds: ['gate'],
        from: T0,
        to: T0 + 10_000,
        format: 'folder',
        reason: 'forgery check',
        caseNumber: 'F-1',
      },
      'investigator',
    );
    genuine = r.location;

    // A forger removes the event, fixes up the manifest and signs it again with a key of their own, keeping the
    // installation's name.
    forged = path.join(home, 'forged');
    fs.cpSync(genuine, forged, { recursive: true });
    const events = Buffer.from('[]');
    fs.writeFileSync(path.join(forged, 'events.json'), events);
    const manifest = JSON.parse(
      fs.readFileSync(path.join(forged, 'manifest.json'), 'utf8'),
    ) as EvidenceManifest;
    const forger = generateKeyPairSync('ed25519');
    forgerFingerprint = keyFingerprint(forger.publicKey);
    manifest.keyFingerprint = forgerFingerprint;
    manifest.files = manifest.files.map((f) =>
      f.path === 'events.json' ? { ...f, size: events.length, sha256: sha256(events) } : f,
    );
    const bytes = Buffer.from(JSON.stringify(manifest, null, 2));
    fs.writeFileSync(path.join(forged, 'manifest.json'), bytes);
    fs.writeFileSync(
      path.join(forged, 'manifest.sig'),
      sign(null, bytes, forger.privateKey).toString('base64'),
    );
    fs.writeFileSync(
      path.join(forged, 'public-key.pem'),
      forger.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    );

    // Tampered without re-signing: one file edited after the export.
    tampered = path.join(home, 'tampered');
    fs.cpSync(genuine, tampered, { recursive: true });
    fs.writeFileSync(path.join(tampered, 'events.json'), '[]');
  });
  afterAll(() => {
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(empty, { recursive: true, force: true });
  });

  it('a genuine export with the installation key given: VERIFIED, exit 0, naming the installation', async () => {
    const r = await vigilVerify(empty, genuine, '--key', realFingerprint.toUpperCase());
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/^VERIFIED: /);
    expect(r.out).toContain('installation "Harbour gate"');
    expect(r.out).toContain(`signing key fingerprint (SHA-256): ${realFingerprint}`);
  });

  it('a genuine export with no trusted key: says plainly the signer was not checked, exit 3', async () => {
    const r = await vigilVerify(empty, genuine);
    expect(r.code, r.out).toBe(3);
    expect(r.out).toMatch(/^INTACT, SIGNER NOT CHECKED: /);
    expect(r.out).not.toMatch(/VERIFIED/);
    expect(r.out).toContain('signer: NOT CHECKED against a trusted key');
    expect(r.out).toContain('installation "Harbour gate"');
    expect(r.out).toContain(realFingerprint);
  });

  it('the forged export is not VERIFIED against the real key: exit 4, the forger’s key shown', async () => {
    const r = await vigilVerify(empty, forged, '--key', realFingerprint);
    expect(r.code, r.out).toBe(4);
    expect(r.out).not.toMatch(/VERIFIED/);
    expect(r.out).toMatch(/^INTACT BUT SIGNED BY AN UNTRUSTED KEY: /);
    expect(r.out).toContain(`signing key fingerprint (SHA-256): ${forgerFingerprint}`);
    expect(r.out).toContain('signer: NOT TRUSTED');
  });

  it('the forged export without a key: exit 3, never 0', async () => {
    const r = await vigilVerify(empty, forged);
    expect(r.code, r.out).toBe(3);
    expect(r.out).not.toMatch(/VERIFIED/);
  });

  it('on the installation’s own machine its key is trusted: the genuine export verifies, the forged one does not', async () => {
    const ok = await vigilVerify(home, genuine);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain('signer: a trusted key ("this installation")');
    const bad = await vigilVerify(home, forged);
    expect(bad.code, bad.out).toBe(4);
  });

  it('a trusted-keys file (fingerprints with names, PEM keys) decides, and a bad one is refused', async () => {
    const list = path.join(empty, 'sites.txt');
    fs.writeFileSync(list, `# evidence keys of our sites\n${realFingerprint} Harbour gate (site 3)\n`);
    const ok = await vigilVerify(empty, genuine, '--trusted-keys', list);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain('a trusted key ("Harbour gate (site 3)")');
    expect((await vigilVerify(empty, forged, '--trusted-keys', list)).code).toBe(4);

    const pem = path.join(empty, 'pem.txt');
    fs.writeFileSync(pem, `# Harbour gate\n${fs.readFileSync(path.join(genuine, 'public-key.pem'), 'utf8')}`);
    expect((await vigilVerify(empty, genuine, '--trusted-keys', pem)).code).toBe(0);

    fs.writeFileSync(list, 'not-a-key\n');
    const bad = await vigilVerify(empty, genuine, '--trusted-keys', list);
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/sites\.txt:1: expected a key fingerprint/);
    const badKey = await vigilVerify(empty, genuine, '--key', 'abc');
    expect(badKey.code).toBe(2);
  });

  it('tampering wins over trust: an edited file fails with exit 1, with or without a key', async () => {
    const r = await vigilVerify(empty, tampered, '--key', realFingerprint);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/^FAILED: /);
    expect(r.out).toContain('ALTERED: events.json');
    expect((await vigilVerify(empty, tampered)).code).toBe(1);
  });

  /** Zips `entries` (name → bytes) with yazl, as the exporter does. */
  const zipOf = async (file: string, entries: Record<string, Buffer>): Promise<void> => {
    const zip = new yazl.ZipFile();
    for (const [name, data] of Object.entries(entries)) zip.addBuffer(data, name);
    zip.end();
    await pipeline(zip.outputStream, fs.createWriteStream(file));
  };

  it('a zip with an entry that climbs out ("zip-slip") fails as unreadable; nothing is extracted', async () => {
    const file = path.join(home, 'slip.zip');
    const names = ['manifest.json', 'manifest.sig', 'public-key.pem', 'events.json'];
    await zipOf(
      file,
      Object.fromEntries(
        names.map((n) => [n === 'events.json' ? 'aa/evil.txt' : n, fs.readFileSync(path.join(genuine, n))]),
      ),
    );
    // yazl refuses to write "../" names, so the entry is renamed in the archive's bytes (same length).
    const bytes = fs.readFileSync(file);
    let at = bytes.indexOf('aa/evil.txt');
    while (at >= 0) {
      bytes.write('../', at);
      at = bytes.indexOf('aa/evil.txt', at + 1);
    }
    fs.writeFileSync(file, bytes);
    const r = await verifyEvidence(file, { trustedKeys: [{ fingerprint: realFingerprint }] });
    expect(r.ok).toBe(false);
    expect(r.intact).toBe(false);
    expect(r.problems.join()).toMatch(/not a readable export folder or zip: .*invalid relative path/);
    expect(fs.existsSync(path.join(path.dirname(home), 'evil.txt'))).toBe(false);
  });

  it('a zip whose manifest.json inflates to 70 MB is refused without reading it', async () => {
    const file = path.join(home, 'bomb.zip');
    await zipOf(file, {
      'manifest.json': Buffer.alloc(70 * 1024 * 1024, 0x20),
      'manifest.sig': fs.readFileSync(path.join(genuine, 'manifest.sig')),
      'public-key.pem': fs.readFileSync(path.join(genuine, 'public-key.pem')),
    });
    expect(fs.statSync(file).size).toBeLessThan(1024 * 1024);
    const r = await verifyEvidence(file, { trustedKeys: [{ fingerprint: realFingerprint }] });
    expect(r.ok).toBe(false);
    expect(r.problems.join()).toMatch(/manifest\.json is too large for a Vigil export/);
  });

  it('a link planted in an export is reported, never followed', async () => {
    const linked = path.join(home, 'linked');
    fs.cpSync(genuine, linked, { recursive: true });
    fs.rmSync(path.join(linked, 'events.json'));
    fs.symlinkSync('/dev/zero', path.join(linked, 'events.json'));
    const r = await verifyEvidence(linked, { trustedKeys: [{ fingerprint: realFingerprint }] });
    expect(r.ok).toBe(false);
    expect(r.altered).toEqual(['events.json']);
  });
});
