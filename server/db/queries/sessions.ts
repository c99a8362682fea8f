import { and, desc, eq, gt, isNull, lt, ne, or, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { organizations, refreshTokens, sessions, users } from '../schema';
import type { OrganizationRow } from './organizations';
import { timestampParam } from './raw';
import type { UserRow } from './users';

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

export async function findSessionWithOwner(
  db: Database,
  sessionId: string,
): Promise<{ session: SessionRow; user: UserRow; organization: OrganizationRow } | null> {
  const [row] = await db
    .select({ session: sessions, user: users, organization: organizations })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .innerJoin(organizations, eq(organizations.id, sessions.organizationId))
    .where(eq(sessions.id, sessionId));
  return row ?? null;
}

export interface ActiveSessionWindow {
  now: Date;
  /** Sessions not accessed since this instant have ended by inactivity. */
  idleCutoff: Date;
}

export async function listActiveUserSessions(
  db: Database,
  userId: string,
  { now, idleCutoff }: ActiveSessionWindow,
): Promise<SessionRow[]> {
  return db
    .select()
    .from(sessions)
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, now),
        gt(sessions.lastAccessedAt, idleCutoff),
      ),
    )
    .orderBy(desc(sessions.lastAccessedAt), desc(sessions.createdAt));
}

/**
 * Ends one session of a user. Returns null when the user has no such session (so the
 * caller can answer exactly as for an unknown id), else whether this call ended it.
 */
export async function revokeUserSession(
  db: Database,
  { userId, sessionId, now, reason }: { userId: string; sessionId: string; now: Date; reason: string },
): Promise<{ revokedNow: boolean } | null> {
  const [row] = await db
    .update(sessions)
    .set({
      revokedAt: sql`coalesce(${sessions.revokedAt}, ${timestampParam(now)})`,
      revokedReason: sql`coalesce(${sessions.revokedReason}, ${reason})`,
    })
    .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId)))
    .returning({ revokedAt: sessions.revokedAt });
  if (!row) return null;
  return { revokedNow: row.revokedAt?.getTime() === now.getTime() };
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
export async function touchSessionLastAccessed(
  db: Database,
  sessionId: string,
  now: Date,
  minIntervalSeconds: number,
): Promise<void> {
  const staleBefore = new Date(now.getTime() - minIntervalSeconds * 1000);
  await db
    .update(sessions)
    .set({ lastAccessedAt: now })
    .where(and(eq(sessions.id, sessionId), lt(sessions.lastAccessedAt, staleBefore)));
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
