import { redeliverEvent } from '../../db/queries/webhook-deliveries';
import { listWebhookEndpointsWithCounts } from '../../db/queries/webhooks';
import type { Deps } from '../deps';
import { MAX_ATTEMPTS } from './schedule';

/** Endpoints (never their secrets) and how their deliveries stand, for operators. */
export async function listWebhooksForOperator(deps: Deps, organizationId: string | null) {
  const rows = await listWebhookEndpointsWithCounts(deps.db, organizationId);
  return rows.map(({ endpoint, pending, failed, succeeded }) => ({
    id: endpoint.id,
    organizationId: endpoint.organizationId,
    url: endpoint.url,
    events: endpoint.events,
    description: endpoint.description,
    enabled: endpoint.disabledAt === null,
    disabledAt: endpoint.disabledAt?.toISOString() ?? null,
    disabledReason: endpoint.disabledReason,
    createdAt: endpoint.createdAt.toISOString(),
    deliveries: { pending: Number(pending), failed: Number(failed), succeeded: Number(succeeded) },
  }));
}

/**
 * Sends an event again, with its original webhook-id, to one endpoint or to every endpoint
 * it went to. A delivery that had finished (succeeded or gave up) gets one more attempt; one
 * still retrying is simply brought forward. Disabled endpoints are skipped.
 */
export async function redeliverWebhookEvent(
  deps: Deps,
  { eventId, endpointId }: { eventId: string; endpointId: string | null },
): Promise<Array<{ deliveryId: number; endpointId: string }>> {
  const rows = await redeliverEvent(deps.db, { eventId, endpointId, now: deps.clock.now(), lastAttemptNumber: MAX_ATTEMPTS });
  return rows.map((row) => ({ deliveryId: Number(row.deliveryId), endpointId: row.endpointId }));
}
