import { sql } from 'drizzle-orm';
import type { Database } from '../client';
import type { OrgStatus } from '../schema';
import { preparedQuery } from './raw';

export interface RotationInput {
  tokenHash: string;
  successorHash: string;
  /** A test clock's time; null: the database's clock as the row is updated (after any wait for it). */
  now: Date | null;
  idleTimeoutSeconds: number;
  /** When the caller is known (key or bearer sent along), the token must be of this organization. */
  organizationId: string | null;
  ipAddress: string | null;
  userAgent: string | null;
}

export interface RotatedSession {
  sessionId: string;
  userId: string;
  organizationId: string;
}

/**
 * The hot path of every signed-in client: one statement that rotates the presented token
 * if, and only if, it is the current token of a live session of an active organization.
 * The `rotated_at is null` condition is a compare-and-swap: of two concurrent refreshes of
 * one token, the second waits on the row lock, re-reads the row, and matches nothing.
 * The audit event of the refresh is written by the same statement: one round trip in all.
 *
 * Its time (`at`) is read only once the token's and the session's rows are locked, so a
 * request that waited for a connection, or for a lock held by a concurrent transaction, is
 * judged at the moment it runs, not when it arrived. (An UPDATE computes its new values before
 * it waits on a lock, hence the separate `for no key update` first.)
 */
const rotate = preparedQuery<RotatedSession, Record<keyof RotationInput, unknown>>(sql`
  with locked as (
    select t.token_hash, t.session_id
      from refresh_tokens t
      join sessions s on s.id = t.session_id
     where t.token_hash = ${sql.placeholder('tokenHash')}::text
       and t.rotated_at is null
       for no key update of t, s
  ), clocked as (
    select token_hash, session_id, coalesce(${sql.placeholder('now')}::timestamptz, clock_timestamp()) as at from locked
  ), rotated as (
    update refresh_tokens t
       set rotated_at = c.at,
           rotated_by_ip = ${sql.placeholder('ipAddress')}::text,
           rotated_by_user_agent = ${sql.placeholder('userAgent')}::text
      from clocked c
      join sessions s on s.id = c.session_id
      join organizations o on o.id = s.organization_id
     where t.token_hash = ${sql.placeholder('tokenHash')}::text
       and t.token_hash = c.token_hash
       and t.rotated_at is null
       and s.revoked_at is null
       and s.expires_at > c.at
       and s.last_accessed_at > c.at - ${sql.placeholder('idleTimeoutSeconds')}::int * interval '1 second'
       and o.status = 'active'
       and (${sql.placeholder('organizationId')}::text is null or s.organization_id = ${sql.placeholder('organizationId')}::text)
    returning t.session_id, s.user_id, s.organization_id, c.at
  ), successor as (
    insert into refresh_tokens (token_hash, session_id, created_at)
    select ${sql.placeholder('successorHash')}::text, session_id, at from rotated
  ), touched as (
    update sessions s set last_accessed_at = r.at
      from rotated r
     where s.id = r.session_id
  ), audited as (
    insert into audit_events (organization_id, user_id, session_id, type, ip_address, user_agent, created_at)
    select organization_id, user_id, session_id, 'refresh', ${sql.placeholder('ipAddress')}::text, ${sql.placeholder('userAgent')}::text, at
      from rotated
  )
  select session_id as "sessionId", user_id as "userId", organization_id as "organizationId" from rotated
`);

/** Rotates by the statement above; null when nothing was rotated (`inspectRefreshToken` then says why). */
export async function rotateRefreshToken(db: Database, input: RotationInput): Promise<RotatedSession | null> {
  const [row] = await rotate(db, { ...input, now: input.now?.toISOString() ?? null });
  return row ?? null;
}

export interface RefreshTokenState {
  sessionId: string;
  userId: string;
  organizationId: string;
  organizationStatus: OrgStatus;
  rotatedAt: Date | null;
  rotatedByIp: string | null;
  rotatedByUserAgent: string | null;
  sessionRevokedAt: Date | null;
  sessionExpiresAt: Date;
  sessionLastAccessedAt: Date;
  /** Whether the token derived from this one is the session's current token. */
  successorIsCurrent: boolean;
  /** When this was read: the time to judge it by (the database's, unless a test clock set it). */
  checkedAt: Date;
}

/** Everything needed to explain why a token did not rotate; logout reads it too. */
const inspect = preparedQuery<RefreshTokenState, { tokenHash: string; successorHash: string; now: string | null }>(sql`
  select t.session_id as "sessionId",
         s.user_id as "userId",
         s.organization_id as "organizationId",
         o.status as "organizationStatus",
         t.rotated_at as "rotatedAt",
         t.rotated_by_ip as "rotatedByIp",
         t.rotated_by_user_agent as "rotatedByUserAgent",
         s.revoked_at as "sessionRevokedAt",
         s.expires_at as "sessionExpiresAt",
         s.last_accessed_at as "sessionLastAccessedAt",
         coalesce((select n.rotated_at is null from refresh_tokens n
                    where n.token_hash = ${sql.placeholder('successorHash')}::text and n.session_id = t.session_id), false)
           as "successorIsCurrent",
         coalesce(${sql.placeholder('now')}::timestamptz, clock_timestamp()) as "checkedAt"
    from refresh_tokens t
    join sessions s on s.id = t.session_id
    join organizations o on o.id = s.organization_id
   where t.token_hash = ${sql.placeholder('tokenHash')}::text
`);

/** The slow path of refresh (a token that did not rotate), and logout. */
export async function inspectRefreshToken(
  db: Database,
  tokenHash: string,
  successorHash: string,
  now: Date | null,
): Promise<RefreshTokenState | null> {
  const [row] = await inspect(db, { tokenHash, successorHash, now: now?.toISOString() ?? null });
  if (!row) return null;
  // Raw rows carry whatever the driver makes of timestamptz; normalise to Date.
  return {
    ...row,
    rotatedAt: row.rotatedAt ? new Date(row.rotatedAt) : null,
    sessionRevokedAt: row.sessionRevokedAt ? new Date(row.sessionRevokedAt) : null,
    sessionExpiresAt: new Date(row.sessionExpiresAt),
    sessionLastAccessedAt: new Date(row.sessionLastAccessedAt),
    checkedAt: new Date(row.checkedAt),
  };
}
