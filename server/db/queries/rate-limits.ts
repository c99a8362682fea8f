import { lt } from 'drizzle-orm';
import type { Database } from '../client';
import { rateLimits } from '../schema';

/** Counters whose window ended before `before` count for nothing any more. */
export async function deleteExpiredRateLimitCounters(db: Database, before: Date): Promise<number> {
  const rows = await db.delete(rateLimits).where(lt(rateLimits.expire, before)).returning({ key: rateLimits.key });
  return rows.length;
}
