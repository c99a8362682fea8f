import { and, eq, gt, lt } from 'drizzle-orm';
import type { Database } from '../client';
import { knownSignInAddresses } from '../schema';

export async function isKnownSignInAddress(
  db: Database,
  { userId, addressHash, since }: { userId: string; addressHash: string; since: Date },
): Promise<boolean> {
  const rows = await db
    .select({ userId: knownSignInAddresses.userId })
    .from(knownSignInAddresses)
    .where(
      and(
        eq(knownSignInAddresses.userId, userId),
        eq(knownSignInAddresses.addressHash, addressHash),
        gt(knownSignInAddresses.lastSignedInAt, since),
      ),
    );
  return rows.length > 0;
}

export async function rememberSignInAddress(
  db: Database,
  { userId, addressHash, now }: { userId: string; addressHash: string; now: Date },
): Promise<void> {
  await db
    .insert(knownSignInAddresses)
    .values({ userId, addressHash, lastSignedInAt: now })
    .onConflictDoUpdate({
      target: [knownSignInAddresses.userId, knownSignInAddresses.addressHash],
      set: { lastSignedInAt: now },
    });
}

export async function deleteKnownSignInAddressesBefore(db: Database, before: Date): Promise<number> {
  const rows = await db
    .delete(knownSignInAddresses)
    .where(lt(knownSignInAddresses.lastSignedInAt, before))
    .returning({ userId: knownSignInAddresses.userId });
  return rows.length;
}
