import { introspectToken } from '../../domain/introspection';
import { userProcedure } from '../../trpc/init';
import { introspectInput, introspectResponse } from './introspect.schema';

/**
 * A mutation, although it changes nothing: over tRPC it is then always a POST, and the token
 * never travels in a URL (where access logs keep it).
 */
export const introspect = userProcedure
  .meta({
    openapi: {
      method: 'POST',
      path: '/auth/introspect',
      tags: ['auth'],
      summary: 'Token introspection (RFC 7662)',
      description:
        'For resource servers: is this access or refresh token live, and whose is it? Send an API key (x-api-key) ' +
        'or a Bearer token of the organization; the body may be form-encoded or JSON. An access token is active while ' +
        'it verifies and its session is live; a refresh token while it is the current token of a live session ' +
        '(one rotated out is inactive, even inside the grace window). Anything else, including a live token of ' +
        'another organization, answers exactly {active: false}. Asking changes nothing: no rotation, no revocation.',
      contentTypes: ['application/x-www-form-urlencoded', 'application/json'],
    },
  })
  .input(introspectInput)
  .output(introspectResponse)
  .mutation(({ ctx, input }) => introspectToken(ctx.deps, ctx.caller, { token: input.token, hint: input.token_type_hint }));
