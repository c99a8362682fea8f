import { Webhook } from 'standardwebhooks';
import type { Clock } from '../../clock';
import type { Database } from '../../db/client';
import {
  claimDueDeliveries,
  deleteFinishedDeliveries,
  recordDeliveryAttempt,
  type AttemptRecord,
  type ClaimedDelivery,
} from '../../db/queries/webhook-deliveries';
import { retryDelayMs } from './schedule';
import { decryptWebhookSecret } from './secrets';
import type { WebhookTransport } from './transport';

/** What an attempt led to: the label of gatehouse_webhook_deliveries_total. */
export type AttemptOutcome = 'succeeded' | 'retrying' | 'failed' | 'disabled';

export interface AttemptReport {
  outcome: AttemptOutcome;
  endpointId: string;
  eventId: string;
  eventType: string;
  attempt: number;
  responseStatus: number | null;
  error: string | null;
  durationMs: number;
}

export interface WebhookWorkerOptions {
  db: Database;
  clock: Clock;
  webhookSecretKey: Buffer;
  transport: WebhookTransport;
  /** In [0, 1), for the retry jitter. */
  random?: () => number;
  /** Deliveries in flight at once in this instance, each to a different endpoint. */
  concurrency?: number;
  pollIntervalMs?: number;
  /** How long a claimed delivery is left to this instance: more than any attempt can take (10 s timeout). */
  leaseMs?: number;
  onAttempt?: (report: AttemptReport) => void;
  onError?: (error: unknown) => void;
}

/** Finished deliveries and their attempts are kept this long for the deliveries listing. */
export const DELIVERY_RETENTION_DAYS = 30;
const PURGE_INTERVAL_MS = 60 * 60 * 1000;
const USER_AGENT = 'Gatehouse-Webhooks/1';

export function createWebhookWorker(options: WebhookWorkerOptions) {
  const {
    db,
    clock,
    transport,
    random = Math.random,
    concurrency = 16,
    pollIntervalMs = 1000,
    leaseMs = 60_000,
    onAttempt = () => {},
    onError = () => {},
  } = options;
  const inFlight = new Map<string, Promise<void>>();
  let pumping = false;
  let pumpAgain = false;
  let stopped = false;
  let timers: NodeJS.Timeout[] = [];

  async function deliver(delivery: ClaimedDelivery): Promise<AttemptReport> {
    const attempt = delivery.attempts + 1;
    const attemptedAt = clock.now();
    let answer: Awaited<ReturnType<WebhookTransport>> | { kind: 'error'; error: 'secret_unreadable'; durationMs: number };
    let secret: string | null = null;
    try {
      secret = decryptWebhookSecret(options.webhookSecretKey, delivery.endpointId, delivery.secretCiphertext);
    } catch {
      // The server secret changed since the endpoint was created: nothing can be signed.
      answer = { kind: 'error', error: 'secret_unreadable', durationMs: 0 };
    }
    if (secret !== null) {
      answer = await transport({
        url: delivery.url,
        body: delivery.body,
        headers: {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          'webhook-id': delivery.eventId,
          'webhook-timestamp': String(Math.floor(attemptedAt.getTime() / 1000)),
          'webhook-signature': new Webhook(secret).sign(delivery.eventId, attemptedAt, delivery.body),
        },
      });
    }
    const result = answer!;
    const status = result.kind === 'response' ? result.status : null;
    const succeeded = status !== null && status >= 200 && status < 300;
    const gone = status === 410;
    let next: AttemptRecord['next'];
    let outcome: AttemptOutcome;
    if (succeeded) {
      next = { status: 'succeeded' };
      outcome = 'succeeded';
    } else if (gone) {
      next = { status: 'failed' };
      outcome = 'disabled';
    } else {
      const delay = retryDelayMs(attempt, random);
      next = delay === null ? { status: 'failed' } : { status: 'pending', at: new Date(clock.now().getTime() + delay) };
      outcome = delay === null ? 'failed' : 'retrying';
    }
    const report: AttemptReport = {
      outcome,
      endpointId: delivery.endpointId,
      eventId: delivery.eventId,
      eventType: delivery.eventType,
      attempt,
      responseStatus: status,
      error: result.kind === 'error' ? result.error : null,
      durationMs: result.durationMs,
    };
    await recordDeliveryAttempt(db, {
      ...report,
      deliveryId: delivery.deliveryId,
      succeeded,
      responseBody: result.kind === 'response' ? result.body : null,
      attemptedAt,
      next,
      disableEndpoint: gone,
    });
    onAttempt(report);
    return report;
  }

  function claim(limit: number): Promise<ClaimedDelivery[]> {
    const now = clock.now();
    return claimDueDeliveries(db, {
      now,
      leaseUntil: new Date(now.getTime() + leaseMs),
      limit,
      busyEndpointIds: [...inFlight.keys()],
    });
  }

  /** Fills free slots with due deliveries; called by the timer and whenever a delivery ends. */
  async function pump(): Promise<void> {
    if (pumping) {
      pumpAgain = true;
      return;
    }
    pumping = true;
    try {
      do {
        pumpAgain = false;
        while (!stopped && inFlight.size < concurrency) {
          const claimed = await claim(concurrency - inFlight.size);
          if (claimed.length === 0) break;
          for (const delivery of claimed) {
            const running = deliver(delivery)
              .then(() => {}, onError)
              .finally(() => {
                inFlight.delete(delivery.endpointId);
                if (!stopped) void pump();
              });
            inFlight.set(delivery.endpointId, running);
          }
        }
      } while (pumpAgain && !stopped);
    } catch (error) {
      onError(error);
    } finally {
      pumping = false;
    }
  }

  return {
    /**
     * Sends everything due now and waits for the answers; resolves with the attempts made.
     * For tests and the admin CLI: the running server uses `start`.
     */
    async runOnce(): Promise<AttemptReport[]> {
      const reports: AttemptReport[] = [];
      for (;;) {
        const claimed = await claim(concurrency);
        if (claimed.length === 0) return reports;
        reports.push(...(await Promise.all(claimed.map(deliver))));
      }
    },

    start(): void {
      stopped = false;
      void pump();
      timers = [
        setInterval(() => void pump(), pollIntervalMs),
        setInterval(() => {
          const cutoff = new Date(clock.now().getTime() - DELIVERY_RETENTION_DAYS * 24 * 60 * 60 * 1000);
          deleteFinishedDeliveries(db, cutoff).catch(onError);
        }, PURGE_INTERVAL_MS),
      ];
      for (const timer of timers) timer.unref();
    },

    /** Stops claiming and waits for the deliveries in flight (at most one timeout). */
    async stop(): Promise<void> {
      stopped = true;
      for (const timer of timers) clearInterval(timer);
      await Promise.allSettled([...inFlight.values()]);
    },
  };
}

export type WebhookWorker = ReturnType<typeof createWebhookWorker>;
