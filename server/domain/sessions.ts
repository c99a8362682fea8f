import { randomUUID } from 'node:crypto';
import {
  insertSessionWithRefreshToken,
  listActiveUserSessions,
  revokeSessionById,
  revokeUserSession,
  revokeUserSessions,
  type SessionRow,
} from '../db/queries/sessions';
import { inspectRefreshToken, rotateRefreshToken, type RefreshTokenState } from '../db/queries/refresh-tokens';
import { AppError, type ErrorReason } from '../errors';
import type { Deps, RequestOrigin } from './deps';
import { assertOrganizationActive } from './organizations';
import { deriveSuccessorToken, hashSecret, randomSecret } from './tokens';

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

export async function startSession(
  deps: Deps,
  { userId, organizationId, origin }: { userId: string; organizationId: string; origin: RequestOrigin },
): Promise<TokenPair> {
  const now = deps.clock.now();
  const sessionId = randomUUID();
  const refreshToken = randomSecret();
  await insertSessionWithRefreshToken(
    deps.db,
    {
      id: sessionId,
      userId,
      organizationId,
      userAgent: origin.userAgent,
      ipAddress: origin.ipAddress,
      createdAt: now,
      lastAccessedAt: now,
      expiresAt: new Date(now.getTime() + deps.config.sessionAbsoluteTimeoutSeconds * 1000),
    },
    hashSecret(refreshToken),
  );
  const accessToken = await deps.accessTokens.sign({ userId, sessionId, organizationId }, now);
  return { access_token: accessToken, refresh_token: refreshToken };
}

/**
 * Rotates a refresh token. The fast path is one statement; only a token that did not
 * rotate takes a second look, to tell a concurrent duplicate (answered with the same
 * successor) from reuse of an old token (the session is ended) and from a dead session.
 */
export async function refreshSession(
  deps: Deps,
  { refreshToken, callerOrganizationId }: { refreshToken: string; callerOrganizationId: string | null },
): Promise<TokenPair> {
  const now = deps.clock.now();
  const tokenHash = hashSecret(refreshToken);
  const successor = deriveSuccessorToken(deps.refreshDerivationKey, refreshToken);
  const successorHash = hashSecret(successor);

  const rotated = await rotateRefreshToken(deps.db, {
    tokenHash,
    successorHash,
    now,
    idleCutoff: idleCutoff(deps, now),
    organizationId: callerOrganizationId,
  });
  if (rotated) {
    return { access_token: await deps.accessTokens.sign(rotated, now), refresh_token: successor };
  }

  const state = await inspectRefreshToken(deps.db, tokenHash, successorHash);
  // A token of another organization than the caller's is answered exactly like an unknown one.
  if (!state || (callerOrganizationId !== null && state.organizationId !== callerOrganizationId)) {
    throw new AppError('invalid_refresh_token');
  }
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
  if (isWithinGraceWindow(deps, state, now)) {
    return { access_token: await deps.accessTokens.sign(state, now), refresh_token: successor };
  }
  // Reuse of a rotated-out token: whoever holds it, the session can no longer be trusted.
  // This revocation is committed before the 401 is thrown, never rolled back with it.
  await revokeSessionById(deps.db, state.sessionId, now, 'refresh_token_reused');
  throw new AppError('refresh_token_reused');
}

/**
 * A replay of the immediate predecessor of the current token, shortly after it rotated, is
 * two tabs or a retried request racing, not theft: it gets the same successor.
 */
function isWithinGraceWindow(deps: Deps, state: RefreshTokenState, now: Date): boolean {
  if (!state.successorIsCurrent || !state.rotatedAt) return false;
  return now.getTime() - state.rotatedAt.getTime() < deps.config.refreshReuseGraceSeconds * 1000;
}

/**
 * RFC 7009: a token that is unknown, already dead, or not the caller's organization's
 * changes nothing and is not an error. A live token (the current one, or its predecessor
 * inside the grace window) ends its session.
 */
export async function endSessionByRefreshToken(
  deps: Deps,
  { refreshToken, callerOrganizationId }: { refreshToken: string; callerOrganizationId: string | null },
): Promise<void> {
  const now = deps.clock.now();
  const successorHash = hashSecret(deriveSuccessorToken(deps.refreshDerivationKey, refreshToken));
  const state = await inspectRefreshToken(deps.db, hashSecret(refreshToken), successorHash);
  if (!state) return;
  if (callerOrganizationId !== null && state.organizationId !== callerOrganizationId) return;
  if (state.rotatedAt !== null && !isWithinGraceWindow(deps, state, now)) return;
  await revokeSessionById(deps.db, state.sessionId, now, 'logout');
}

export async function endAllUserSessions(deps: Deps, userId: string): Promise<void> {
  await revokeUserSessions(deps.db, { userId, now: deps.clock.now(), reason: 'logout_all' });
}

export async function listUserSessions(deps: Deps, userId: string): Promise<SessionRow[]> {
  const now = deps.clock.now();
  return listActiveUserSessions(deps.db, userId, { now, idleCutoff: idleCutoff(deps, now) });
}

/** Someone else's session is answered exactly like one that does not exist. */
export async function revokeOwnSession(deps: Deps, { userId, sessionId }: { userId: string; sessionId: string }) {
  const result = await revokeUserSession(deps.db, { userId, sessionId, now: deps.clock.now(), reason: 'revoked' });
  if (!result) throw new AppError('session_not_found');
}

