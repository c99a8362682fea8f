import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

/** The PostgreSQL server every developer machine and CI has (trust authentication, local only). */
export const LOCAL_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface FreshPostgresDatabase {
  /** URL of the new database. */
  url: string;
  name: string;
  host: string;
  port: number;
  /** A connection to the new database for assertions in SQL. */
  sql: postgres.Sql;
  /** Closes `sql` and drops the database, even while processes are still connected to it. */
  drop: () => Promise<void>;
}

/**
 * A fresh, empty database on a real PostgreSQL server, for tests that need PostgreSQL itself
 * (several processes on one database, a connection that can be cut): TEST_DATABASE_URL's
 * server when set, else the local one. Gatehouse processes migrate it when they start.
 */
export async function createFreshPostgresDatabase(label: string): Promise<FreshPostgresDatabase> {
  const adminUrl = process.env.TEST_DATABASE_URL || LOCAL_POSTGRES_URL;
  const name = `gatehouse_${label}_${randomBytes(5).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const sql = postgres(url.toString(), { max: 2, onnotice: () => {} });
  let dropped = false;
  return {
    url: url.toString(),
    name,
    host: url.hostname,
    port: Number(url.port || 5432),
    sql,
    async drop() {
      if (dropped) return;
      dropped = true;
      await sql.end({ timeout: 1 }).catch(() => {});
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
