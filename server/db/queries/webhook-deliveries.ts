import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { webhookAttempts, webhookDeliveries, webhookEndpoints } from '../schema';
import { queryRows, timestampParam } from './raw';

export interface ClaimedDelivery {
  deliveryId: number;
  /** Attempts made before this one. */
  attempts: number;
  eventId: string;
  eventType: string;
  body: string;
  endpointId: string;
  url: string;
  secretCiphertext: string;
}

/**
 * Claims up to `limit` due deliveries, at most one per endpoint and none of the endpoints in
 * `busyEndpointIds` (those this worker is still sending to), so a slow receiver holds one
 * slot, never the whole worker. `for update skip locked`: instances claiming at the same
 * moment each get other rows. Claiming moves `next_attempt_at` to `leaseUntil`, so nobody
 * else picks the delivery up while it is in flight; if this instance dies, it is due again then.
 */
export async function claimDueDeliveries(
  db: Database,
  { now, leaseUntil, limit, busyEndpointIds }: { now: Date; leaseUntil: Date; limit: number; busyEndpointIds: string[] },
): Promise<ClaimedDelivery[]> {
  const due = timestampParam(now);
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`
      with candidates as (
        select distinct endpoint_id from webhook_deliveries
         where status = 'pending' and next_attempt_at <= ${due}
           and not (endpoint_id = any(string_to_array(${busyEndpointIds.join(',')}, ',')))
         limit ${limit}
      ), claimed as (
        select picked.id from candidates c
        cross join lateral (
          select x.id from webhook_deliveries x
           where x.endpoint_id = c.endpoint_id and x.status = 'pending' and x.next_attempt_at <= ${due}
           order by x.next_attempt_at, x.id
           limit 1
           for update skip locked
        ) picked
      )
      update webhook_deliveries d
         set next_attempt_at = ${timestampParam(leaseUntil)}
        from claimed, webhook_events e, webhook_endpoints p
       where d.id = claimed.id and e.id = d.event_id and p.id = d.endpoint_id
      returning d.id as "deliveryId", d.attempts, e.id as "eventId", e.type as "eventType", e.body,
                p.id as "endpointId", p.url, p.secret_ciphertext as "secretCiphertext"
    `,
  );
  // bigint ids come back as strings from postgres.js.
  return rows.map((row) => ({ ...(row as unknown as ClaimedDelivery), deliveryId: Number(row.deliveryId), attempts: Number(row.attempts) }));
}

export interface AttemptRecord {
  deliveryId: number;
  endpointId: string;
  eventId: string;
  eventType: string;
  attempt: number;
  succeeded: boolean;
  responseStatus: number | null;
  responseBody: string | null;
  error: string | null;
  durationMs: number;
  attemptedAt: Date;
  /** The delivery afterwards: due again at this time, or finished. */
  next: { status: 'pending'; at: Date } | { status: 'succeeded' | 'failed' };
  /** The receiver said 410 Gone: the endpoint is disabled and its other pending deliveries cancelled. */
  disableEndpoint: boolean;
}

/** The attempt and what it means for the delivery (and its endpoint), together. */
export async function recordDeliveryAttempt(db: Database, record: AttemptRecord): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.insert(webhookAttempts).values({
      deliveryId: record.deliveryId,
      endpointId: record.endpointId,
      eventId: record.eventId,
      eventType: record.eventType,
      attempt: record.attempt,
      status: record.succeeded ? 'succeeded' : 'failed',
      responseStatus: record.responseStatus,
      responseBody: record.responseBody,
      error: record.error,
      durationMs: record.durationMs,
      attemptedAt: record.attemptedAt,
    });
    const { next } = record;
    await tx
      .update(webhookDeliveries)
      .set(
        next.status === 'pending'
          ? { attempts: record.attempt, nextAttemptAt: next.at }
          : { attempts: record.attempt, status: next.status, finishedAt: record.attemptedAt },
      )
      .where(and(eq(webhookDeliveries.id, record.deliveryId), eq(webhookDeliveries.status, 'pending')));
    if (record.disableEndpoint) {
      await tx
        .update(webhookEndpoints)
        .set({ disabledAt: record.attemptedAt, disabledReason: 'gone' })
        .where(and(eq(webhookEndpoints.id, record.endpointId), sql`${webhookEndpoints.disabledAt} is null`));
      await tx
        .update(webhookDeliveries)
        .set({ status: 'cancelled', finishedAt: record.attemptedAt })
        .where(and(eq(webhookDeliveries.endpointId, record.endpointId), eq(webhookDeliveries.status, 'pending')));
    }
  });
}

/** Deliveries waiting to be sent, due or scheduled for a retry: the queue depth. */
export async function countPendingDeliveries(db: Database): Promise<{ due: number; scheduled: number }> {
  const [row] = await queryRows<{ due: number; scheduled: number }>(
    db,
    sql`select count(*) filter (where next_attempt_at <= now())::int as due,
               count(*) filter (where next_attempt_at > now())::int as scheduled
          from webhook_deliveries where status = 'pending'`,
  );
  return { due: Number(row?.due ?? 0), scheduled: Number(row?.scheduled ?? 0) };
}

/**
 * Makes an event's deliveries (to one endpoint, or every one) due now, whatever their state.
 * A finished delivery gets exactly one more attempt (its attempt count is raised so that the
 * next one is `lastAttemptNumber`, the last), a pending one just comes forward. Disabled
 * endpoints are left alone.
 */
export async function redeliverEvent(
  db: Database,
  { eventId, endpointId, now, lastAttemptNumber }: { eventId: string; endpointId: string | null; now: Date; lastAttemptNumber: number },
): Promise<Array<{ deliveryId: number; endpointId: string }>> {
  const live = db
    .select({ id: webhookEndpoints.id })
    .from(webhookEndpoints)
    .where(sql`${webhookEndpoints.disabledAt} is null`);
  const rows = await db
    .update(webhookDeliveries)
    .set({
      status: 'pending',
      nextAttemptAt: now,
      finishedAt: null,
      attempts: sql`case when ${webhookDeliveries.status} = 'pending' then ${webhookDeliveries.attempts}
                         else greatest(${webhookDeliveries.attempts}, ${lastAttemptNumber - 1}) end`,
    })
    .where(
      and(
        eq(webhookDeliveries.eventId, eventId),
        endpointId === null ? undefined : eq(webhookDeliveries.endpointId, endpointId),
        inArray(webhookDeliveries.endpointId, live),
      ),
    )
    .returning({ deliveryId: webhookDeliveries.id, endpointId: webhookDeliveries.endpointId });
  return rows;
}

/** Finished deliveries (and their attempts) older than the cutoff, then events left with none. */
export async function deleteFinishedDeliveries(db: Database, finishedBefore: Date): Promise<number> {
  const deleted = await queryRows<{ id: unknown }>(
    db,
    sql`delete from webhook_deliveries where status <> 'pending' and finished_at < ${timestampParam(finishedBefore)} returning id`,
  );
  await db.execute(sql`
    delete from webhook_events e
     where e.created_at < ${timestampParam(finishedBefore)}
       and not exists (select 1 from webhook_deliveries d where d.event_id = e.id)
  `);
  return deleted.length;
}
