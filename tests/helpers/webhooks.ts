import { createHttpTransport } from '../../server/domain/webhooks/transport';
import { createWebhookWorker, type WebhookWorkerOptions } from '../../server/domain/webhooks/worker';
import { expectStatus, type Account } from './fixtures';
import type { Gatehouse } from './harness';

export interface CreatedEndpoint {
  id: string;
  secret: string;
  url: string;
}

/** Creates a webhook endpoint through the API, as its organization's user would. */
export async function createEndpoint(
  gate: Gatehouse,
  account: Account,
  url: string,
  extra: { events?: string[]; description?: string } = {},
): Promise<CreatedEndpoint> {
  const result = await gate.post('/auth/webhooks/create', { url, ...extra }, account.bearer);
  expectStatus(result, 201);
  return { id: result.body.id, secret: result.body.secret, url: result.body.url };
}

/**
 * A delivery worker on the test's database and clock, sending over real HTTP (private
 * addresses allowed: the receivers are on 127.0.0.1). Jitter is fixed at its middle unless
 * the test gives its own `random`.
 */
export function testWorker(gate: Gatehouse, options: Partial<WebhookWorkerOptions> = {}) {
  return createWebhookWorker({
    db: gate.deps.db,
    clock: gate.clock,
    webhookSecretKey: gate.deps.webhookSecretKey,
    transport: createHttpTransport({ allowPrivate: true }),
    random: () => 0.5,
    ...options,
  });
}

export async function sessionIdOf(gate: Gatehouse, bearer: Record<string, string>): Promise<string> {
  const result = await gate.post('/auth/sessions', undefined, bearer);
  expectStatus(result, 200);
  return (result.body.sessions as Array<{ id: string; current: boolean }>).find((session) => session.current)!.id;
}

export async function organizationIdOf(gate: Gatehouse, bearer: Record<string, string>): Promise<string> {
  const result = await gate.post('/auth/me', undefined, bearer);
  expectStatus(result, 200);
  return result.body.organization.id as string;
}
