import type { WebhookEventType } from '../../domain/webhooks/events';
import { listWebhookDeliveries } from '../../domain/webhooks/endpoints';
import { sessionProcedure } from '../../trpc/init';
import { webhookDeliveriesInput, webhookDeliveriesResponse } from './webhooks.schema';

export const deliveries = sessionProcedure
  .meta({
    openapi: {
      method: 'POST',
      path: '/auth/webhooks/deliveries',
      tags: ['webhooks'],
      summary: "An endpoint's recent delivery attempts",
      description: 'Newest first, 50 a page: pass nextCursor as cursor for the next one. Another organization\'s endpoint answers 404.',
      errorResponses: { 404: "No such endpoint in the caller's organization" },
    },
  })
  .input(webhookDeliveriesInput)
  .output(webhookDeliveriesResponse)
  .query(async ({ ctx, input }) => {
    const page = await listWebhookDeliveries(ctx.deps, ctx.caller.organization.id, { id: input.id, cursor: input.cursor ?? null });
    return {
      attempts: page.attempts.map((row) => ({
        id: String(row.id),
        eventId: row.eventId,
        eventType: row.eventType as WebhookEventType,
        attempt: row.attempt,
        status: row.status as 'succeeded' | 'failed',
        responseStatus: row.responseStatus,
        responseBody: row.responseBody,
        error: row.error,
        durationMs: row.durationMs,
        attemptedAt: row.attemptedAt.toISOString(),
      })),
      nextCursor: page.nextCursor,
    };
  });
