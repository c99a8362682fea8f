import { and, desc, eq, lt } from 'drizzle-orm';
import type { Database } from '../client';
import { auditEvents } from '../schema';

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
