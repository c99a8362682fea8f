import { openDatabase, type DatabaseHandle } from '../../server/db/client';
import { createFreshPostgresDatabase } from './postgres';

/**
 * In-memory PGlite by default; with TEST_DATABASE_URL, a fresh PostgreSQL database of its
 * own (created from that URL, dropped afterwards), so suites never see each other's rows.
 */
export async function openTestDatabase(): Promise<{ handle: DatabaseHandle; url: string | null; drop: () => Promise<void> }> {
  if (!process.env.TEST_DATABASE_URL) {
    const handle = await openDatabase({ kind: 'pglite-memory' });
    await handle.migrate();
    return { handle, url: null, drop: async () => {} };
  }
  const fresh = await createFreshPostgresDatabase('test');
  const handle = await openDatabase({ kind: 'postgres', url: fresh.url }, { poolSize: 10 });
  await handle.migrate();
  return { handle, url: fresh.url, drop: fresh.drop };
}
