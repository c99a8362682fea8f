import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { timestampTz } from './columns';
import { organizations } from './organizations';
import { users } from './users';

export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    userAgent: text('user_agent'),
    /**
     * User-Agent Client Hints sent at sign-in (Sec-CH-UA and its kin, `ClientHints` in
     * domain/devices.ts), raw and bounded; read with userAgent to describe the device.
     */
    clientHints: jsonb('client_hints').$type<Record<string, string>>(),
    ipAddress: text('ip_address'),
    createdAt: timestampTz('created_at').notNull(),
    lastAccessedAt: timestampTz('last_accessed_at').notNull(),
    /** Absolute end of the session, fixed at sign-in; rotation never extends it. */
    expiresAt: timestampTz('expires_at').notNull(),
    revokedAt: timestampTz('revoked_at'),
    revokedReason: text('revoked_reason'),
    /**
     * When the user last proved their password in this session (sign-in, sign-up,
     * reauthentication); null on sessions older than the column, read as createdAt.
     */
    authenticatedAt: timestampTz('authenticated_at'),
  },
  (table) => [
    // Listing a user's active sessions (newest activity first) only ever looks at live rows.
    index('sessions_user_active_idx')
      .on(table.userId, table.lastAccessedAt.desc())
      .where(sql`${table.revokedAt} is null`),
  ],
);
