import { login as loginAccount } from '../../domain/accounts';
import { anonymousProcedure } from '../../trpc/init';
import { authResponse } from '../common.schema';
import { loginInput } from './auth.schema';
import { callerOrganizationId } from './caller-organization';

export const login = anonymousProcedure
  .meta({
    openapi: {
      method: 'POST',
      path: '/auth/login',
      tags: ['auth'],
      summary: 'Sign in with email and password',
      description:
        'Starts a new session. A wrong password and an unknown email get the same answer. An API key sent ' +
        "along must be of the user's organization.",
    },
  })
  .input(loginInput)
  .output(authResponse)
  .mutation(({ ctx, input }) =>
    loginAccount(
      ctx.deps,
      { email: input.email, password: input.password, callerOrganizationId: callerOrganizationId(ctx.caller) },
      ctx.origin,
    ),
  );
