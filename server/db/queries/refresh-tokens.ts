import { sql } from 'drizzle-orm';
import type { Database } from '../client';
import type { OrgStatus } from '../schema';
import { preparedQuery, queryRows, timestampParam } from './raw';

export interface RotationInput {
  tokenHash: string;
  successorHash: string;
  now: Date;
  idleCutoff: Date;
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
 */
const rotate = preparedQuery<RotatedSession, Record<keyof RotationInput, unknown>>(sql`
  with rotated as (
    update refresh_tokens t
       set rotated_at = ${sql.placeholder('now')}::timestamptz,
           rotated_by_ip = ${sql.placeholder('ipAddress')}::text,
           rotated_by_user_agent = ${sql.placeholder('userAgent')}::text
      from sessions s
      join organizations o on o.id = s.organization_id
     where t.token_hash = ${sql.placeholder('tokenHash')}::text
       and t.rotated_at is null
       and s.id = t.session_id
       and s.revoked_at is null
       and s.expires_at > ${sql.placeholder('now')}::timestamptz
       and s.last_accessed_at > ${sql.placeholder('idleCutoff')}::timestamptz
       and o.status = 'active'
       and (${sql.placeholder('organizationId')}::text is null or s.organization_id = ${sql.placeholder('organizationId')}::text)
    returning t.session_id, s.user_id, s.organization_id
  ), successor as (
    insert into refresh_tokens (token_hash, session_id, created_at)
    select ${sql.placeholder('successorHash')}::text, session_id, ${sql.placeholder('now')}::timestamptz from rotated
  ), touched as (
    update sessions set last_accessed_at = ${sql.placeholder('now')}::timestamptz
     where id = (select session_id from rotated)
  ), audited as (
    insert into audit_events (organization_id, user_id, session_id, type, ip_address, user_agent, created_at)
    select organization_id, user_id, session_id, 'refresh', ${sql.placeholder('ipAddress')}::text, ${sql.placeholder('userAgent')}::text,
           ${sql.placeholder('now')}::timestamptz
      from rotated
  )
  select session_id as "sessionId", user_id as "userId", organization_id as "organizationId" from rotated
`);

/** Rotates by the statement above; null when nothing was rotated (`inspectRefreshToken` then says why). */
export async function rotateRefreshToken(db: Database, input: RotationInput): Promise<RotatedSession | null> {
  const [row] = await rotate(db, {
    ...input,
    now: input.now.toISOString(),
    idleCutoff: input.idleCutoff.toISOString(),
  });
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
}

/** The slow path: everything needed to explain why a token did not rotate. */
export async function inspectRefreshToken(
  db: Database,
  tokenHash: string,
  successorHash: string,
): Promise<RefreshTokenState | null> {
  const [row] = await queryRows<RefreshTokenState>(
    db,
    sql`
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
                        where n.token_hash = ${successorHash} and n.session_id = t.session_id), false)
               as "successorIsCurrent"
        from refresh_tokens t
        join sessions s on s.id = t.session_id
        join organizations o on o.id = s.organization_id
       where t.token_hash = ${tokenHash}
    `,
  );
  if (!row) return null;
  // Raw rows carry whatever the driver makes of timestamptz; normalise to Date.
  return {
    ...row,
    rotatedAt: row.rotatedAt ? new Date(row.rotatedAt) : null,
    sessionRevokedAt: row.sessionRevokedAt ? new Date(row.sessionRevokedAt) : null,
    sessionExpiresAt: new Date(row.sessionExpiresAt),
    sessionLastAccessedAt: new Date(row.sessionLastAccessedAt),
  };
}
