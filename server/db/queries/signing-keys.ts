import { and, asc, eq, gt, lt, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { signingKeys } from '../schema';

export type SigningKeyRow = typeof signingKeys.$inferSelect;

/** Every key that may still be published or used, oldest activation first. The table stays tiny. */
export async function listSigningKeys(db: Database, { retiredAfter }: { retiredAfter: Date }): Promise<SigningKeyRow[]> {
  return db.select().from(signingKeys).where(gt(signingKeys.retiresAt, retiredAfter)).orderBy(asc(signingKeys.activatesAt));
}

export async function insertSigningKey(db: Database, row: SigningKeyRow): Promise<void> {
  await db.insert(signingKeys).values(row);
}

/** Brings a key's retirement forward (a rotation); never pushes it back. */
export async function retireSigningKeyAt(db: Database, id: string, at: Date): Promise<void> {
  await db
    .update(signingKeys)
    .set({ retiresAt: at })
    .where(and(eq(signingKeys.id, id), gt(signingKeys.retiresAt, at)));
}

export async function deleteSigningKeysRetiredBefore(db: Database, before: Date): Promise<number> {
  const deleted = await db.delete(signingKeys).where(lt(signingKeys.retiresAt, before)).returning({ id: signingKeys.id });
  return deleted.length;
}

/**
 * Serialises key creation across instances (a transaction-scoped advisory lock), so that
 * instances starting together, or rotating together, end with one new key, not several.
 */
export async function lockSigningKeys(tx: Database): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext('gatehouse:signing-keys'))`);
}
