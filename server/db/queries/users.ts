import { eq } from 'drizzle-orm';
import type { Database } from '../client';
import { organizations, users } from '../schema';
import type { OrganizationRow } from './organizations';

export type UserRow = typeof users.$inferSelect;

/**
 * What a caller carries of its user (and `/auth/me` shows): never the password hash. The caller
 * lookups (by Bearer token and by API key) select only these columns.
 */
export type CallerUserRow = Pick<UserRow, 'id' | 'email' | 'name' | 'createdAt'>;
export const callerUserColumns = { id: users.id, email: users.email, name: users.name, createdAt: users.createdAt };
export type NewUserRow = typeof users.$inferInsert;

export async function insertUser(db: Database, row: NewUserRow): Promise<UserRow> {
  const [inserted] = await db.insert(users).values(row).returning();
  return inserted!;
}

export async function findUserWithOrganizationByEmail(
  db: Database,
  email: string,
): Promise<{ user: UserRow; organization: OrganizationRow } | null> {
  const [row] = await db
    .select({ user: users, organization: organizations })
    .from(users)
    .innerJoin(organizations, eq(organizations.id, users.organizationId))
    .where(eq(users.email, email));
  return row ?? null;
}

export async function findUserById(db: Database, id: string): Promise<UserRow | null> {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row ?? null;
}

export async function updateUserPasswordHash(db: Database, id: string, passwordHash: string, now: Date): Promise<void> {
  await db.update(users).set({ passwordHash, updatedAt: now }).where(eq(users.id, id));
}
