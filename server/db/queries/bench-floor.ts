import { eq, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { organizations } from '../schema';
import { preparedFor } from './prepared';

/** The benchmark's floor plus one statement (server/routers/bench/noop.ts): a prepared primary-key lookup. */
const organizationLookup = preparedFor((db) =>
  db
    .select({ id: organizations.id })
    .from(organizations)
    .where(eq(organizations.id, sql.placeholder('id')))
    .prepare('bench_floor_lookup'),
);

export async function lookUpOrganizationId(db: Database, id: string): Promise<void> {
  await organizationLookup(db).execute({ id });
}
