import { createApiKey } from '../../domain/api-keys';
import { assertFreshSession } from '../../domain/fresh-session';
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
      description:
        'The key acts as the user who creates it. Its secret is in the answer once and never again. ' +
        'Needs a fresh session (signed in or reauthenticated within REAUTH_MAX_AGE_SECONDS) or currentPassword; ' +
        'otherwise 403 reauthentication_required. Keys created in a session are revoked if that session is found stolen.',
      successDescription: 'Created',
    },
  })
  .input(createApiKeyInput)
  .output(createdApiKeyResponse)
  .mutation(async ({ ctx, input }) => {
    const actor = actorOf(ctx.caller, ctx.origin);
    await assertFreshSession(ctx.deps, actor, input.currentPassword);
    const { apiKey, secret } = await createApiKey(
      ctx.deps.db,
      {
        organizationId: ctx.caller.organization.id,
        userId: ctx.caller.user.id,
        name: input.name,
        expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
        createdInSessionId: ctx.caller.sessionId,
      },
      ctx.deps.clock.now(),
      actor,
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
