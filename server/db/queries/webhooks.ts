import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { organizations, webhookAttempts, webhookEndpoints } from '../schema';
import { timestampParam } from './raw';

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type NewWebhookEndpointRow = typeof webhookEndpoints.$inferInsert;
export type WebhookAttemptRow = typeof webhookAttempts.$inferSelect;

export interface NewWebhookEvent {
  id: string;
  organizationId: string;
  type: string;
  body: string;
  createdAt: Date;
}

/**
 * One statement: the event and a delivery for each live endpoint of the organization that
 * wants its type. With no such endpoint nothing is written, so organizations without
 * webhooks pay one index lookup per event and no table grows.
 */
export async function insertWebhookEvent(db: Database, event: NewWebhookEvent): Promise<void> {
  const at = timestampParam(event.createdAt);
  await db.execute(sql`
    with wanted as (
      select id from webhook_endpoints
       where organization_id = ${event.organizationId}
         and disabled_at is null
         and (events is null or ${event.type} = any(events))
    ), inserted as (
      insert into webhook_events (id, organization_id, type, body, created_at)
      select ${event.id}, ${event.organizationId}, ${event.type}, ${event.body}, ${at}
       where exists (select 1 from wanted)
      returning id
    )
    insert into webhook_deliveries (event_id, endpoint_id, status, attempts, next_attempt_at, created_at)
    select inserted.id, wanted.id, 'pending', 0, ${at}, ${at} from inserted cross join wanted
  `);
}

/**
 * Inserts an endpoint unless the organization already has `limit` of them. The organization
 * row is locked for the count, so parallel creations cannot overshoot the limit.
 */
export async function insertWebhookEndpointWithinLimit(
  db: Database,
  row: NewWebhookEndpointRow,
  limit: number,
): Promise<WebhookEndpointRow | null> {
  return db.transaction(async (tx) => {
    await tx.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, row.organizationId)).for('update');
    const [{ count } = { count: 0 }] = await tx
      .select({ count: sql<number>`count(*)::int` })
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.organizationId, row.organizationId));
    if (count >= limit) return null;
    const [inserted] = await tx.insert(webhookEndpoints).values(row).returning();
    return inserted!;
  });
}

export async function listOrganizationWebhookEndpoints(db: Database, organizationId: string): Promise<WebhookEndpointRow[]> {
  return db
    .select()
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.organizationId, organizationId))
    .orderBy(desc(webhookEndpoints.createdAt), desc(webhookEndpoints.id));
}

export async function findOrganizationWebhookEndpoint(
  db: Database,
  organizationId: string,
  id: string,
): Promise<WebhookEndpointRow | null> {
  const [row] = await db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.organizationId, organizationId)));
  return row ?? null;
}

/** Its deliveries and attempts go with it (on delete cascade). Returns whether it existed in the organization. */
export async function deleteOrganizationWebhookEndpoint(db: Database, organizationId: string, id: string): Promise<boolean> {
  const rows = await db
    .delete(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.organizationId, organizationId)))
    .returning({ id: webhookEndpoints.id });
  return rows.length > 0;
}

/** Newest first; `beforeId` continues where the previous page ended. */
export async function listEndpointAttempts(
  db: Database,
  { endpointId, beforeId, limit }: { endpointId: string; beforeId: number | null; limit: number },
): Promise<WebhookAttemptRow[]> {
  return db
    .select()
    .from(webhookAttempts)
    .where(and(eq(webhookAttempts.endpointId, endpointId), beforeId === null ? undefined : lt(webhookAttempts.id, beforeId)))
    .orderBy(desc(webhookAttempts.id))
    .limit(limit);
}

/** Every endpoint (of one organization, or all), with how its deliveries stand: for the admin CLI. */
export async function listWebhookEndpointsWithCounts(db: Database, organizationId: string | null) {
  return db
    .select({
      endpoint: webhookEndpoints,
      pending: sql<number>`(select count(*)::int from webhook_deliveries d where d.endpoint_id = webhook_endpoints.id and d.status = 'pending')`,
      failed: sql<number>`(select count(*)::int from webhook_deliveries d where d.endpoint_id = webhook_endpoints.id and d.status = 'failed')`,
      succeeded: sql<number>`(select count(*)::int from webhook_deliveries d where d.endpoint_id = webhook_endpoints.id and d.status = 'succeeded')`,
    })
    .from(webhookEndpoints)
    .where(organizationId === null ? undefined : eq(webhookEndpoints.organizationId, organizationId))
    .orderBy(webhookEndpoints.organizationId, desc(webhookEndpoints.createdAt));
}
