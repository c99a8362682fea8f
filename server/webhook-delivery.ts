import type { Logger } from 'pino';
import { countPendingDeliveries } from './db/queries/webhook-deliveries';
import type { Deps } from './domain/deps';
import { createHttpTransport } from './domain/webhooks/transport';
import { createWebhookWorker, type WebhookWorker } from './domain/webhooks/worker';
import type { Metrics } from './metrics';

/**
 * Every instance runs one: it claims due deliveries from the outbox and sends them. Logs say
 * which endpoint and event, never the URL (receivers put tokens in them) or the secret.
 */
export function startWebhookDelivery({ deps, metrics, logger }: { deps: Deps; metrics: Metrics; logger: Logger }): WebhookWorker {
  const worker = createWebhookWorker({
    db: deps.db,
    clock: deps.clock,
    webhookSecretKey: deps.webhookSecretKey,
    transport: createHttpTransport({ allowPrivate: deps.config.webhookAllowPrivateUrls }),
    pollIntervalMs: deps.config.webhookPollIntervalMs,
    onAttempt(report) {
      metrics.webhookAttempt(report.outcome);
      const { outcome, endpointId, eventId, eventType, attempt, responseStatus, error, durationMs } = report;
      const fields = { outcome, endpointId, eventId, eventType, attempt, responseStatus, error, durationMs };
      if (outcome === 'succeeded') logger.debug(fields, 'webhook delivered');
      else logger.warn(fields, outcome === 'disabled' ? 'webhook endpoint answered 410 and was disabled' : 'webhook delivery failed');
    },
    onError: (error) => logger.error({ err: error }, 'webhook delivery worker failed'),
  });
  metrics.webhookQueueDepthFrom(() => countPendingDeliveries(deps.db));
  worker.start();
  return worker;
}
