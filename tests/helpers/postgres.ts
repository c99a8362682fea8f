import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

const CONNECT_TIMEOUT_SECONDS = 5;

/**
 * The server tests create their databases on. `npm run test:postgres` sets TEST_DATABASE_URL
 * (to the local server unless it was set already; vitest.config.ts); other runs leave it unset.
 */
export function postgresServerUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run the tests that need PostgreSQL with npm run test:postgres (README, "Tests")');
  return url;
}

/** Connects and tries `create database` once, so an unusable server fails with a message, not a skip. */
export async function checkPostgresServer(serverUrl: string): Promise<void> {
  const fresh = await createFreshPostgresDatabase('check', serverUrl);
  await fresh.drop();
}

/** What to do when the server cannot be used; the URL is shown without its password. */
function serverUnavailable(adminUrl: string, cause: unknown): Error {
  const shown = new URL(adminUrl);
  if (shown.password) shown.password = '***';
  const reason = cause instanceof Error ? cause.message || (cause as { code?: string }).code || cause.name : String(cause);
  return new Error(
    `These tests need a PostgreSQL server whose role may create databases; TEST_DATABASE_URL ${shown} ` +
      `did not work: ${reason}. Start PostgreSQL, or set TEST_DATABASE_URL to such a server (README, "Tests").`,
    { cause },
  );
}

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
 * (several processes on one database, a connection that can be cut), on TEST_DATABASE_URL's
 * server. Gatehouse processes migrate it when they start.
 */
export async function createFreshPostgresDatabase(label: string, adminUrl = postgresServerUrl()): Promise<FreshPostgresDatabase> {
  const name = `gatehouse_${label}_${randomBytes(5).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: CONNECT_TIMEOUT_SECONDS });
  try {
    await admin.unsafe(`create database ${name}`);
  } catch (error) {
    await admin.end({ timeout: 1 }).catch(() => {});
    throw serverUnavailable(adminUrl, error);
  }
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
