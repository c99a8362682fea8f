import { endAllUserSessions } from '../../domain/user-sessions';
import { userProcedure } from '../../trpc/init';
import { actorOf } from '../actor';
import { messageResponse } from '../common.schema';

export const logoutAll = userProcedure
  .meta({
    openapi: {
      method: 'POST',
      path: '/auth/logout-all',
      tags: ['auth'],
      summary: 'Logout from all sessions',
      description: "Ends every session of the calling user. The organization's API keys keep working.",
    },
  })
  .output(messageResponse)
  .mutation(async ({ ctx }) => {
    await endAllUserSessions(ctx.deps, actorOf(ctx.caller, ctx.origin));
    return { message: 'All sessions logged out successfully' };
  });
