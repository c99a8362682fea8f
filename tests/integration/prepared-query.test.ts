import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../server/db/client';
import { preparedFor } from '../../server/db/queries/prepared';
import { preparedQuery, queryRows } from '../../server/db/queries/raw';
import { findLiveRateLimitCounter, upsertRateLimitCounter } from '../../server/db/queries/rate-limits';
import { rateLimits } from '../../server/db/schema';
import { openTestDatabase } from '../helpers/database';

/** The hot-path statement helper: text built once, values filled in on every call, on both drivers. */
const addOne = preparedQuery<{ n: number; same: boolean }, { a: number; b: string }>(
  sql`select ${sql.placeholder('a')}::int + 1 as n, ${sql.placeholder('b')}::text = ${sql.placeholder('b')}::text as same`,
);

/** How many times this connection has prepared `addOne` at the protocol level (not with SQL PREPARE). */
async function addOnePreparedCount(handle: DatabaseHandle): Promise<number> {
  const [row] = await queryRows<{ count: number | string }>(
    handle.db,
    sql`select count(*) as count from pg_prepared_statements where not from_sql and statement like '%::int + 1 as n,%'`,
  );
  return Number(row?.count ?? 0);
}

/** A drizzle-built statement, prepared once per database object. */
const pointsOf = preparedFor((db) =>
  db
    .select({ points: rateLimits.points })
    .from(rateLimits)
    .where(eq(rateLimits.key, sql.placeholder('key')))
    .prepare('test_points_of'),
);

/** Statements this connection prepared at the protocol level whose text contains `fragment`. */
async function preparedCount(handle: DatabaseHandle, fragment: string): Promise<number> {
  const [row] = await queryRows<{ count: number | string }>(
    handle.db,
    sql`select count(*) as count from pg_prepared_statements where not from_sql and strpos(statement, ${fragment}) > 0`,
  );
  return Number(row?.count ?? 0);
}

class RollBack extends Error {}

describe('preparedQuery', () => {
  let test: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    test = await openTestDatabase();
  });
  afterAll(async () => {
    await test.handle.close();
    await test.drop();
  });

  it('fills the placeholders anew on every call, a repeated one with the same value', async () => {
    expect(await addOne(test.handle.db, { a: 1, b: 'x' })).toEqual([{ n: 2, same: true }]);
    expect(await addOne(test.handle.db, { a: 41, b: 'y' })).toEqual([{ n: 42, same: true }]);
  });

  it('refuses a call that leaves a placeholder without a value', async () => {
    await expect(addOne(test.handle.db, { a: 1 } as never)).rejects.toThrow(/No value for placeholder "b"/);
  });

  it('prepares on PostgreSQL unless the URL says ?prepare=false (PgBouncer in transaction mode)', async () => {
    if (test.url === null) {
      // PGlite runs in-process: there is no protocol-level statement to keep.
      expect(test.handle.kind).not.toBe('postgres');
      expect(await addOne(test.handle.db, { a: 2, b: 'z' })).toEqual([{ n: 3, same: true }]);
      return;
    }
    const prepared = await openDatabase({ kind: 'postgres', url: test.url }, { poolSize: 1 });
    const unprepared = await openDatabase({ kind: 'postgres', url: `${test.url}?prepare=false` }, { poolSize: 1 });
    try {
      expect(await addOne(prepared.db, { a: 2, b: 'z' })).toEqual([{ n: 3, same: true }]);
      expect(await addOne(unprepared.db, { a: 2, b: 'z' })).toEqual([{ n: 3, same: true }]);
      expect(await addOnePreparedCount(prepared)).toBe(1);
      expect(await addOnePreparedCount(unprepared)).toBe(0);
    } finally {
      await prepared.close();
      await unprepared.close();
    }
  });
});

describe('preparedFor (drizzle .prepare with sql.placeholder)', () => {
  let test: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    test = await openTestDatabase();
  });
  afterAll(async () => {
    await test.handle.close();
    await test.drop();
  });

  it('builds a statement once per database object and fills it anew on every call', async () => {
    const { db } = test.handle;
    expect(pointsOf(db)).toBe(pointsOf(db));
    await upsertRateLimitCounter(db, { key: 'p:one', points: 2, now: new Date(), expiresAt: new Date(Date.now() + 60_000), replace: false });
    await upsertRateLimitCounter(db, { key: 'p:one', points: 3, now: new Date(), expiresAt: new Date(Date.now() + 60_000), replace: false });
    expect(await pointsOf(db).execute({ key: 'p:one' })).toEqual([{ points: 5 }]);
    expect(await pointsOf(db).execute({ key: 'p:none' })).toEqual([]);
  });

  it('inside a transaction, runs on the transaction: it sees what the transaction wrote, and rolls back with it', async () => {
    const { db } = test.handle;
    const seenInside: unknown[] = [];
    const seenBy = new Set<unknown>();
    await expect(
      db.transaction(async (tx) => {
        seenBy.add(pointsOf(tx));
        await upsertRateLimitCounter(tx, { key: 'p:tx', points: 7, now: new Date(), expiresAt: new Date(Date.now() + 60_000), replace: false });
        seenInside.push(...(await pointsOf(tx).execute({ key: 'p:tx' })));
        // The hand-written kind runs on the transaction too.
        seenInside.push(...(await addOne(tx, { a: 1, b: 'tx' })));
        seenInside.push((await findLiveRateLimitCounter(tx, 'p:tx', new Date()))?.points);
        throw new RollBack();
      }),
    ).rejects.toThrow(RollBack);
    expect(seenInside).toEqual([{ points: 7 }, { n: 2, same: true }, 7]);
    expect(seenBy.has(pointsOf(db))).toBe(false);
    expect(await pointsOf(db).execute({ key: 'p:tx' })).toEqual([]);
  });

  it('is prepared on PostgreSQL, and never with ?prepare=false (PgBouncer in transaction mode)', async () => {
    if (test.url === null) {
      expect(test.handle.kind).toBe('pglite');
      return;
    }
    const prepared = await openDatabase({ kind: 'postgres', url: test.url }, { poolSize: 1 });
    const unprepared = await openDatabase({ kind: 'postgres', url: `${test.url}?prepare=false` }, { poolSize: 1 });
    try {
      for (const handle of [prepared, unprepared]) {
        expect(await pointsOf(handle.db).execute({ key: 'p:none' })).toEqual([]);
        expect(await pointsOf(handle.db).execute({ key: 'p:none' })).toEqual([]);
        expect(await findLiveRateLimitCounter(handle.db, 'p:none', new Date())).toBeNull();
      }
      expect(await preparedCount(prepared, 'from "rate_limits" where "rate_limits"."key" = $1')).toBe(1);
      expect(await preparedCount(prepared, 'from "rate_limits" where ("rate_limits"."key" = $1 and')).toBe(1);
      expect(await preparedCount(unprepared, '"rate_limits"')).toBe(0);
    } finally {
      await prepared.close();
      await unprepared.close();
    }
  });
});
