import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Telemetry } from './domain/deps';

/** Prometheus metrics of one Gatehouse process, served at GET /metrics. */
export function createMetrics({ processMetrics }: { processMetrics: boolean }) {
  const registry = new Registry();
  // Process metrics (memory, event loop lag, GC) are per process: only the real server collects them.
  if (processMetrics) collectDefaultMetrics({ register: registry, prefix: 'gatehouse_' });

  const requests = new Counter({
    name: 'gatehouse_http_requests_total',
    help: 'HTTP requests by operation and status code',
    labelNames: ['operation', 'status'] as const,
    registers: [registry],
  });
  const durations = new Histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'HTTP request latency by operation',
    labelNames: ['operation'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const refreshes = new Counter({
    name: 'gatehouse_refreshes_total',
    help: 'Refresh attempts by outcome: rotated, grace_replay, reuse_detected, refused',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const reuseDetections = new Counter({
    name: 'gatehouse_refresh_token_reuse_detections_total',
    help: 'Replays of rotated-out refresh tokens; each ended a session',
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'gatehouse_rate_limited_total',
    help: 'Requests refused with 429, by limit',
    labelNames: ['limit'] as const,
    registers: [registry],
  });

  const webhookDeliveries = new Counter({
    name: 'gatehouse_webhook_deliveries_total',
    help: 'Webhook delivery attempts made by this instance, by outcome: succeeded, retrying, failed (gave up), disabled (410)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  let webhookQueueSource: (() => Promise<{ due: number; scheduled: number }>) | null = null;
  new Gauge({
    name: 'gatehouse_webhook_queue_depth',
    help: 'Webhook deliveries waiting, all instances together: due now, or scheduled for a retry',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      if (!webhookQueueSource) return;
      try {
        const { due, scheduled } = await webhookQueueSource();
        this.set({ state: 'due' }, due);
        this.set({ state: 'scheduled' }, scheduled);
      } catch {
        // The database is unreachable: the other metrics are still served, /ready says why.
      }
    },
  });

  const telemetry: Telemetry = {
    refreshed(outcome) {
      refreshes.inc({ outcome });
      if (outcome === 'reuse_detected') reuseDetections.inc();
    },
    rateLimited(limit) {
      rateLimited.inc({ limit });
    },
  };

  return {
    registry,
    telemetry,
    observeRequest(operation: string, status: number, seconds: number) {
      requests.inc({ operation, status: String(status) });
      durations.observe({ operation }, seconds);
    },
    webhookAttempt(outcome: string) {
      webhookDeliveries.inc({ outcome });
    },
    /** The queue depth is read from the database at each scrape. */
    webhookQueueDepthFrom(source: () => Promise<{ due: number; scheduled: number }>) {
      webhookQueueSource = source;
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
