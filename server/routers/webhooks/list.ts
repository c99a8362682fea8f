import type { WebhookEndpointRow } from '../../db/queries/webhooks';
import type { WebhookEventType } from '../../domain/webhooks/events';
import { listWebhookEndpoints } from '../../domain/webhooks/endpoints';
import { sessionProcedure } from '../../trpc/init';
import { webhookEndpointsResponse } from './webhooks.schema';

/** The listing's view of an endpoint: never its secret. */
export function endpointView(row: WebhookEndpointRow) {
  return {
    id: row.id,
    url: row.url,
    events: row.events as WebhookEventType[] | null,
    description: row.description,
    enabled: row.disabledAt === null,
    disabledAt: row.disabledAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

export const list = sessionProcedure
  .meta({
    openapi: {
      method: 'POST',
      path: '/auth/webhooks',
      tags: ['webhooks'],
      summary: "List the organization's webhook endpoints",
      description: 'Never returns a signing secret.',
    },
  })
  .output(webhookEndpointsResponse)
  .query(async ({ ctx }) => {
    const rows = await listWebhookEndpoints(ctx.deps, ctx.caller.organization.id);
    return { webhooks: rows.map(endpointView) };
  });
