import { deleteWebhookEndpoint } from '../../domain/webhooks/endpoints';
import { sessionProcedure } from '../../trpc/init';
import { messageResponse } from '../common.schema';
import { webhookIdInput } from './webhooks.schema';

export const remove = sessionProcedure
  .meta({
    openapi: {
      method: 'POST',
      path: '/auth/webhooks/delete',
      tags: ['webhooks'],
      summary: 'Delete a webhook endpoint',
      description: 'Nothing more is sent to it, including retries. An endpoint of another organization answers 404.',
      errorResponses: { 404: "No such endpoint in the caller's organization" },
    },
  })
  .input(webhookIdInput)
  .output(messageResponse)
  .mutation(async ({ ctx, input }) => {
    await deleteWebhookEndpoint(ctx.deps, ctx.caller.organization.id, input.id);
    return { message: 'Webhook endpoint deleted successfully' };
  });
