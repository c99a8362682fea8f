import { endSessionByRefreshToken } from '../../domain/sessions';
import { publicProcedure } from '../../trpc/init';
import { messageResponse } from '../common.schema';
import { refreshTokenInput } from './auth.schema';
import { callerOrganizationId } from './caller-organization';

export const logout = publicProcedure
  .meta({
    openapi: {
      method: 'POST',
      path: '/auth/logout',
      tags: ['auth'],
      summary: 'Logout and invalidate refresh token',
      description:
        'Ends the session of the refresh token. As RFC 7009 asks, a token that is unknown, already ' +
        'ended, or of another organization than the caller also answers 200 and changes nothing.',
    },
  })
  .input(refreshTokenInput)
  .output(messageResponse)
  .mutation(async ({ ctx, input }) => {
    await endSessionByRefreshToken(ctx.deps, {
      refreshToken: input.refresh_token,
      callerOrganizationId: callerOrganizationId(ctx.caller),
      origin: ctx.origin,
    });
    return { message: 'Logged out successfully' };
  });
