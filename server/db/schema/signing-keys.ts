import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { timestampTz } from './columns';

/**
 * Keys that sign access tokens (ES256 or EdDSA), shared by every instance. A key is published
 * from `createdAt`, signs from `activatesAt` until `retiresAt`, and stays published until the
 * last token it signed has expired. The private key is sealed (AES-256-GCM under a key derived
 * from the server secret, bound to the row's id): no column holds it in clear.
 */
export const signingKeys = pgTable(
  'signing_keys',
  {
    /** The `kid`: the key's RFC 7638 thumbprint. */
    id: text('id').primaryKey(),
    algorithm: text('algorithm').notNull(),
    /** The public half as published in the JWKS (kty, crv, x, y?). */
    publicJwk: jsonb('public_jwk').$type<Record<string, string>>().notNull(),
    privateKeyCiphertext: text('private_key_ciphertext').notNull(),
    createdAt: timestampTz('created_at').notNull(),
    activatesAt: timestampTz('activates_at').notNull(),
    retiresAt: timestampTz('retires_at').notNull(),
  },
  (table) => [
    check('signing_keys_algorithm_check', sql`${table.algorithm} in ('ES256', 'EdDSA')`),
    check('signing_keys_window_check', sql`${table.createdAt} <= ${table.activatesAt} and ${table.activatesAt} < ${table.retiresAt}`),
    index('signing_keys_retires_at_idx').on(table.retiresAt),
  ],
);
