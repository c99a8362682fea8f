import type { Database } from '../client';

/**
 * A hot-path statement written with drizzle's query builder and `sql.placeholder(...)`, built and
 * `.prepare(name)`d once per database object instead of on every call: drizzle then skips
 * rebuilding the SQL, and postgres.js keeps it as a prepared statement on each connection (one
 * round trip per call instead of two, no re-planning, no re-reading of the row description).
 *
 * A drizzle prepared statement is bound to the object that built it: one built on `db` runs on
 * the pool, outside any transaction, however it is called. So the statement is built for each
 * object it is asked for: the long-lived `db` builds it once, and a transaction (`tx`) that uses
 * it builds its own, bound to its own connection, on first use, freed with it. PostgreSQL keeps
 * its prepared form per connection and by text, so a transaction's copy reuses it too.
 *
 * With `?prepare=false` in DATABASE_URL (PgBouncer in transaction mode) postgres.js sends every
 * statement unnamed, these included: the names given here then never reach the server.
 */
export function preparedFor<Statement>(build: (db: Database) => Statement): (db: Database) => Statement {
  const built = new WeakMap<Database, Statement>();
  return (db) => {
    let statement = built.get(db);
    if (statement === undefined) {
      statement = build(db);
      built.set(db, statement);
    }
    return statement;
  };
}

/** Timestamps reach prepared statements as ISO-8601 text: drizzle passes no Date through a placeholder to postgres.js. */
export const isoTime = (date: Date) => date.toISOString();
