import { reauthenticate as reauthenticateUser } from '../../domain/accounts';
import { sessionProcedure } from '../../trpc/init';
import { actorOf } from '../actor';
import { messageResponse } from '../common.schema';
import { reauthenticateInput } from './auth.schema';

export const reauthenticate = sessionProcedure
  .meta({
    openapi: {
      method: 'POST',
      path: '/auth/reauthenticate',
      tags: ['auth'],
      summary: 'Prove the password again',
      description:
        'Makes the session fresh for REAUTH_MAX_AGE_SECONDS (default 900), as a sign-in does: sensitive actions ' +
        '(creating an API key or a webhook endpoint) need a fresh session. Refreshing does not make a session fresh. ' +
        'A wrong password counts as a failed sign-in and is 403 (not 401: the session itself is fine).',
    },
  })
  .input(reauthenticateInput)
  .output(messageResponse)
  .mutation(async ({ ctx, input }) => {
    await reauthenticateUser(ctx.deps, actorOf(ctx.caller, ctx.origin), input.password);
    return { message: 'Reauthenticated successfully' };
  });
