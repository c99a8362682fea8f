import type { Deps, RequestOrigin } from './deps';

export interface SessionActor {
  organizationId: string;
  userId: string;
  sessionId: string;
  origin: RequestOrigin;
}

/**
 * Sensitive actions (creating an API key or a webhook endpoint) need a fresh session: one
 * whose user proved their password within REAUTH_MAX_AGE_SECONDS, or a `currentPassword`
 * sent with the request that verifies (a wrong one counts as a failed sign-in).
 * Throws AppError('reauthentication_required') otherwise.
 */
export async function assertFreshSession(
  _deps: Deps,
  _actor: SessionActor,
  _currentPassword: string | undefined,
): Promise<void> {
  // Filled in with the reauthentication work (issue 10, item 6).
}
