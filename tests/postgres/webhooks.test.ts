import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, registerAccount, type Account } from '../helpers/fixtures';
import type { Gatehouse } from '../helpers/harness';
import { metricValue, scrapeMetrics } from '../helpers/metrics';
import { createFreshPostgresDatabase, type FreshPostgresDatabase } from '../helpers/postgres';
import { kill, ProcessGroup, remoteGatehouse, sleep, waitFor } from '../helpers/process';
import { verifyDelivery, WebhookReceiver } from '../helpers/webhook-receiver';
import { createEndpoint } from '../helpers/webhooks';

const JWT_SECRET = 'webhook-process-test-jwt-secret-0123456789abcdef';

function environment(database: FreshPostgresDatabase, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: '0',
    DATABASE_URL: database.url,
    JWT_SECRET,
    LOG_LEVEL: 'warn',
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    WEBHOOK_POLL_INTERVAL_MS: '100',
    ...extra,
  };
}

async function createKeys(gate: Gatehouse, account: Account, count: number): Promise<void> {
  for (let i = 0; i < count; i++) expectStatus(await gate.post('/auth/api-keys/create', { name: `key ${i}` }, account.bearer), 201);
}

describe('webhook delivery by real Gatehouse processes on PostgreSQL', () => {
  const processes = new ProcessGroup();
  let receiver: WebhookReceiver;
  const databases: FreshPostgresDatabase[] = [];

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await processes.killAll();
    await receiver?.close();
    for (const database of databases) await database.drop();
  }, 60_000);

  it('an event committed just before kill -9 is delivered after the restart', { timeout: 120_000 }, async () => {
    const database = await createFreshPostgresDatabase('webhook_kill');
    databases.push(database);
    // This instance looks for deliveries when it starts, then not for an hour: whatever is
    // committed after its start waits in the outbox when it is killed.
    const first = processes.start(environment(database, { WEBHOOK_POLL_INTERVAL_MS: '3600000' }), { runner: 'node' });
    const gate = remoteGatehouse(await first.url);
    const account = await registerAccount(gate);
    const endpoint = await createEndpoint(gate, account, `${receiver.url}/after-restart`, { events: ['api_key.created'] });
    await createKeys(gate, account, 1);
    const [{ pending }] = await database.sql<[{ pending: number }]>`
      select count(*)::int as pending from webhook_deliveries where status = 'pending'`;
    expect(pending).toBe(1);
    await kill(first.child);
    expect(first.child.signalCode).toBe('SIGKILL');
    expect(receiver.at('/after-restart')).toEqual([]);

    const second = processes.start(environment(database), { runner: 'node' });
    await second.url;
    await waitFor('the delivery after the restart', () => receiver.at('/after-restart').length > 0, 20_000);
    await sleep(500);
    const received = receiver.at('/after-restart');
    expect(received).toHaveLength(1);
    expect(verifyDelivery(endpoint.secret, received[0]!).type).toBe('api_key.created');
  });

  it('two instances on one database deliver each event once, and both take part', { timeout: 180_000 }, async () => {
    const database = await createFreshPostgresDatabase('webhook_multi');
    databases.push(database);
    const started = [processes.start(environment(database), { runner: 'node' }), processes.start(environment(database), { runner: 'node' })];
    const urls = await Promise.all(started.map((instance) => instance.url));
    const [a, b] = urls.map(remoteGatehouse) as [Gatehouse, Gatehouse];

    const account = await registerAccount(a);
    // Several endpoints, so that both workers find deliveries to claim at once.
    const endpoints = [];
    for (let i = 0; i < 4; i++) endpoints.push(await createEndpoint(a, account, `${receiver.url}/multi/${i}`, { events: ['api_key.created'] }));
    const eventsPerInstance = 15;
    await Promise.all([createKeys(a, account, eventsPerInstance), createKeys(b, account, eventsPerInstance)]);
    const expected = 2 * eventsPerInstance * endpoints.length;
    const received = () => receiver.received.filter((delivery) => delivery.path.startsWith('/multi/'));
    await waitFor(`${expected} deliveries`, () => received().length >= expected, 60_000);
    await sleep(1500); // time for a duplicate to show up, if there were one

    expect(received()).toHaveLength(expected);
    const pairs = received().map((delivery) => `${delivery.path} ${delivery.headers['webhook-id']}`);
    expect(new Set(pairs).size).toBe(expected);
    for (const [index, endpoint] of endpoints.entries()) {
      for (const delivery of receiver.at(`/multi/${index}`)) expect(verifyDelivery(endpoint.secret, delivery).type).toBe('api_key.created');
    }

    const metrics = await Promise.all(urls.map(scrapeMetrics));
    const delivered = metrics.map((samples) => metricValue(samples, 'gatehouse_webhook_deliveries_total', { outcome: 'succeeded' }));
    expect(delivered[0]! + delivered[1]!).toBe(expected);
    expect(delivered.every((count) => count > 0), `deliveries by instance: ${delivered.join(', ')}`).toBe(true);
    expect(metricValue(metrics[0]!, 'gatehouse_webhook_queue_depth', { state: 'due' })).toBe(0);
  });
});
