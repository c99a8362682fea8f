import { eq } from 'drizzle-orm';
import type { Database } from '../client';
import { organizations } from '../schema';

export type OrganizationRow = typeof organizations.$inferSelect;
export type NewOrganizationRow = typeof organizations.$inferInsert;

export async function insertOrganization(db: Database, row: NewOrganizationRow): Promise<OrganizationRow> {
  const [inserted] = await db.insert(organizations).values(row).returning();
  return inserted!;
}

export async function findOrganizationById(db: Database, id: string): Promise<OrganizationRow | null> {
  const [row] = await db.select().from(organizations).where(eq(organizations.id, id));
  return row ?? null;
}

/** Locks the row until the end of the transaction: the status it returns is the one being changed. */
export async function findOrganizationByIdForUpdate(db: Database, id: string): Promise<OrganizationRow | null> {
  const [row] = await db.select().from(organizations).where(eq(organizations.id, id)).for('update');
  return row ?? null;
}

export async function updateOrganization(
  db: Database,
  id: string,
  changes: Partial<Pick<OrganizationRow, 'status' | 'plan' | 'name'>> & { updatedAt: Date },
): Promise<OrganizationRow | null> {
  const [row] = await db.update(organizations).set(changes).where(eq(organizations.id, id)).returning();
  return row ?? null;
}
