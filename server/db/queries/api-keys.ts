import { and, desc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { apiKeys, organizations, users } from '../schema';
import type { OrganizationRow } from './organizations';
import { isoTime, preparedFor } from './prepared';
import { timestampParam } from './raw';
import { callerUserColumns, type CallerUserRow } from './users';

export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type NewApiKeyRow = typeof apiKeys.$inferInsert;

export async function insertApiKey(db: Database, row: NewApiKeyRow): Promise<ApiKeyRow> {
  const [inserted] = await db.insert(apiKeys).values(row).returning();
  return inserted!;
}

/** Caller resolution by API key: every call with x-api-key runs it. */
const apiKeyWithOwner = preparedFor((db) =>
  db
    .select({ apiKey: apiKeys, user: callerUserColumns, organization: organizations })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .innerJoin(organizations, eq(organizations.id, apiKeys.organizationId))
    .where(eq(apiKeys.keyHash, sql.placeholder('keyHash')))
    .prepare('find_api_key_with_owner'),
);

export async function findApiKeyWithOwnerByHash(
  db: Database,
  keyHash: string,
): Promise<{ apiKey: ApiKeyRow; user: CallerUserRow; organization: OrganizationRow } | null> {
  const [row] = await apiKeyWithOwner(db).execute({ keyHash });
  return row ?? null;
}

export async function listOrganizationApiKeys(db: Database, organizationId: string): Promise<ApiKeyRow[]> {
  return db
    .select()
    .from(apiKeys)
    .where(eq(apiKeys.organizationId, organizationId))
    .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
}

/** Returns the key if it exists in the organization (revoked now or earlier), else null. */
export async function revokeOrganizationApiKey(
  db: Database,
  organizationId: string,
  id: string,
  now: Date,
): Promise<ApiKeyRow | null> {
  const [row] = await db
    .update(apiKeys)
    .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, ${timestampParam(now)})` })
    .where(and(eq(apiKeys.id, id), eq(apiKeys.organizationId, organizationId)))
    .returning();
  return row ?? null;
}

/** Revokes the live keys created in a session; returns them. */
export async function revokeSessionApiKeys(db: Database, sessionId: string, now: Date, reason: string): Promise<ApiKeyRow[]> {
  return db
    .update(apiKeys)
    .set({ revokedAt: now, revokedReason: reason })
    .where(and(eq(apiKeys.createdInSessionId, sessionId), isNull(apiKeys.revokedAt)))
    .returning();
}

/** Written at most once per interval, so a busy key does not turn every call into a write. */
const touchLastUsed = preparedFor((db) =>
  db
    .update(apiKeys)
    .set({ lastUsedAt: sql`${sql.placeholder('now')}::timestamptz` })
    .where(and(eq(apiKeys.id, sql.placeholder('id')), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, sql.placeholder('staleBefore')))))
    .prepare('touch_api_key_last_used'),
);

export async function touchApiKeyLastUsed(db: Database, id: string, now: Date, minIntervalSeconds: number): Promise<void> {
  const staleBefore = new Date(now.getTime() - minIntervalSeconds * 1000);
  await touchLastUsed(db).execute({ id, now: isoTime(now), staleBefore: isoTime(staleBefore) });
}
