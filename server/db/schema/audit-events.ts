import { bigserial, index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { timestampTz } from './columns';
import { organizations } from './organizations';

/** Append-only record of what happened to whom, from where. */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    organizationId: text('organization_id').references(() => organizations.id, { onDelete: 'cascade' }),
    userId: text('user_id'),
    sessionId: uuid('session_id'),
    apiKeyId: text('api_key_id'),
    type: text('type').notNull(),
    ipAddress: text('ip_address'),
    userAgent: text('user_agent'),
    details: jsonb('details').$type<Record<string, unknown>>(),
    createdAt: timestampTz('created_at').notNull(),
  },
  (table) => [
    index('audit_events_user_idx').on(table.userId, table.id.desc()),
    index('audit_events_created_idx').on(table.createdAt),
  ],
);
