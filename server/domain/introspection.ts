import { inspectRefreshToken } from '../db/queries/refresh-tokens';
import { statementTime } from '../clock';
import { liveSessionOfAccessToken, type Caller } from './caller';
import type { Deps } from './deps';
import { sessionEndReason } from './sessions';
import { deriveSuccessorToken, hashSecret } from './tokens';

export const TOKEN_TYPE_HINTS = ['access_token', 'refresh_token'] as const;
export type TokenType = (typeof TOKEN_TYPE_HINTS)[number];

export type Introspection =
  | { active: false }
  | {
      active: true;
      token_type: 'access_token';
      sub: string;
      sid: string;
      org: string;
      exp: number;
      iat: number;
      iss: string;
      aud: string;
      jti: string;
    }
  | { active: true; token_type: 'refresh_token'; sub: string; sid: string; org: string };

const INACTIVE: Introspection = { active: false };

/** A refresh token is base64url text (43 characters today); anything else is not looked up in the database. */
const REFRESH_TOKEN_SHAPE = /^[A-Za-z0-9_-]{1,512}$/;

/**
 * RFC 7662 introspection for a caller of `callerOrganizationId`. Reads only: it never rotates,
 * revokes, audits or touches a session, so asking about a token is never a way to change its
 * fate (no reuse detection either). Every token that is unknown, malformed, ended, expired,
 * or of another organization than the caller's answers the same `{active: false}`, so that
 * it is no oracle for other organizations' tokens. The hinted type is tried first; an unknown
 * hint is ignored (RFC 7662 §2.1).
 *
 * A refresh token is active only while it is the current token of a live session. A token
 * rotated out moments ago, which a refresh would still accept inside the grace window (a
 * race between tabs), is inactive here: it is no longer the session's token, and saying
 * more would tell the caller something about the successor's existence for nothing.
 */
export async function introspectToken(
  deps: Deps,
  caller: Caller & { kind: 'user' },
  { token, hint }: { token: string; hint: string | undefined },
): Promise<Introspection> {
  // A key's calls are counted when the key is resolved; a Bearer caller's introspections here, per session.
  if (caller.apiKeyId === null && caller.sessionId !== null) await deps.rateLimits.consumeSessionIntrospection(caller.sessionId);
  if (token === '') return INACTIVE;
  const callerOrganizationId = caller.organization.id;
  const order: TokenType[] = hint === 'refresh_token' ? ['refresh_token', 'access_token'] : ['access_token', 'refresh_token'];
  for (const type of order) {
    const answer =
      type === 'access_token'
        ? await introspectAccessToken(deps, token, callerOrganizationId)
        : await introspectRefreshToken(deps, token, callerOrganizationId);
    if (answer.active) return answer;
  }
  return INACTIVE;
}

async function introspectAccessToken(deps: Deps, token: string, callerOrganizationId: string): Promise<Introspection> {
  // Judged as a Bearer call judges it (domain/caller.ts): claims that disagree with the session, an
  // ended session or an organization that may not call: the token would be refused, so it is inactive.
  const resolved = await liveSessionOfAccessToken(deps, token, deps.clock.now());
  if (!resolved.ok) return INACTIVE;
  const { claims, found } = resolved;
  if (claims.organizationId !== callerOrganizationId || found.organization.status !== 'active') return INACTIVE;
  return {
    active: true,
    token_type: 'access_token',
    sub: claims.userId,
    sid: claims.sessionId,
    org: claims.organizationId,
    exp: claims.expiresAt,
    iat: claims.issuedAt,
    iss: claims.issuer,
    aud: claims.audience,
    jti: claims.tokenId,
  };
}

async function introspectRefreshToken(deps: Deps, token: string, callerOrganizationId: string): Promise<Introspection> {
  if (!REFRESH_TOKEN_SHAPE.test(token)) return INACTIVE;
  const successorHash = hashSecret(deriveSuccessorToken(deps.refreshDerivationKey, token));
  // The same read a refresh makes to explain a refusal, judged by the same clock (the database's in production).
  const state = await inspectRefreshToken(deps.db, hashSecret(token), successorHash, statementTime(deps.clock));
  if (!state || state.organizationId !== callerOrganizationId) return INACTIVE;
  if (state.rotatedAt !== null) return INACTIVE;
  const ended = sessionEndReason(
    { revokedAt: state.sessionRevokedAt, expiresAt: state.sessionExpiresAt, lastAccessedAt: state.sessionLastAccessedAt },
    state.checkedAt,
    deps.config.sessionIdleTimeoutSeconds,
  );
  if (ended || state.organizationStatus !== 'active') return INACTIVE;
  return { active: true, token_type: 'refresh_token', sub: state.userId, sid: state.sessionId, org: state.organizationId };
}
