import { sql } from 'drizzle-orm';
import type { Database } from '../client';
import { queryRows } from './raw';

/**
 * Runs `work` in a transaction holding a PostgreSQL advisory lock, or not at all if another
 * instance holds it: periodic jobs run in one instance at a time however many are deployed.
 */
export async function withExclusiveJobLock<T>(
  db: Database,
  lockName: string,
  work: (tx: Database) => Promise<T>,
): Promise<{ ran: true; result: T } | { ran: false }> {
  return db.transaction(async (tx) => {
    const [row] = await queryRows<{ locked: boolean }>(
      tx,
      sql`select pg_try_advisory_xact_lock(hashtext(${lockName})) as locked`,
    );
    if (!row?.locked) return { ran: false as const };
    return { ran: true as const, result: await work(tx) };
  });
}
