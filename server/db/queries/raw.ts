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
