import { register as registerAccount } from '../../domain/accounts';
import { anonymousProcedure } from '../../trpc/init';
import { authResponse } from '../common.schema';
import { registerInput } from './auth.schema';

export const register = anonymousProcedure
  .meta({
    openapi: {
      method: 'POST',
      path: '/auth/register',
      tags: ['auth'],
      summary: 'Create an organization and its first user, and sign in',
      description: 'The organization starts on the `trial` plan, `active`. Answers 201 with a token pair.',
      successDescription: 'Created and signed in',
      errorResponses: { 400: 'Invalid input', 409: 'The email is taken' },
    },
  })
  .input(registerInput)
  .output(authResponse)
  .mutation(({ ctx, input }) => registerAccount(ctx.deps, input, ctx.origin));
