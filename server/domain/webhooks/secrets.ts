import { randomBytes } from 'node:crypto';
import { seal, sealingKeyFrom, unseal } from '../sealed';

/** Standard Webhooks' prefix: receivers' libraries strip it and base64-decode the rest. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** 256 random bits, as `whsec_<base64>`, the form `new Webhook(secret)` of standardwebhooks takes. */
export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** Its own key, not the JWT secret itself: one secret, one purpose for each derived key. */
export function webhookSecretKeyFrom(jwtSecret: string): Buffer {
  return sealingKeyFrom(jwtSecret, 'webhook-secret-encryption');
}

/** Sealed with the endpoint id as associated data (see sealed.ts). */
export function encryptWebhookSecret(key: Buffer, endpointId: string, secret: string): string {
  return seal(key, endpointId, Buffer.from(secret, 'utf8'));
}

/** Throws when the ciphertext was altered, moved to another endpoint, or made under another server secret. */
export function decryptWebhookSecret(key: Buffer, endpointId: string, stored: string): string {
  return unseal(key, endpointId, stored).toString('utf8');
}
