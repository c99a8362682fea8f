import { mkdirSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import type { DatabaseTarget } from '../env';
import * as schema from './schema';

/** One type for both drivers: queries are written once against it. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface DatabaseHandle {
  db: Database;
  kind: 'postgres' | 'pglite';
  /** Applies the migrations in drizzle/ (idempotent). */
  migrate(): Promise<void>;
  /** Cheap round trip used by GET /ready. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

const MIGRATIONS_FOLDER = new URL('../../drizzle', import.meta.url).pathname;

export async function openDatabase(target: DatabaseTarget, options: { poolSize?: number } = {}): Promise<DatabaseHandle> {
  if (target.kind === 'postgres') {
    const client = postgres(target.url, {
      max: options.poolSize ?? 10,
      // While the database is unreachable, fail fast (503) instead of holding requests for 30 s,
      // and retry a lost connection within a second rather than after postgres.js's default
      // exponential backoff (up to 20 s), which queued requests would otherwise wait out too.
      connect_timeout: 3,
      backoff: (retries: number) => Math.min(0.1 * 2 ** retries, 1),
      onnotice: () => {},
    });
    const postgresDb = drizzlePostgres(client, { schema });
    const db = postgresDb as unknown as Database;
    return {
      db,
      kind: 'postgres',
      async migrate() {
        const { migrate } = await import('drizzle-orm/postgres-js/migrator');
        // Several instances may start at once: one migrates while the others wait on the lock.
        const lockHolder = await client.reserve();
        try {
          await lockHolder`select pg_advisory_lock(hashtext('gatehouse:migrate'))`;
          await migrate(postgresDb, { migrationsFolder: MIGRATIONS_FOLDER });
        } finally {
          await lockHolder`select pg_advisory_unlock(hashtext('gatehouse:migrate'))`.catch(() => {});
          lockHolder.release();
        }
      },
      async ping() {
        await client`select 1`;
      },
      async close() {
        await client.end({ timeout: 5 });
      },
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
