import type { Caller } from '../../domain/caller';

/** The organization a token must belong to when the caller is known; null for anonymous calls. */
export function callerOrganizationId(caller: Caller): string | null {
  return caller.kind === 'user' ? caller.organization.id : null;
}
