import { endUserSessionRecorded, markSessionAuthenticatedAt, revokeUserSessions, type SessionEnding } from '../db/queries/sessions';
import { AppError } from '../errors';
import { recordAuditEvent, type AuditActor } from './audit';
import type { Deps } from './deps';
import { recordWebhookEvents, sessionsRevoked, webhookOutboxRow } from './webhooks/events';

// What a signed-in user does to their own sessions: sign out everywhere (else), revoke one,
// prove their password again. Starting, refreshing and logging out with a token: sessions.ts.

/**
 * What ending one session of `owner` records when this call ends it: the audit event (of the
 * actor) and the `session.revoked` webhook event. Written by the same statement as the revocation.
 */
export function sessionEnding(
  owner: { userId: string; organizationId: string },
  { sessionId, now, reason }: { sessionId: string; now: Date; reason: string },
  auditType: 'logout' | 'session_revoked',
  actor: AuditActor,
  details: Record<string, unknown> | null = null,
): SessionEnding {
  const [event] = sessionsRevoked(owner, [sessionId], reason, now);
  return {
    sessionId,
    userId: owner.userId,
    now,
    reason,
    auditEvent: {
      type: auditType,
      organizationId: actor.organizationId,
      userId: actor.userId,
      sessionId: actor.sessionId,
      apiKeyId: actor.apiKeyId ?? null,
      ipAddress: actor.origin.ipAddress,
      userAgent: actor.origin.userAgent,
      details,
    },
    webhookEvent: webhookOutboxRow(event!),
  };
}

/** The user proved their password again in this session (reauthentication): it is fresh from now. */
export async function markSessionAuthenticated(deps: Deps, sessionId: string): Promise<void> {
  await markSessionAuthenticatedAt(deps.db, sessionId, deps.clock.now());
}

/** Ends every session of the actor's user (not their API keys). */
export async function endAllUserSessions(deps: Deps, actor: AuditActor & { userId: string }): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction(async (tx) => {
    const ended = await revokeUserSessions(tx, { userId: actor.userId, now, reason: 'logout_all' });
    await recordAuditEvent(tx, 'logout_all', actor, now, { sessionsEnded: ended.length });
    await recordWebhookEvents(tx, sessionsRevoked(ownerOf(actor), ended, 'logout_all', now));
  });
}

/**
 * "Sign out everywhere else": every session of the user but the one making the call. The
 * cause is both the sessions' revocation reason and the audit event recorded.
 */
export async function endOtherUserSessions(
  deps: Deps,
  actor: AuditActor & { userId: string; sessionId: string },
  cause: 'other_sessions_revoked' | 'password_changed' = 'other_sessions_revoked',
): Promise<number> {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const ended = await revokeUserSessions(tx, { userId: actor.userId, now, reason: cause, exceptSessionId: actor.sessionId });
    await recordAuditEvent(tx, cause, actor, now, { sessionsEnded: ended.length });
    await recordWebhookEvents(tx, sessionsRevoked(ownerOf(actor), ended, cause, now));
    return ended.length;
  });
}

/** Someone else's session is answered exactly like one that does not exist. */
export async function revokeOwnSession(deps: Deps, actor: AuditActor & { userId: string }, sessionId: string) {
  const now = deps.clock.now();
  const ending = sessionEnding(ownerOf(actor), { sessionId, now, reason: 'revoked' }, 'session_revoked', actor, {
    revokedSessionId: sessionId,
  });
  const { found } = await endUserSessionRecorded(deps.db, ending);
  if (!found) throw new AppError('session_not_found');
}

/** The user whose sessions an actor ends; the actor's organization is the user's. */
function ownerOf(actor: AuditActor & { userId: string }): { userId: string; organizationId: string } {
  return { userId: actor.userId, organizationId: actor.organizationId! };
}
