import { revokeApiKey } from '../../domain/api-keys';
import { sessionProcedure } from '../../trpc/init';
import { actorOf } from '../actor';
import { messageResponse } from '../common.schema';
import { revokeApiKeyInput } from './api-keys.schema';

export const revoke = sessionProcedure
  .meta({
    openapi: {
      method: 'POST',
      path: '/auth/api-keys/revoke',
      tags: ['api-keys'],
      summary: 'Revoke an API key',
      description: "The key stops working at once. A key of another organization answers 404, like an unknown one.",
      errorResponses: { 404: "No such key in the caller's organization" },
    },
  })
  .input(revokeApiKeyInput)
  .output(messageResponse)
  .mutation(async ({ ctx, input }) => {
    await revokeApiKey(ctx.deps.db, ctx.caller.organization.id, input.id, ctx.deps.clock.now(), actorOf(ctx.caller, ctx.origin));
    return { message: 'API key revoked successfully' };
  });
