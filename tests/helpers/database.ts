import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type DatabaseHandle } from '../../server/db/client';
import { createFreshPostgresDatabase } from './postgres';

/**
 * In-memory PGlite by default; with TEST_DATABASE_URL, a fresh PostgreSQL database of its
 * own (created from that URL, dropped afterwards), so suites never see each other's rows.
 */
export async function openTestDatabase(): Promise<{ handle: DatabaseHandle; url: string | null; drop: () => Promise<void> }> {
  if (!process.env.TEST_DATABASE_URL) return { handle: await migratedPglite(), url: null, drop: async () => {} };
  const fresh = await createFreshPostgresDatabase('test');
  const handle = await openDatabase({ kind: 'postgres', url: fresh.url }, { poolSize: 10 });
  await handle.migrate();
  return { handle, url: fresh.url, drop: fresh.drop };
}

const MIGRATIONS = new URL('../../drizzle', import.meta.url).pathname;

/**
 * A new in-memory PGlite takes some 3 s to create (initdb, in WebAssembly) and one started from
 * a dumped data directory about 1 s, so the test files share one: the first to need it migrates
 * a fresh PGlite and leaves its dump in the temporary folder, named by the PGlite version and a
 * digest of the migrations, and every later instance starts from a copy. Each is still a
 * database of its own, and `migrate()` still runs on it, finding nothing to do.
 */
async function migratedPglite(): Promise<DatabaseHandle> {
  const image = join(tmpdir(), `gatehouse-test-pglite-${migrationsDigest()}.tar`);
  let dumped: Buffer | null = null;
  try {
    dumped = readFileSync(image);
  } catch {
    // Not made yet: this instance makes it.
  }
  if (dumped) {
    const handle = await openDatabase({ kind: 'pglite-memory' }, { pgliteImage: new Blob([dumped]) });
    await handle.migrate();
    return handle;
  }
  const handle = await openDatabase({ kind: 'pglite-memory' });
  await handle.migrate();
  // Written aside, then renamed: a file running beside this one reads a whole dump or none.
  const partial = `${image}.${process.pid}.partial`;
  writeFileSync(partial, Buffer.from(await (await handle.dumpDataDir!()).arrayBuffer()));
  renameSync(partial, image);
  return handle;
}

let digest: string | undefined;
function migrationsDigest(): string {
  if (digest) return digest;
  // A dump is PGlite's own format: another version of PGlite gets a dump of its own.
  const pglite = JSON.parse(readFileSync(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url), 'utf8')) as { version: string };
  const hash = createHash('sha256').update(pglite.version);
  for (const name of readdirSync(MIGRATIONS, { recursive: true, encoding: 'utf8' }).sort()) {
    if (!name.endsWith('.sql') && !name.endsWith('.json')) continue;
    hash.update(name).update(readFileSync(join(MIGRATIONS, name)));
  }
  digest = hash.digest('hex').slice(0, 16);
  return digest;
}
