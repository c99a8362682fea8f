import { randomUUID } from 'node:crypto';
import { revokeSessionApiKeys } from '../db/queries/api-keys';
import {
  endUserSessionRecorded,
  insertSessionWithRefreshToken,
  listActiveUserSessions,
  revokeSessionById,
  type ListedSessionRow,
  type SessionRow,
} from '../db/queries/sessions';
import { inspectRefreshToken, rotateRefreshToken, type RefreshTokenState } from '../db/queries/refresh-tokens';
import { statementTime } from '../clock';
import { AppError, type ErrorReason } from '../errors';
import { recordAuditEvent, type AuditActor } from './audit';
import type { Deps, RequestOrigin } from './deps';
import { assertOrganizationActive } from './organizations';
import { deriveSuccessorToken, hashSecret, randomSecret } from './tokens';
import { sessionEnding } from './user-sessions';
import {
  apiKeyRevoked,
  recordWebhookEvent,
  recordWebhookEvents,
  refreshTokenReused,
  sessionCreated,
  sessionsRevoked,
} from './webhooks/events';

export interface TokenPair {
  access_token: string;
  refresh_token: string;
}

export type SessionEndReason = Extract<ErrorReason, 'session_revoked' | 'session_expired' | 'session_idle_expired'>;

function idleCutoff(deps: Deps, now: Date): Date {
  return new Date(now.getTime() - deps.config.sessionIdleTimeoutSeconds * 1000);
}

/** Why a session is over, or null while it is live. One definition for refresh and bearer calls. */
export function sessionEndReason(
  session: Pick<SessionRow, 'revokedAt' | 'expiresAt' | 'lastAccessedAt'>,
  now: Date,
  idleTimeoutSeconds: number,
): SessionEndReason | null {
  if (session.revokedAt) return 'session_revoked';
  if (session.expiresAt.getTime() <= now.getTime()) return 'session_expired';
  if (session.lastAccessedAt.getTime() <= now.getTime() - idleTimeoutSeconds * 1000) return 'session_idle_expired';
  return null;
}

/** A new session and its first token pair; the caller audits it as a sign-up or a sign-in. */
export async function startSession(
  deps: Deps,
  { userId, organizationId, origin }: { userId: string; organizationId: string; origin: RequestOrigin },
): Promise<{ sessionId: string; tokens: TokenPair }> {
  const now = deps.clock.now();
  const sessionId = randomUUID();
  const refreshToken = randomSecret();
  const expiresAt = new Date(now.getTime() + deps.config.sessionAbsoluteTimeoutSeconds * 1000);
  await deps.db.transaction(async (tx) => {
    await insertSessionWithRefreshToken(
      tx,
      {
        id: sessionId,
        userId,
        organizationId,
        userAgent: origin.userAgent,
        clientHints: origin.clientHints ?? null,
        ipAddress: origin.ipAddress,
        createdAt: now,
        lastAccessedAt: now,
        // Every session starts with a password just proved (sign-in, sign-up): it starts fresh.
        authenticatedAt: now,
        expiresAt,
      },
      hashSecret(refreshToken),
    );
    await recordWebhookEvent(tx, sessionCreated({ sessionId, userId, organizationId, origin, createdAt: now, expiresAt }));
  });
  const accessToken = await deps.accessTokens.sign({ userId, sessionId, organizationId }, now);
  return { sessionId, tokens: { access_token: accessToken, refresh_token: refreshToken } };
}

/**
 * Rotates a refresh token. The fast path is one statement; only a token that did not
 * rotate takes a second look, to tell a concurrent duplicate (answered with the same
 * successor) from reuse of an old token (the session is ended) and from a dead session.
 */
export async function refreshSession(
  deps: Deps,
  input: { refreshToken: string; callerOrganizationId: string | null; origin: RequestOrigin },
): Promise<TokenPair> {
  try {
    const { tokens, outcome } = await rotateOrExplain(deps, input);
    deps.telemetry.refreshed(outcome);
    return tokens;
  } catch (error) {
    deps.telemetry.refreshed(
      error instanceof AppError && error.reason === 'refresh_token_reused' ? 'reuse_detected' : 'refused',
    );
    // Guessing or replaying tokens costs the caller's address; a 429 replaces the 401 past the limit.
    if (error instanceof AppError && error.code === 'UNAUTHORIZED') {
      await deps.rateLimits.consumeRefreshFailure(input.origin.ipAddress);
    }
    throw error;
  }
}

