import fs from 'node:fs';
import path from 'node:path';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { createLogger } from '../platform/log.js';

const log = createLogger('export.signing');

/** The installation's evidence-signing key pair (Ed25519). */
export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicKeyPem: string;
  /** SHA-256 (hex) of the public key (SPKI DER): what investigators compare. */
  fingerprint: string;
}

/** SHA-256 of the public key's DER encoding, hex. */
export function keyFingerprint(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/**
 * Loads the installation's Ed25519 key from `<dir>/evidence-ed25519.pem`, creating it (owner-only, 0600) on first
 * use. The private key never leaves this file; exports carry the public key.
 */
export function loadOrCreateSigningKey(dir: string): SigningKey {
  const file = path.join(dir, 'evidence-ed25519.pem');
  let privateKey: KeyObject;
  if (fs.existsSync(file)) {
    const mode = fs.statSync(file).mode & 0o777;
    if (mode & 0o077) {
      fs.chmodSync(file, 0o600);
      log.warn({ file }, 'the evidence signing key was readable by others; permissions reset to 0600');
    }
    privateKey = createPrivateKey(fs.readFileSync(file));
  } else {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const pair = generateKeyPairSync('ed25519');
    privateKey = pair.privateKey;
    fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    log.info({ file }, 'created the evidence signing key');
  }
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    fingerprint: keyFingerprint(publicKey),
  };
}
