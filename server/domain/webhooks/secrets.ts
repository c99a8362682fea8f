import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** Standard Webhooks' prefix: receivers' libraries strip it and base64-decode the rest. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** 256 random bits, as `whsec_<base64>`, the form `new Webhook(secret)` of standardwebhooks takes. */
export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** Its own key, not the JWT secret itself: one secret, one purpose for each derived key. */
export function webhookSecretKeyFrom(jwtSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', jwtSecret, 'gatehouse', 'webhook-secret-encryption', 32));
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM with the endpoint id as associated data: a ciphertext copied onto another
 * endpoint's row does not decrypt there. Stored as `v1.<base64url(iv | tag | ciphertext)>`.
 */
export function encryptWebhookSecret(key: Buffer, endpointId: string, secret: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(endpointId, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url')}`;
}

/** Throws when the ciphertext was altered, moved to another endpoint, or made under another server secret. */
export function decryptWebhookSecret(key: Buffer, endpointId: string, stored: string): string {
  const [version, encoded] = stored.split('.');
  if (version !== VERSION || !encoded) throw new Error('unknown webhook secret format');
  const raw = Buffer.from(encoded, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(endpointId, 'utf8'));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
}
