import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Secrets Gatehouse must be able to read back (webhook signing secrets, private signing
 * keys) are stored sealed: AES-256-GCM under a key derived from the server secret, with the
 * owning row's id as associated data, so a ciphertext copied onto another row does not open
 * there. Stored as `v1.<base64url(iv | tag | ciphertext)>`.
 */

/** One derivation per purpose, never the server secret itself. */
export function sealingKeyFrom(serverSecret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', serverSecret, 'gatehouse', purpose, 32));
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export function seal(key: Buffer, rowId: string, plaintext: Buffer): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(rowId, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url')}`;
}

/** Throws when the ciphertext was altered, moved to another row, or made under another server secret. */
export function unseal(key: Buffer, rowId: string, stored: string): Buffer {
  const [version, encoded] = stored.split('.');
  if (version !== VERSION || !encoded) throw new Error('unknown sealed value format');
  const raw = Buffer.from(encoded, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(rowId, 'utf8'));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}
