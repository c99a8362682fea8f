import { z } from 'zod';
import { listWebhooksForOperator, redeliverWebhookEvent } from '../domain/webhooks/admin';
import { text } from '../routers/common.schema';
import type { Command } from './commands';
import { CommandError, parseFlags } from './validate';

const id = text(64).min(1);

export const WEBHOOK_COMMANDS: Record<string, Command> = {
  'list-webhooks': {
    summary: 'List webhook endpoints (of one organization, or all) and how their deliveries stand; never their secrets',
    flags: [{ name: 'org', value: 'id', help: 'Optional: only this organization' }],
    parse: async (flags) => parseFlags(z.object({ org: id.optional() }), flags),
    async run(deps, { org }) {
      const webhooks = await listWebhooksForOperator(deps, org ?? null);
      const lines = webhooks.map(
        (w) =>
          `${w.id}  org ${w.organizationId}  ${w.enabled ? 'enabled' : `disabled (${w.disabledReason ?? '?'}) since ${w.disabledAt}`}  ` +
          `${w.url}  events ${w.events?.join(',') ?? 'all'}  pending ${w.deliveries.pending}, failed ${w.deliveries.failed}, ` +
          `succeeded ${w.deliveries.succeeded}`,
      );
      return { text: [`${webhooks.length} webhook endpoint(s)`, ...lines].join('\n'), json: { webhooks } };
    },
  },

  redeliver: {
    summary: 'Send an event again, with its original webhook-id (finished deliveries get one more attempt)',
    flags: [
      { name: 'event', value: 'id', help: 'The event id (msg_…, the webhook-id header)' },
      { name: 'endpoint', value: 'id', help: 'Optional: only to this endpoint (default: every endpoint it went to)' },
    ],
    parse: async (flags) => parseFlags(z.object({ event: id, endpoint: id.optional() }), flags),
    async run(deps, { event, endpoint }) {
      const scheduled = await redeliverWebhookEvent(deps, { eventId: event, endpointId: endpoint ?? null });
      if (scheduled.length === 0) {
        throw new CommandError(`No delivery of event ${event}${endpoint ? ` to endpoint ${endpoint}` : ''} to an enabled endpoint`);
      }
      return {
        text: `Event ${event} scheduled for redelivery to ${scheduled.map((row) => row.endpointId).join(', ')}; the server sends it within seconds`,
        json: { eventId: event, deliveries: scheduled },
      };
    },
  },
};