async function rotateOrExplain(
  deps: Deps,
  {
    refreshToken,
    callerOrganizationId,
    origin,
  }: { refreshToken: string; callerOrganizationId: string | null; origin: RequestOrigin },
): Promise<{ tokens: TokenPair; outcome: 'rotated' | 'grace_replay' }> {
  // Judged at the moment each statement runs, however long the request waited for the database.
  const at = statementTime(deps.clock);
  const tokenHash = hashSecret(refreshToken);
  const successor = deriveSuccessorToken(deps.refreshDerivationKey, refreshToken);
  const successorHash = hashSecret(successor);

  const rotated = await rotateRefreshToken(deps.db, {
    tokenHash,
    successorHash,
    now: at,
    idleTimeoutSeconds: deps.config.sessionIdleTimeoutSeconds,
    organizationId: callerOrganizationId,
    ipAddress: origin.ipAddress,
    userAgent: origin.userAgent,
  });
  if (rotated) {
    const accessToken = await deps.accessTokens.sign(rotated, deps.clock.now());
    return { tokens: { access_token: accessToken, refresh_token: successor }, outcome: 'rotated' };
  }

  const state = await inspectRefreshToken(deps.db, tokenHash, successorHash, at);
  // A token of another organization than the caller's is answered exactly like an unknown one.
  if (!state || (callerOrganizationId !== null && state.organizationId !== callerOrganizationId)) {
    throw new AppError('invalid_refresh_token');
  }
  const now = state.checkedAt;
  const ended = sessionEndReason(
    { revokedAt: state.sessionRevokedAt, expiresAt: state.sessionExpiresAt, lastAccessedAt: state.sessionLastAccessedAt },
    now,
    deps.config.sessionIdleTimeoutSeconds,
  );
  if (ended) throw new AppError(ended);
  assertOrganizationActive({ status: state.organizationStatus });
  if (state.rotatedAt === null) {
    // Current yet not rotated: the session changed between the two statements. Safe to refuse.
    throw new AppError('invalid_refresh_token');
  }
  const actor: AuditActor = { ...state, origin };
  if (isWithinGraceWindow(deps, state)) {
    await recordAuditEvent(deps.db, 'refresh', actor, now, { withinGraceWindow: true });
    const accessToken = await deps.accessTokens.sign(state, deps.clock.now());
    return { tokens: { access_token: accessToken, refresh_token: successor }, outcome: 'grace_replay' };
  }
  await endCompromisedSession(deps, state, origin, now);
  throw new AppError('refresh_token_reused');
}

/**
 * Reuse of a rotated-out token (by refresh or by logout): whoever holds it, the session can
 * no longer be trusted. It ends, and so do the API keys created in it, so that whoever stole
 * the session keeps nothing. Committed before the caller answers, never rolled back with a 401.
 */
async function endCompromisedSession(deps: Deps, state: RefreshTokenState, origin: RequestOrigin, now: Date): Promise<void> {
  const actor: AuditActor = { ...state, origin };
  const rotatedAt = state.rotatedAt ?? now;
  const rotatedBy = { ipAddress: state.rotatedByIp, userAgent: state.rotatedByUserAgent };
  await deps.db.transaction(async (tx) => {
    const ended = await revokeSessionById(tx, state.sessionId, now, 'refresh_token_reused');
    const revokedKeys = await revokeSessionApiKeys(tx, state.sessionId, now, 'session_compromised');
    await recordAuditEvent(tx, 'refresh_token_reused', actor, now, {
      tokenRotatedAt: rotatedAt.toISOString(),
      rotatedBy,
      replayedBy: origin,
      apiKeysRevoked: revokedKeys.length,
    });
    for (const apiKey of revokedKeys) {
      await recordAuditEvent(tx, 'api_key_revoked', actor, now, { apiKeyId: apiKey.id, reason: 'session_compromised' });
    }
    await recordWebhookEvents(tx, [
      refreshTokenReused(state, { detectedAt: now, tokenRotatedAt: rotatedAt, rotatedBy, replayedBy: origin }),
      ...(ended ? sessionsRevoked(state, [state.sessionId], 'refresh_token_reused', now) : []),
      ...revokedKeys.map((apiKey) => apiKeyRevoked(apiKey, now, 'session_compromised')),
    ]);
  });
}

/**
 * A replay of the immediate predecessor of the current token, shortly after it rotated, is
 * two tabs or a retried request racing, not theft: it gets the same successor. Time in which
 * the database could not be used does not count: a client whose answer was lost in a failover
 * can only retry once a new primary serves.
 */
function isWithinGraceWindow(deps: Deps, state: RefreshTokenState): boolean {
  if (!state.successorIsCurrent || !state.rotatedAt) return false;
  const outageMs = deps.databaseHealth.unavailableMsBetween(state.rotatedAt, state.checkedAt);
  return state.checkedAt.getTime() - state.rotatedAt.getTime() - outageMs < deps.config.refreshReuseGraceSeconds * 1000;
}

/**
 * RFC 7009: a token that is unknown, already dead, or not the caller's organization's
 * changes nothing and is not an error. A live token (the current one, or its predecessor
 * inside the grace window) ends its session. A rotated-out token of a live session is
 * reuse, exactly as if it had been sent to refresh: after a thief rotated a stolen token,
 * the victim's "sign out" ends the thief's session too.
 */
export async function endSessionByRefreshToken(
  deps: Deps,
  {
    refreshToken,
    callerOrganizationId,
    origin,
  }: { refreshToken: string; callerOrganizationId: string | null; origin: RequestOrigin },
): Promise<void> {
  const now = deps.clock.now();
  const successorHash = hashSecret(deriveSuccessorToken(deps.refreshDerivationKey, refreshToken));
  const state = await inspectRefreshToken(deps.db, hashSecret(refreshToken), successorHash, statementTime(deps.clock));
  if (!state) return;
  if (callerOrganizationId !== null && state.organizationId !== callerOrganizationId) return;
  const ended = sessionEndReason(
    { revokedAt: state.sessionRevokedAt, expiresAt: state.sessionExpiresAt, lastAccessedAt: state.sessionLastAccessedAt },
    now,
    deps.config.sessionIdleTimeoutSeconds,
  );
  if (ended) return;
  if (state.rotatedAt !== null && !isWithinGraceWindow(deps, state)) {
    deps.telemetry.refreshed('reuse_detected');
    await endCompromisedSession(deps, state, origin, now);
    return;
  }
  await endUserSessionRecorded(deps.db, sessionEnding(state, { sessionId: state.sessionId, now, reason: 'logout' }, 'logout', { ...state, origin }));
}

export async function listUserSessions(deps: Deps, userId: string): Promise<ListedSessionRow[]> {
  const now = deps.clock.now();
  return listActiveUserSessions(deps.db, userId, { now, idleCutoff: idleCutoff(deps, now) });
}
