import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { auditEvents } from '../schema';
import { queryRows, timestampParam } from './raw';

export type AuditEventRow = typeof auditEvents.$inferSelect;
export type NewAuditEventRow = typeof auditEvents.$inferInsert;

export async function insertAuditEvent(db: Database, row: NewAuditEventRow): Promise<void> {
  await db.insert(auditEvents).values(row);
}

/** Newest first; `beforeId` continues a listing where the previous page ended. */
export async function listUserAuditEvents(
  db: Database,
  { userId, beforeId, limit }: { userId: string; beforeId: number | null; limit: number },
): Promise<AuditEventRow[]> {
  return db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.userId, userId), beforeId === null ? undefined : lt(auditEvents.id, beforeId)))
    .orderBy(desc(auditEvents.id))
    .limit(limit);
}

/**
 * Deletes the events recorded before `createdBefore` (found through audit_events_created_idx)
 * and returns how many, counted in the database rather than by returning every id.
 */
export async function deleteAuditEventsBefore(db: Database, createdBefore: Date): Promise<number> {
  const [row] = await queryRows<{ deleted: number }>(
    db,
    sql`with deleted as (delete from audit_events where created_at < ${timestampParam(createdBefore)} returning 1)
        select count(*)::int as deleted from deleted`,
  );
  return row?.deleted ?? 0;
}
