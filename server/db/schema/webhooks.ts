import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { timestampTz } from './columns';
import { organizations } from './organizations';

/** Where an organization wants its events POSTed. */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    description: text('description'),
    /** Event types delivered here; null means every type, including ones added later. */
    events: text('events').array(),
    /**
     * The signing secret, AES-256-GCM under a key derived from the server secret, bound to
     * this row's id. Never stored in clear: a database dump alone cannot forge deliveries.
     */
    secretCiphertext: text('secret_ciphertext').notNull(),
    createdByUserId: text('created_by_user_id'),
    createdAt: timestampTz('created_at').notNull(),
    /** Set when the receiver answered 410 Gone: nothing more is sent here. */
    disabledAt: timestampTz('disabled_at'),
    disabledReason: text('disabled_reason'),
  },
  (table) => [index('webhook_endpoints_organization_idx').on(table.organizationId)],
);

/**
 * The outbox: one row per event, written in the same transaction as the change it reports,
 * and only when the organization has an endpoint that wants it. `body` is the exact JSON
 * that is signed and sent, so every attempt carries the same bytes.
 */
export const webhookEvents = pgTable(
  'webhook_events',
  {
    /** The `webhook-id` of every attempt of this event, to every endpoint. */
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    body: text('body').notNull(),
    createdAt: timestampTz('created_at').notNull(),
  },
  (table) => [index('webhook_events_created_idx').on(table.createdAt)],
);

/** One event on its way to one endpoint. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    eventId: text('event_id')
      .notNull()
      .references(() => webhookEvents.id, { onDelete: 'cascade' }),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    /** pending (due at nextAttemptAt), succeeded, failed (retries exhausted), cancelled (endpoint disabled). */
    status: text('status').notNull(),
    /** Attempts made so far. */
    attempts: integer('attempts').notNull().default(0),
    /**
     * When it is next due. A worker that claims it moves this past the longest an attempt can
     * take (a lease): no other instance picks it up meanwhile, and if that worker dies, the
     * delivery is due again once the lease runs out.
     */
    nextAttemptAt: timestampTz('next_attempt_at').notNull(),
    createdAt: timestampTz('created_at').notNull(),
    finishedAt: timestampTz('finished_at'),
  },
  (table) => [
    // The worker's claim looks only at pending rows, soonest first.
    index('webhook_deliveries_due_idx').on(table.nextAttemptAt).where(sql`${table.status} = 'pending'`),
    index('webhook_deliveries_endpoint_idx').on(table.endpointId, table.status),
    index('webhook_deliveries_event_idx').on(table.eventId),
  ],
);

/** Every attempt, as the endpoint's owner sees it in the deliveries listing. */
export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    deliveryId: bigint('delivery_id', { mode: 'number' })
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
    endpointId: text('endpoint_id').notNull(),
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    /** 1 for the first attempt of the delivery. */
    attempt: integer('attempt').notNull(),
    /** succeeded | failed */
    status: text('status').notNull(),
    /** The receiver's HTTP status; null when no answer came (timeout, refused address, connection error). */
    responseStatus: integer('response_status'),
    /** At most 1 kB of what the receiver answered. */
    responseBody: text('response_body'),
    /** Why there was no usable answer: timeout, address_not_allowed, connection_failed, ... */
    error: text('error'),
    durationMs: integer('duration_ms').notNull(),
    attemptedAt: timestampTz('attempted_at').notNull(),
  },
  (table) => [index('webhook_attempts_endpoint_idx').on(table.endpointId, table.id.desc())],
);
