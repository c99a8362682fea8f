import { mkdirSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import type postgres from 'postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import type { DatabaseTarget } from '../env';
import { alwaysAvailable, type DatabaseHealth } from './health';
import { createPostgresPool } from './postgres-pool';
import * as schema from './schema';

/** One type for both drivers: queries are written once against it. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface DatabaseHandle {
  db: Database;
  kind: 'postgres' | 'pglite';
  /** Applies the migrations in drizzle/ (idempotent). */
  migrate(): Promise<void>;
  /** GET /ready: resolves when the database answers and is a writable primary. */
  ping(): Promise<void>;
  /** When the database could not be used, as this process saw it (the refresh grace window does not run then). */
  health: DatabaseHealth;
  close(): Promise<void>;
  /** PGlite only: its data directory as a tarball, to start another instance from (tests start from a migrated one). */
  dumpDataDir?(): Promise<Blob>;
}

const MIGRATIONS_FOLDER = new URL('../../drizzle', import.meta.url).pathname;

/**
 * drizzle's own migrator, made safe for instances that start together: the files and the
 * bookkeeping table (`drizzle.__drizzle_migrations`) are drizzle's, but the whole run is one
 * transaction that first takes a transaction-scoped advisory lock. drizzle's `migrate()` takes
 * no lock and reads the last applied migration outside its transaction (drizzle-orm#874), and a
 * session lock (`pg_advisory_lock`) does not hold behind PgBouncer in transaction mode: each
 * statement may run on another server connection, where the lock is taken again at once or is
 * left behind, never released. The second instance waits for the first to commit, then reads
 * what it applied and applies nothing.
 */
async function migrateInOneTransaction(sql: postgres.Sql): Promise<void> {
  const migrations = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('gatehouse:migrate'))`;
    await tx`create schema if not exists drizzle`;
    await tx`create table if not exists drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)`;
    const [last] = await tx<{ created_at: string }[]>`select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1`;
    for (const migration of migrations) {
      if (last && Number(last.created_at) >= migration.folderMillis) continue;
      for (const statement of migration.sql) await tx.unsafe(statement);
      await tx`insert into drizzle.__drizzle_migrations (hash, created_at) values (${migration.hash}, ${migration.folderMillis})`;
    }
  });
}

export async function openDatabase(
  target: DatabaseTarget,
  options: { poolSize?: number; timeoutSeconds?: number; /** In-memory PGlite: start from this dumped data directory. */ pgliteImage?: Blob } = {},
): Promise<DatabaseHandle> {
  if (target.kind === 'postgres') {
    const pool = createPostgresPool(target.url, { max: options.poolSize ?? 10, timeoutSeconds: options.timeoutSeconds ?? 5 });
    const postgresDb = drizzlePostgres(pool.sql, { schema });
    const db = postgresDb as unknown as Database;
    return {
      db,
      kind: 'postgres',
      health: pool.health,
      async migrate() {
        // With several hosts, the primary may be any of them (or be being promoted).
        await pool.waitForWritablePrimary();
        await migrateInOneTransaction(pool.sql);
      },
      ping: () => pool.checkWritablePrimary(),
      close: () => pool.end(),
    };
  }

  // Loaded only when used: PGlite is some 45 MB of resident memory a PostgreSQL deployment does not need.
  const [{ PGlite }, { drizzle: drizzlePglite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
  ]);
  let client: PGlite;
  if (target.kind === 'pglite-dir') {
    // PGlite does not create missing parent folders.
    mkdirSync(target.dir, { recursive: true });
    client = await PGlite.create(target.dir);
  } else {
    client = await PGlite.create(options.pgliteImage ? { loadDataDir: options.pgliteImage } : {});
  }
  const pgliteDb = drizzlePglite(client, { schema });
  const db = pgliteDb as unknown as Database;
  return {
    db,
    kind: 'pglite',
    health: alwaysAvailable,
    async migrate() {
      const { migrate } = await import('drizzle-orm/pglite/migrator');
      await migrate(pgliteDb, { migrationsFolder: MIGRATIONS_FOLDER });
    },
    async ping() {
      await client.query('select 1');
    },
    async close() {
      await client.close();
    },
    async dumpDataDir() {
      return (await client.dumpDataDir('none')) as Blob;
    },
  };
}
