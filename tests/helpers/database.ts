import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { openDatabase, type DatabaseHandle } from '../../server/db/client';

/**
 * In-memory PGlite by default; with TEST_DATABASE_URL, a fresh PostgreSQL database of its
 * own (created from that URL, dropped afterwards), so suites never see each other's rows.
 */
export async function openTestDatabase(): Promise<{ handle: DatabaseHandle; url: string | null; drop: () => Promise<void> }> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    const handle = await openDatabase({ kind: 'pglite-memory' });
    await handle.migrate();
    return { handle, url: null, drop: async () => {} };
  }
  const name = `gatehouse_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ kind: 'postgres', url: url.toString() }, { poolSize: 10 });
  await handle.migrate();
  return {
    handle,
    url: url.toString(),
    drop: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
