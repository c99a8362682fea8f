import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../client';

/** Rows of a raw statement, whichever driver runs it (postgres.js returns an array, PGlite `{ rows }`). */
export async function queryRows<T>(db: Database, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown;
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/** PostgreSQL's code for a unique violation, which drizzle puts on `error.cause`. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { cause?: { code?: unknown }; code?: unknown })?.cause?.code ?? (error as { code?: unknown })?.code;
  return code === '23505';
}

/**
 * A timestamp parameter for hand-written SQL. Drizzle hands postgres.js strings, not Dates,
 * outside of typed columns, so the value travels as ISO-8601 text with an explicit cast.
 */
export function timestampParam(date: Date): SQL {
  return sql`${date.toISOString()}::timestamptz`;
}

/**
 * Like queryRows, for the hot path: on PostgreSQL the statement is prepared once per
 * connection and reused (drizzle sends hand-written SQL unprepared, which costs PostgreSQL
 * twice the CPU per refresh). PGlite runs in-process and gains nothing from it.
 */
export async function queryRowsPrepared<T>(db: Database, query: SQL): Promise<T[]> {
  const client = (db as unknown as { $client?: { unsafe?: unknown; query?: unknown; options?: { prepare?: boolean } } })
    .$client;
  // `?prepare=false` in DATABASE_URL (PgBouncer in transaction mode) turns this off too.
  if (client && typeof client.unsafe === 'function' && client.query === undefined && client.options?.prepare !== false) {
    const dialect = (db as unknown as { dialect: { sqlToQuery(query: SQL): { sql: string; params: unknown[] } } }).dialect;
    const { sql: text, params } = dialect.sqlToQuery(query);
    const unsafe = client.unsafe as (text: string, params: unknown[], options: { prepare: boolean }) => Promise<T[]>;
    return [...(await unsafe(text, params, { prepare: true }))];
  }
  return queryRows<T>(db, query);
}
