import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../server/db/client';
import { preparedQuery, queryRows } from '../../server/db/queries/raw';
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
