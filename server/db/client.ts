import { mkdirSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
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
}

const MIGRATIONS_FOLDER = new URL('../../drizzle', import.meta.url).pathname;

export async function openDatabase(
  target: DatabaseTarget,
  options: { poolSize?: number; timeoutSeconds?: number } = {},
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
        const { migrate } = await import('drizzle-orm/postgres-js/migrator');
        // With several hosts, the primary may be any of them (or be being promoted).
        await pool.waitForWritablePrimary();
        // Several instances may start at once: one migrates while the others wait on the lock.
        const lockHolder = await pool.reserve();
        try {
          await lockHolder`select pg_advisory_lock(hashtext('gatehouse:migrate'))`;
          await migrate(postgresDb, { migrationsFolder: MIGRATIONS_FOLDER });
        } finally {
          await lockHolder`select pg_advisory_unlock(hashtext('gatehouse:migrate'))`.catch(() => {});
          lockHolder.release();
        }
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
    client = await PGlite.create();
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
  };
}
