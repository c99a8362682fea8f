import { changePassword as changeAccountPassword } from '../../domain/accounts';
import { sessionProcedure } from '../../trpc/init';
import { actorOf } from '../actor';
import { messageResponse } from '../common.schema';
import { changePasswordInput } from './auth.schema';

export const changePassword = sessionProcedure
  .meta({
    openapi: {
      method: 'POST',
      path: '/auth/change-password',
      tags: ['auth'],
      summary: 'Change the password',
      description:
        'Needs the current password. Every other session of the user ends; the one making the call stays. ' +
        'A wrong current password is 403 (not 401: the session itself is fine).',
    },
  })
  .input(changePasswordInput)
  .output(messageResponse)
  .mutation(async ({ ctx, input }) => {
    await changeAccountPassword(ctx.deps, actorOf(ctx.caller, ctx.origin), input);
    return { message: 'Password changed successfully' };
  });
