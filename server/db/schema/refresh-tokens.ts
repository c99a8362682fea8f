import { sql } from 'drizzle-orm';
import { index, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { timestampTz } from './columns';
import { sessions } from './sessions';

/**
 * Every refresh token a session has ever had, by hash. The current one has
 * `rotatedAt = null`; the older ones are kept so that a replay of any of them
 * is recognised as reuse rather than as an unknown token.
 */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    /** SHA-256 of the token, base64url. */
    tokenHash: text('token_hash').primaryKey(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    createdAt: timestampTz('created_at').notNull(),
    rotatedAt: timestampTz('rotated_at'),
    /** The request that rotated this token out; shown beside the replaying one when reuse is detected. */
    rotatedByIp: text('rotated_by_ip'),
    rotatedByUserAgent: text('rotated_by_user_agent'),
  },
  (table) => [
    index('refresh_tokens_session_idx').on(table.sessionId),
    // The database itself guarantees one current token per session.
    uniqueIndex('refresh_tokens_one_current_per_session')
      .on(table.sessionId)
      .where(sql`${table.rotatedAt} is null`),
  ],
);
