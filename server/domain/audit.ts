import { insertAuditEvent, listUserAuditEvents, type AuditEventRow } from '../db/queries/audit-events';
import type { Database } from '../db/client';
import { AppError } from '../errors';
import type { RequestOrigin } from './deps';

export const AUDIT_EVENT_TYPES = [
  'sign_up',
  'sign_in',
  'sign_in_failed',
  'reauthenticated',
  'refresh',
  'refresh_token_reused',
  'logout',
  'logout_all',
  'session_revoked',
  'other_sessions_revoked',
  'password_changed',
  'api_key_created',
  'api_key_revoked',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/** Who did something, from where. Every field but the origin may be unknown (a failed sign-in). */
export interface AuditActor {
  organizationId: string | null;
  userId: string | null;
  sessionId: string | null;
  apiKeyId?: string | null;
  origin: RequestOrigin;
}

export async function recordAuditEvent(
  db: Database,
  type: AuditEventType,
  actor: AuditActor,
  now: Date,
  details?: Record<string, unknown>,
): Promise<void> {
  await insertAuditEvent(db, {
    organizationId: actor.organizationId,
    userId: actor.userId,
    sessionId: actor.sessionId,
    apiKeyId: actor.apiKeyId ?? null,
    type,
    ipAddress: actor.origin.ipAddress,
    userAgent: actor.origin.userAgent,
    details: details ?? null,
    createdAt: now,
  });
}

export const AUDIT_PAGE_SIZE_MAX = 100;

/** A page of the user's own events, newest first, and the cursor of the next page (null at the end). */
export async function listOwnAuditEvents(
  db: Database,
  { userId, cursor, limit }: { userId: string; cursor: string | null; limit: number },
): Promise<{ events: AuditEventRow[]; nextCursor: string | null }> {
  const beforeId = cursor === null ? null : decodeCursor(cursor);
  // One extra row tells whether another page follows, without a count query.
  const rows = await listUserAuditEvents(db, { userId, beforeId, limit: limit + 1 });
  const events = rows.slice(0, limit);
  const nextCursor = rows.length > limit ? encodeCursor(events[events.length - 1]!.id) : null;
  return { events, nextCursor };
}

function encodeCursor(id: number): string {
  return Buffer.from(`ae:${id}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const match = /^ae:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new AppError('invalid_cursor');
  return Number(match[1]);
}
