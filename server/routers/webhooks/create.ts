import type { WebhookEventType } from '../../domain/webhooks/events';
import { createWebhookEndpoint } from '../../domain/webhooks/endpoints';
import { sessionProcedure } from '../../trpc/init';
import { actorOf } from '../actor';
import { createdWebhookResponse, createWebhookInput } from './webhooks.schema';

export const create = sessionProcedure
  .meta({
    openapi: {
      method: 'POST',
      path: '/auth/webhooks/create',
      tags: ['webhooks'],
      summary: 'Create a webhook endpoint',
      description:
        'Events of the organization are POSTed to the URL, signed as Standard Webhooks specifies. Needs a fresh ' +
        'session (or currentPassword). The signing secret is in the answer once and never again.',
      successDescription: 'Created',
      errorResponses: { 409: 'The organization already has the maximum number of endpoints' },
    },
  })
  .input(createWebhookInput)
  .output(createdWebhookResponse)
  .mutation(async ({ ctx, input }) => {
    const { endpoint, secret } = await createWebhookEndpoint(ctx.deps, actorOf(ctx.caller, ctx.origin), input);
    return {
      id: endpoint.id,
      url: endpoint.url,
      events: endpoint.events as WebhookEventType[] | null,
      description: endpoint.description,
      secret,
      createdAt: endpoint.createdAt.toISOString(),
    };
  });
