import type { Caller } from '../domain/caller';
import type { RequestOrigin } from '../domain/deps';

type UserCaller = Caller & { kind: 'user' };

/** The audit-log view of a caller acting as a user; keeps "has a session" in the type when the procedure guarantees it. */
export function actorOf<C extends UserCaller>(caller: C, origin: RequestOrigin) {
  return {
    organizationId: caller.organization.id,
    userId: caller.user.id,
    sessionId: caller.sessionId as C['sessionId'],
    apiKeyId: caller.apiKeyId,
    origin,
  };
}
