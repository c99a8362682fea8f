import { and, desc, eq, gt, isNull, lt, ne, or, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { organizations, refreshTokens, sessions, users } from '../schema';
import type { OrganizationRow } from './organizations';
import { isoTime, preparedFor } from './prepared';
import { preparedQuery } from './raw';
import { callerUserColumns, type CallerUserRow } from './users';

export type SessionRow = typeof sessions.$inferSelect;
export type NewSessionRow = typeof sessions.$inferInsert;

/** A new session and its first refresh token, together or not at all. */
export async function insertSessionWithRefreshToken(
  db: Database,
  session: NewSessionRow,
  refreshTokenHash: string,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.insert(sessions).values(session);
    await tx.insert(refreshTokens).values({
      tokenHash: refreshTokenHash,
      sessionId: session.id,
      createdAt: session.createdAt,
    });
  });
}

/** Caller resolution by Bearer token: every signed-in call runs it. */
const sessionWithOwner = preparedFor((db) =>
  db
    .select({
      // What deciding whether the session is live needs (sessionEndReason), nothing more.
      session: { id: sessions.id, revokedAt: sessions.revokedAt, expiresAt: sessions.expiresAt, lastAccessedAt: sessions.lastAccessedAt },
      user: callerUserColumns,
      organization: organizations,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .innerJoin(organizations, eq(organizations.id, sessions.organizationId))
    .where(eq(sessions.id, sql.placeholder('sessionId')))
    .prepare('find_session_with_owner'),
);

export async function findSessionWithOwner(
  db: Database,
  sessionId: string,
): Promise<{ session: Pick<SessionRow, 'id' | 'revokedAt' | 'expiresAt' | 'lastAccessedAt'>; user: CallerUserRow; organization: OrganizationRow } | null> {
  const [row] = await sessionWithOwner(db).execute({ sessionId });
  return row ?? null;
}

export interface ActiveSessionWindow {
  now: Date;
  /** Sessions not accessed since this instant have ended by inactivity. */
  idleCutoff: Date;
}

/** What a session listing shows: no more columns read, parsed and mapped than it needs (100 rows for a busy user). */
export type ListedSessionRow = Pick<SessionRow, 'id' | 'userAgent' | 'clientHints' | 'ipAddress' | 'createdAt' | 'lastAccessedAt'>;

const activeUserSessions = preparedFor((db) =>
  db
    .select({
      id: sessions.id,
      userAgent: sessions.userAgent,
      clientHints: sessions.clientHints,
      ipAddress: sessions.ipAddress,
      createdAt: sessions.createdAt,
      lastAccessedAt: sessions.lastAccessedAt,
    })
    .from(sessions)
    .where(
      and(
        eq(sessions.userId, sql.placeholder('userId')),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, sql.placeholder('now')),
        gt(sessions.lastAccessedAt, sql.placeholder('idleCutoff')),
      ),
    )
    .orderBy(desc(sessions.lastAccessedAt), desc(sessions.createdAt))
    .prepare('list_active_user_sessions'),
);

export async function listActiveUserSessions(
  db: Database,
  userId: string,
  { now, idleCutoff }: ActiveSessionWindow,
): Promise<ListedSessionRow[]> {
  return activeUserSessions(db).execute({ userId, now: isoTime(now), idleCutoff: isoTime(idleCutoff) });
}

export interface SessionEnding {
  sessionId: string;
  /** Only a session of this user is ended (or found). */
  userId: string;
  now: Date;
  reason: string;
  /** Recorded only when this call is the one that ends the session. */
  auditEvent: {
    type: string;
    organizationId: string | null;
    userId: string | null;
    sessionId: string | null;
    apiKeyId: string | null;
    ipAddress: string | null;
    userAgent: string | null;
    details: Record<string, unknown> | null;
  };
  /** The outbox row of the `session.revoked` event, written (with its deliveries) only when this call ends it. */
  webhookEvent: { id: string; organizationId: string; body: string };
}

/**
 * Ends a session and records it, as one statement: the session's revocation, its audit event
 * and its webhook event with a delivery per endpoint that wants it (nothing when there is none),
 * all or nothing, in one round trip. The `revoked_at is null` condition makes the UPDATE a
 * compare-and-swap: of two calls at once, the second waits on the row lock, re-reads the row,
 * ends nothing and records nothing.
 */
const endSessionStatement = preparedQuery<{ found: boolean; revokedNow: boolean }, Record<string, unknown>>(sql`
  with target as (
    select id from sessions where id = ${sql.placeholder('sessionId')}::uuid and user_id = ${sql.placeholder('userId')}::text
  ), revoked as (
    update sessions
       set revoked_at = ${sql.placeholder('now')}::timestamptz, revoked_reason = ${sql.placeholder('reason')}::text
     where id = ${sql.placeholder('sessionId')}::uuid and user_id = ${sql.placeholder('userId')}::text and revoked_at is null
    returning id
  ), audited as (
    insert into audit_events (organization_id, user_id, session_id, api_key_id, type, ip_address, user_agent, details, created_at)
    select ${sql.placeholder('auditOrganizationId')}::text, ${sql.placeholder('auditUserId')}::text, ${sql.placeholder('auditSessionId')}::uuid,
           ${sql.placeholder('auditApiKeyId')}::text, ${sql.placeholder('auditType')}::text, ${sql.placeholder('ipAddress')}::text,
           ${sql.placeholder('userAgent')}::text, ${sql.placeholder('auditDetails')}::jsonb, ${sql.placeholder('now')}::timestamptz
      from revoked
  ), wanted as (
    select id from webhook_endpoints
     where organization_id = ${sql.placeholder('eventOrganizationId')}::text
       and disabled_at is null
       and (events is null or 'session.revoked' = any(events))
       and exists (select 1 from revoked)
  ), event as (
    insert into webhook_events (id, organization_id, type, body, created_at)
    select ${sql.placeholder('eventId')}::text, ${sql.placeholder('eventOrganizationId')}::text, 'session.revoked',
           ${sql.placeholder('eventBody')}::text, ${sql.placeholder('now')}::timestamptz
     where exists (select 1 from wanted)
    returning id
  ), delivered as (
    insert into webhook_deliveries (event_id, endpoint_id, status, attempts, next_attempt_at, created_at)
    select event.id, wanted.id, 'pending', 0, ${sql.placeholder('now')}::timestamptz, ${sql.placeholder('now')}::timestamptz
      from event cross join wanted
  )
  select exists (select 1 from target) as found, exists (select 1 from revoked) as "revokedNow"
`);

/**
 * Ends one session of a user and records it (see the statement above). `found` is false when
 * the user has no such session (so the caller can answer exactly as for an unknown id);
 * `revokedNow` whether this call ended it.
 */
export async function endUserSessionRecorded(db: Database, ending: SessionEnding): Promise<{ found: boolean; revokedNow: boolean }> {
  const { auditEvent, webhookEvent } = ending;
  const [row] = await endSessionStatement(db, {
    sessionId: ending.sessionId,
    userId: ending.userId,
    now: isoTime(ending.now),
    reason: ending.reason,
    auditOrganizationId: auditEvent.organizationId,
    auditUserId: auditEvent.userId,
    auditSessionId: auditEvent.sessionId,
    auditApiKeyId: auditEvent.apiKeyId,
    auditType: auditEvent.type,
    ipAddress: auditEvent.ipAddress,
    userAgent: auditEvent.userAgent,
    auditDetails: auditEvent.details === null ? null : JSON.stringify(auditEvent.details),
    eventId: webhookEvent.id,
    eventOrganizationId: webhookEvent.organizationId,
    eventBody: webhookEvent.body,
  });
  return { found: row?.found === true, revokedNow: row?.revokedNow === true };
}

/** Returns whether this call ended the session (false if it had already ended). */
export async function revokeSessionById(db: Database, sessionId: string, now: Date, reason: string): Promise<boolean> {
  const rows = await db
    .update(sessions)
    .set({ revokedAt: now, revokedReason: reason })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return rows.length > 0;
}

/** Ends every live session of a user, optionally sparing one (the caller's own). Returns the ended ids. */
export async function revokeUserSessions(
  db: Database,
  { userId, now, reason, exceptSessionId }: { userId: string; now: Date; reason: string; exceptSessionId?: string },
): Promise<string[]> {
  const rows = await db
    .update(sessions)
    .set({ revokedAt: now, revokedReason: reason })
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        exceptSessionId ? ne(sessions.id, exceptSessionId) : undefined,
      ),
    )
    .returning({ id: sessions.id });
  return rows.map((row) => row.id);
}

