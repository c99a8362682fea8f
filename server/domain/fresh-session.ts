import { findSessionAuthenticatedAt } from '../db/queries/sessions';
import { AppError } from '../errors';
import { verifyCurrentPassword } from './accounts';
import type { Deps, RequestOrigin } from './deps';
import { markSessionAuthenticated } from './user-sessions';

export interface SessionActor {
  organizationId: string;
  userId: string;
  sessionId: string;
  origin: RequestOrigin;
}

/**
 * Sensitive actions (creating an API key or a webhook endpoint) need a fresh session: one
 * whose user proved their password within REAUTH_MAX_AGE_SECONDS, or a `currentPassword`
 * sent with the request that verifies (a wrong one counts as a failed sign-in, and a right
 * one makes the session fresh). A stolen access or refresh token alone is not enough.
 */
export async function assertFreshSession(
  deps: Deps,
  actor: SessionActor,
  currentPassword: string | undefined,
): Promise<void> {
  if (currentPassword !== undefined) {
    await verifyCurrentPassword(deps, actor, currentPassword, 'sensitive_action');
    await markSessionAuthenticated(deps, actor.sessionId);
    return;
  }
  const authenticatedAt = await findSessionAuthenticatedAt(deps.db, actor.sessionId);
  const ageMs = authenticatedAt === null ? Infinity : deps.clock.now().getTime() - authenticatedAt.getTime();
  if (ageMs > deps.config.reauthMaxAgeSeconds * 1000) throw new AppError('reauthentication_required');
}
