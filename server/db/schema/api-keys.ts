import { index, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { timestampTz } from './columns';
import { organizations } from './organizations';
import { sessions } from './sessions';
import { users } from './users';

export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    /** The user who created the key; calls made with it act as this user. */
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** The first characters of the secret, shown in listings so a person can tell keys apart. */
    prefix: text('prefix').notNull(),
    /** SHA-256 of the secret, base64url. The secret itself is never stored. */
    keyHash: text('key_hash').notNull(),
    createdAt: timestampTz('created_at').notNull(),
    lastUsedAt: timestampTz('last_used_at'),
    expiresAt: timestampTz('expires_at'),
    revokedAt: timestampTz('revoked_at'),
    revokedReason: text('revoked_reason'),
    /**
     * The session the key was created in (null for keys made by the admin CLI). If that
     * session is found stolen (refresh-token reuse), its keys are revoked with it.
     */
    createdInSessionId: uuid('created_in_session_id').references(() => sessions.id, { onDelete: 'set null' }),
  },
  (table) => [
    uniqueIndex('api_keys_key_hash_unique').on(table.keyHash),
    index('api_keys_organization_idx').on(table.organizationId, table.createdAt),
    index('api_keys_created_in_session_idx').on(table.createdInSessionId),
  ],
);
