import { findApiKeyWithOwnerByHash, touchApiKeyLastUsed } from '../db/queries/api-keys';
import type { OrganizationRow } from '../db/queries/organizations';
import { findSessionWithOwner, touchSessionLastAccessed } from '../db/queries/sessions';
import type { CallerUserRow } from '../db/queries/users';
import { AppError, type ErrorReason } from '../errors';
import type { Deps } from './deps';
import { assertOrganizationActive } from './organizations';
import { sessionEndReason } from './sessions';
import { hashSecret, type VerifiedAccessToken } from './tokens';

/** lastAccessedAt / lastUsedAt are written at most this often, so reads stay cheap. */
const ACTIVITY_WRITE_INTERVAL_SECONDS = 60;

export type Caller =
  | { kind: 'anonymous' }
  | {
      kind: 'user';
      user: CallerUserRow;
      organization: OrganizationRow;
      /** Set when the call carries a Bearer access token: the "current session". */
      sessionId: string | null;
      /** Set when the call carries an x-api-key. */
      apiKeyId: string | null;
    };

export interface PresentedCredentials {
  authorization: string | undefined;
  apiKey: string | undefined;
}

/**
 * The one place that decides who is calling, for every procedure:
 * Bearer access token (its session must be live), else x-api-key (acting as the key's
 * user), else anonymous. Both sent: both must be valid and of the same organization.
 */
export async function resolveCaller(deps: Deps, credentials: PresentedCredentials): Promise<Caller> {
  const bearer = credentials.authorization === undefined ? undefined : parseBearer(credentials.authorization);
  const [viaSession, viaKey] = await Promise.all([
    bearer === undefined ? null : callerFromAccessToken(deps, bearer),
    credentials.apiKey === undefined ? null : callerFromApiKey(deps, credentials.apiKey),
  ]);
  if (viaSession && viaKey) {
    if (viaSession.organization.id !== viaKey.organization.id) throw new AppError('credentials_mismatch');
    return { ...viaSession, apiKeyId: viaKey.apiKeyId };
  }
  return viaSession ?? viaKey ?? { kind: 'anonymous' };
}

function parseBearer(header: string): string {
  const match = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(header);
  if (!match) throw new AppError('invalid_access_token', 'Authorization header must be "Bearer <access_token>"');
  return match[1]!;
}

/**
 * An access token and the live session it names, with its user and organization; else why it is
 * refused. Reads only (no activity touch): a Bearer call and introspection both judge a token by
 * it, so that introspection calls a token active exactly when a Bearer call would accept it.
 * Whether the organization may call is left to each, as each answers it differently.
 */
export async function liveSessionOfAccessToken(
  deps: Deps,
  token: string,
  now: Date,
): Promise<
  | { ok: true; claims: VerifiedAccessToken; found: NonNullable<Awaited<ReturnType<typeof findSessionWithOwner>>> }
  | { ok: false; reason: ErrorReason }
> {
  const verified = await deps.accessTokens.verify(token, now);
  if (!verified.ok) return verified;
  const found = await findSessionWithOwner(deps.db, verified.claims.sessionId);
  // The token verified, so its session existed; if it is gone it was purged after ending.
  if (!found) return { ok: false, reason: 'session_revoked' };
  // Claims that disagree with the session were not minted by this service for it.
  if (found.user.id !== verified.claims.userId || found.organization.id !== verified.claims.organizationId) {
    return { ok: false, reason: 'invalid_access_token' };
  }
  // An access token of an ended session is refused at once, not when it expires.
  const ended = sessionEndReason(found.session, now, deps.config.sessionIdleTimeoutSeconds);
  if (ended) return { ok: false, reason: ended };
  return { ok: true, claims: verified.claims, found };
}

async function callerFromAccessToken(deps: Deps, token: string): Promise<Caller & { kind: 'user' }> {
  const now = deps.clock.now();
  const resolved = await liveSessionOfAccessToken(deps, token, now);
  if (!resolved.ok) throw new AppError(resolved.reason);
  const { found } = resolved;
  assertOrganizationActive(found.organization);
  if (now.getTime() - found.session.lastAccessedAt.getTime() >= ACTIVITY_WRITE_INTERVAL_SECONDS * 1000) {
    await touchSessionLastAccessed(deps.db, found.session.id, now, ACTIVITY_WRITE_INTERVAL_SECONDS);
  }
  return {
    kind: 'user',
    user: found.user,
    organization: found.organization,
    sessionId: found.session.id,
    apiKeyId: null,
  };
}

async function callerFromApiKey(deps: Deps, secret: string): Promise<Caller & { kind: 'user' }> {
  const now = deps.clock.now();
  const found = secret === '' ? null : await findApiKeyWithOwnerByHash(deps.db, hashSecret(secret));
  if (!found) throw new AppError('invalid_api_key');
  if (found.apiKey.revokedAt) throw new AppError('api_key_revoked');
  if (found.apiKey.expiresAt && found.apiKey.expiresAt.getTime() <= now.getTime()) {
    throw new AppError('api_key_expired');
  }
  assertOrganizationActive(found.organization);
  await deps.rateLimits.consumeApiKeyCall(found.apiKey.id);
  const lastUsed = found.apiKey.lastUsedAt?.getTime() ?? 0;
  if (now.getTime() - lastUsed >= ACTIVITY_WRITE_INTERVAL_SECONDS * 1000) {
    await touchApiKeyLastUsed(deps.db, found.apiKey.id, now, ACTIVITY_WRITE_INTERVAL_SECONDS);
  }
  return {
    kind: 'user',
    user: found.user,
    organization: found.organization,
    sessionId: null,
    apiKeyId: found.apiKey.id,
  };
}
