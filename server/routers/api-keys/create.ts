import { createApiKey } from '../../domain/api-keys';
import { sessionProcedure } from '../../trpc/init';
import { actorOf } from '../actor';
import { createApiKeyInput, createdApiKeyResponse } from './api-keys.schema';

export const create = sessionProcedure
  .meta({
    openapi: {
      method: 'POST',
      path: '/auth/api-keys/create',
      tags: ['api-keys'],
      summary: 'Create an API key',
      description: 'The key acts as the user who creates it. Its secret is in the answer once and never again.',
      successDescription: 'Created',
    },
  })
  .input(createApiKeyInput)
  .output(createdApiKeyResponse)
  .mutation(async ({ ctx, input }) => {
    const { apiKey, secret } = await createApiKey(
      ctx.deps.db,
      {
        organizationId: ctx.caller.organization.id,
        userId: ctx.caller.user.id,
        name: input.name,
        expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
      },
      ctx.deps.clock.now(),
      actorOf(ctx.caller, ctx.origin),
    );
    return {
      id: apiKey.id,
      name: apiKey.name,
      key: secret,
      prefix: apiKey.prefix,
      createdAt: apiKey.createdAt.toISOString(),
      expiresAt: apiKey.expiresAt?.toISOString() ?? null,
    };
  });
