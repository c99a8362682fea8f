import { refreshSession } from '../../domain/sessions';
import { publicProcedure } from '../../trpc/init';
import { authResponse } from '../common.schema';
import { refreshTokenInput } from './auth.schema';
import { callerOrganizationId } from './caller-organization';

export const refresh = publicProcedure
  .meta({
    openapi: {
      method: 'POST',
      path: '/auth/refresh',
      tags: ['auth'],
      summary: 'Refresh access token using refresh token',
      description:
        'Rotates the refresh token: the one presented stops being current and a new pair is returned. ' +
        'A duplicate of the same request within the grace window gets the same new refresh token; ' +
        'a token that was rotated out earlier ends its session (reuse detection) and answers 401.',
    },
  })
  .input(refreshTokenInput)
  .output(authResponse)
  .mutation(({ ctx, input }) =>
    refreshSession(ctx.deps, {
      refreshToken: input.refresh_token,
      callerOrganizationId: callerOrganizationId(ctx.caller),
      origin: ctx.origin,
    }),
  );