export async function markSessionAuthenticatedAt(db: Database, sessionId: string, now: Date): Promise<void> {
  await db.update(sessions).set({ authenticatedAt: now }).where(eq(sessions.id, sessionId));
}

/** When the session's user last proved their password in it; null if there is no such session. */
export async function findSessionAuthenticatedAt(db: Database, sessionId: string): Promise<Date | null> {
  const [row] = await db
    .select({ authenticatedAt: sessions.authenticatedAt, createdAt: sessions.createdAt })
    .from(sessions)
    .where(eq(sessions.id, sessionId));
  return row ? (row.authenticatedAt ?? row.createdAt) : null;
}

/** lastAccessedAt is written at most once per interval, so reads stay reads. */
const touchLastAccessed = preparedFor((db) =>
  db
    .update(sessions)
    .set({ lastAccessedAt: sql`${sql.placeholder('now')}::timestamptz` })
    .where(and(eq(sessions.id, sql.placeholder('sessionId')), lt(sessions.lastAccessedAt, sql.placeholder('staleBefore'))))
    .prepare('touch_session_last_accessed'),
);

export async function touchSessionLastAccessed(
  db: Database,
  sessionId: string,
  now: Date,
  minIntervalSeconds: number,
): Promise<void> {
  const staleBefore = new Date(now.getTime() - minIntervalSeconds * 1000);
  await touchLastAccessed(db).execute({ sessionId, now: isoTime(now), staleBefore: isoTime(staleBefore) });
}

/**
 * Deletes sessions that ended before the given instants (revoked, past their absolute
 * expiry, or idle); their refresh tokens go with them (on delete cascade).
 */
export async function deleteEndedSessions(
  db: Database,
  { endedBefore, idleSince }: { endedBefore: Date; idleSince: Date },
): Promise<number> {
  const rows = await db
    .delete(sessions)
    .where(
      or(
        lt(sessions.revokedAt, endedBefore),
        lt(sessions.expiresAt, endedBefore),
        lt(sessions.lastAccessedAt, idleSince),
      ),
    )
    .returning({ id: sessions.id });
  return rows.length;
}
