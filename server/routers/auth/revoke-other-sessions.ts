import { endOtherUserSessions } from '../../domain/user-sessions';
import { sessionProcedure } from '../../trpc/init';
import { actorOf } from '../actor';
import { revokeOtherSessionsResponse } from './auth.schema';

export const revokeOtherSessions = sessionProcedure
  .meta({
    openapi: {
      method: 'POST',
      path: '/auth/revoke-other-sessions',
      tags: ['auth'],
      summary: 'Sign out everywhere else',
      description: 'Ends every session of the user except the one of the Bearer token making the call.',
    },
  })
  .output(revokeOtherSessionsResponse)
  .mutation(async ({ ctx }) => {
    const revokedCount = await endOtherUserSessions(ctx.deps, actorOf(ctx.caller, ctx.origin));
    return { message: 'Other sessions revoked successfully', revokedCount };
  });
