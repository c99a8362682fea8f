import { and, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { rateLimits } from '../schema';
import { isoTime, preparedFor } from './prepared';

export type RateLimitCounterRow = typeof rateLimits.$inferSelect;

/** Counters whose window ended before `before` count for nothing any more. */
export async function deleteExpiredRateLimitCounters(db: Database, before: Date): Promise<number> {
  const rows = await db.delete(rateLimits).where(lt(rateLimits.expire, before)).returning({ key: rateLimits.key });
  return rows.length;
}

// rate-limiter-flexible's Drizzle store, as prepared statements (the store itself rebuilds each
// statement on every call): the same SQL, one atomic upsert per counted point.

const expire = sql`${sql.placeholder('expire')}::timestamptz`;
const points = sql`${sql.placeholder('points')}::int`;

/** Adds points to a counter, or starts its window anew when the last one ended. */
const addPoints = preparedFor((db) =>
  db
    .insert(rateLimits)
    .values({ key: sql`${sql.placeholder('key')}::text`, points, expire })
    .onConflictDoUpdate({
      target: rateLimits.key,
      set: {
        points: sql`case when ${rateLimits.expire} <= ${sql.placeholder('now')}::timestamptz then ${points} else ${rateLimits.points} + ${points} end`,
        expire: sql`case when ${rateLimits.expire} <= ${sql.placeholder('now')}::timestamptz then ${expire} else ${rateLimits.expire} end`,
      },
    })
    .returning()
    .prepare('rate_limit_add_points'),
);

/** Sets a counter outright (rate-limiter-flexible's `set` and `block`). */
const setPoints = preparedFor((db) =>
  db
    .insert(rateLimits)
    .values({ key: sql`${sql.placeholder('key')}::text`, points, expire })
    .onConflictDoUpdate({ target: rateLimits.key, set: { points, expire } })
    .returning()
    .prepare('rate_limit_set_points'),
);

export async function upsertRateLimitCounter(
  db: Database,
  { key, points: count, now, expiresAt, replace }: { key: string; points: number; now: Date; expiresAt: Date | null; replace: boolean },
): Promise<RateLimitCounterRow | undefined> {
  const values = { key, points: count, now: isoTime(now), expire: expiresAt ? isoTime(expiresAt) : null };
  const [row] = await (replace ? setPoints(db).execute(values) : addPoints(db).execute(values));
  return row;
}

const liveCounter = preparedFor((db) =>
  db
    .select()
    .from(rateLimits)
    .where(and(eq(rateLimits.key, sql.placeholder('key')), or(gt(rateLimits.expire, sql.placeholder('now')), isNull(rateLimits.expire))))
    .limit(1)
    .prepare('rate_limit_get'),
);

export async function findLiveRateLimitCounter(db: Database, key: string, now: Date): Promise<RateLimitCounterRow | null> {
  const [row] = await liveCounter(db).execute({ key, now: isoTime(now) });
  return row ?? null;
}

const deleteCounter = preparedFor((db) =>
  db.delete(rateLimits).where(eq(rateLimits.key, sql.placeholder('key'))).returning({ key: rateLimits.key }).prepare('rate_limit_delete'),
);

export async function deleteRateLimitCounter(db: Database, key: string): Promise<boolean> {
  return (await deleteCounter(db).execute({ key })).length > 0;
}
