import { revokeOwnSession } from '../../domain/user-sessions';
import { userProcedure } from '../../trpc/init';
import { actorOf } from '../actor';
import { messageResponse } from '../common.schema';
import { revokeSessionInput } from './auth.schema';

export const revokeSession = userProcedure
  .meta({
    openapi: {
      method: 'POST',
      path: '/auth/revoke-session',
      tags: ['auth'],
      summary: 'Revoke a specific session by ID',
      description:
        "Ends one of the caller's sessions. A session of someone else answers 404, exactly like one that " +
        'does not exist; one of the caller\'s own that has already ended answers 200.',
      errorResponses: { 400: 'sessionId is not a UUID', 404: 'No such session for this user' },
    },
  })
  .input(revokeSessionInput)
  .output(messageResponse)
  .mutation(async ({ ctx, input }) => {
    await revokeOwnSession(ctx.deps, actorOf(ctx.caller, ctx.origin), input.sessionId.toLowerCase());
    return { message: 'Session revoked successfully' };
  });
