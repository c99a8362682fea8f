import { fillPlaceholders, sql, type SQL } from 'drizzle-orm';
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

interface CompiledQuery {
  sql: string;
  params: unknown[];
}

interface DriverClient {
  /** postgres.js (the pool's facade, or a transaction's connection) */
  unsafe?: (text: string, params: unknown[], options: { prepare: boolean }) => Promise<unknown[]>;
  /** PGlite (the database, or one of its transactions) */
  query?: (text: string, params: unknown[]) => Promise<{ rows: unknown[] }>;
}

/**
 * A statement for the hot path that drizzle's query builder cannot express (data-modifying
 * CTEs, a lock before an update), written once with `sql.placeholder(name)` for its values: its
 * text is built on first use instead of on every call, and on PostgreSQL it is prepared once per
 * connection and reused. It runs on the client of whatever it is given, the pool's or a
 * transaction's. `?prepare=false` in DATABASE_URL (PgBouncer in transaction mode) makes
 * postgres.js send it unnamed, as every other statement. Everything drizzle can express uses
 * drizzle's own `.prepare()` instead (see prepared.ts).
 */
export function preparedQuery<T, V extends Record<string, unknown>>(query: SQL) {
  let compiled: CompiledQuery | undefined;
  return async (db: Database, values: V): Promise<T[]> => {
    compiled ??= (db as unknown as { dialect: { sqlToQuery(query: SQL): CompiledQuery } }).dialect.sqlToQuery(query);
    const params = fillPlaceholders(compiled.params, values);
    // drizzle's session of a database or of a transaction holds the driver client it runs on.
    const client = (db as unknown as { session: { client: DriverClient } }).session.client;
    if (typeof client.query === 'function') return (await client.query(compiled.sql, params)).rows as T[];
    // postgres.js: `prepare: true` is ignored when the connection's own option (from the URL) is false.
    return (await client.unsafe!(compiled.sql, params, { prepare: true })) as T[];
  };
}
