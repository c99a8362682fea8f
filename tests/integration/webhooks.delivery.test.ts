import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../server/cli/commands';
import { createHttpTransport } from '../../server/domain/webhooks/transport';
import { expectStatus, login, registerAccount, type Account } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse } from '../helpers/harness';
import { waitFor } from '../helpers/process';
import { verifyDelivery, WebhookReceiver } from '../helpers/webhook-receiver';
import { createEndpoint, testWorker } from '../helpers/webhooks';

const DAY_SECONDS = 24 * 60 * 60;

describe('webhook delivery: retries, 410, timeouts, a receiver that hangs', () => {
  let gate: Gatehouse;
  let receiver: WebhookReceiver;
  // A Gatehouse and a receiver for every test: the worker delivers whatever is due in the whole
  // database, so a retry another test left behind would otherwise show up in this one's reports.
  beforeEach(async () => {
    gate = await startGatehouse({ config: { webhookAllowPrivateUrls: true } });
    receiver = await WebhookReceiver.start();
  });
  afterEach(async () => {
    await receiver?.close();
    await gate?.close();
  });

  async function deliveries(account: Account, endpointId: string) {
    const result = await gate.post('/auth/webhooks/deliveries', { id: endpointId }, account.bearer);
    expectStatus(result, 200);
    return result.body.attempts as Array<Record<string, any>>;
  }

  it('a receiver that fails three times then succeeds gets the event, with one webhook-id, after 5 s, 30 s and 2 min', async () => {
    const account = await registerAccount(gate);
    const endpoint = await createEndpoint(gate, account, `${receiver.url}/flaky`, { events: ['session.created'] });
    receiver.script('/flaky', [{ status: 500, body: 'down' }, { status: 503 }, { status: 502 }, { status: 204 }]);
    await login(gate, account);
    const worker = testWorker(gate);

    expect((await worker.runOnce()).map((report) => report.outcome)).toEqual(['retrying']);
    for (const [waitSeconds, outcome] of [[5, 'retrying'], [30, 'retrying'], [120, 'succeeded']] as const) {
      gate.clock.advanceSeconds(waitSeconds - 1);
      expect(await worker.runOnce(), `not due before ${waitSeconds} s`).toEqual([]);
      gate.clock.advanceSeconds(1);
      expect((await worker.runOnce()).map((report) => report.outcome)).toEqual([outcome]);
    }
    expect(await worker.runOnce()).toEqual([]);

    const received = receiver.at('/flaky');
    expect(received).toHaveLength(4);
    expect(new Set(received.map((delivery) => delivery.headers['webhook-id'])).size).toBe(1);
    expect(new Set(received.map((delivery) => delivery.body)).size).toBe(1);
    // Each attempt is signed afresh with its own timestamp; the last one verifies now.
    expect(verifyDelivery(endpoint.secret, received[3]!).type).toBe('session.created');

    const attempts = await deliveries(account, endpoint.id);
    expect(attempts.map((attempt) => [attempt.attempt, attempt.status, attempt.responseStatus])).toEqual([
      [4, 'succeeded', 204],
      [3, 'failed', 502],
      [2, 'failed', 503],
      [1, 'failed', 500],
    ]);
    expect(attempts[3]).toMatchObject({ eventType: 'session.created', eventId: received[0]!.headers['webhook-id'], responseBody: 'down' });
    expect(attempts.every((attempt) => typeof attempt.durationMs === 'number' && attempt.durationMs >= 0)).toBe(true);
  });

  it('a redirect is an answer, never followed; at most 1 kB of any answer is kept', async () => {
    const account = await registerAccount(gate);
    const redirected = await createEndpoint(gate, account, `${receiver.url}/moved`, { events: ['api_key.created'] });
    const chatty = await createEndpoint(gate, account, `${receiver.url}/chatty`, { events: ['api_key.created'] });
    receiver.script('/moved', [{ status: 307, headers: { location: `${receiver.url}/elsewhere` } }]);
    receiver.script('/chatty', [{ status: 200, body: `é${'x'.repeat(5000)}\u0000` }]);
    expectStatus(await gate.post('/auth/api-keys/create', { name: 'k' }, account.bearer), 201);
    const reports = await testWorker(gate).runOnce();
    expect(reports.map((report) => [report.endpointId, report.outcome]).sort()).toEqual(
      [[redirected.id, 'retrying'], [chatty.id, 'succeeded']].sort(),
    );
    expect(receiver.at('/elsewhere')).toEqual([]);
    expect(await deliveries(account, redirected.id)).toMatchObject([{ status: 'failed', responseStatus: 307 }]);
    const [kept] = await deliveries(account, chatty.id);
    expect(Buffer.byteLength(kept!.responseBody)).toBeLessThanOrEqual(1024);
    expect(kept!.responseBody.startsWith('éxxx')).toBe(true);
  });

  it('gives up on an answer after the timeout and records it', async () => {
    const account = await registerAccount(gate);
    const endpoint = await createEndpoint(gate, account, `${receiver.url}/slow`, { events: ['api_key.created'] });
    receiver.script('/slow', ['hang']);
    expectStatus(await gate.post('/auth/api-keys/create', { name: 'k' }, account.bearer), 201);
    const worker = testWorker(gate, { transport: createHttpTransport({ allowPrivate: true, timeoutMs: 300 }) });
    const [report] = await worker.runOnce();
    expect(report).toMatchObject({ outcome: 'retrying', error: 'timeout', responseStatus: null });
    expect(report!.durationMs).toBeGreaterThanOrEqual(250);
    expect(report!.durationMs).toBeLessThan(5000);
    expect(await deliveries(account, endpoint.id)).toMatchObject([{ status: 'failed', error: 'timeout', responseStatus: null }]);
  });

  it('a receiver that hangs does not hold up the other endpoints', { timeout: 30_000 }, async () => {
    const account = await registerAccount(gate);
    await createEndpoint(gate, account, `${receiver.url}/hangs`, { events: ['api_key.created'] });
    await createEndpoint(gate, account, `${receiver.url}/prompt`, { events: ['api_key.created'] });
    receiver.script('/hangs', ['hang']);
    const worker = testWorker(gate, { pollIntervalMs: 50 });
    worker.start();
    try {
      for (let i = 0; i < 3; i++) expectStatus(await gate.post('/auth/api-keys/create', { name: `k${i}` }, account.bearer), 201);
      // The hanging receiver holds one delivery for up to 10 s; the other gets all three meanwhile.
      await waitFor('three deliveries to /prompt', () => receiver.at('/prompt').length === 3, 5000, 20);
      expect(receiver.at('/hangs')).toHaveLength(1);
    } finally {
      await receiver.close().catch(() => {});
      receiver = await WebhookReceiver.start();
      await worker.stop();
    }
  });

  it('redeliver (admin CLI) sends a delivered event again with its webhook-id, and list-webhooks shows the counts', async () => {
    const account = await registerAccount(gate);
    const endpoint = await createEndpoint(gate, account, `${receiver.url}/again`, { events: ['api_key.created'] });
    expectStatus(await gate.post('/auth/api-keys/create', { name: 'k' }, account.bearer), 201);
    const worker = testWorker(gate);
    await worker.runOnce();
    const [first] = receiver.at('/again');
    const eventId = String(first!.headers['webhook-id']);

    const listed = await COMMANDS['list-webhooks']!.run(gate.deps, {});
    const row = (listed.json as { webhooks: any[] }).webhooks.find((webhook) => webhook.id === endpoint.id);
    expect(row).toMatchObject({ enabled: true, deliveries: { pending: 0, succeeded: 1, failed: 0 } });
    expect(listed.text).toContain(endpoint.id);
    expect(JSON.stringify(listed.json) + listed.text).not.toContain(endpoint.secret);

    const redelivered = await COMMANDS.redeliver!.run(gate.deps, { event: eventId });
    expect(redelivered.json).toMatchObject({ eventId, deliveries: [{ endpointId: endpoint.id }] });
    await worker.runOnce();
    const again = receiver.at('/again');
    expect(again).toHaveLength(2);
    expect(again[1]!.headers['webhook-id']).toBe(eventId);
    expect(verifyDelivery(endpoint.secret, again[1]!).type).toBe('api_key.created');
    await expect(COMMANDS.redeliver!.run(gate.deps, { event: 'msg_unknown' })).rejects.toThrow(/No delivery/);
  });
});

// The clock of these Gatehouses moves days ahead, so their deliveries carry timestamps that a
// receiver checking against the real time would refuse.
describe('webhook delivery over days: the retry schedule and 410', () => {
  let gate: Gatehouse;
  let receiver: WebhookReceiver;
  // A Gatehouse and a receiver for every test, as above.
  beforeEach(async () => {
    gate = await startGatehouse({ config: { webhookAllowPrivateUrls: true } });
    receiver = await WebhookReceiver.start();
  });
  afterEach(async () => {
    await receiver?.close();
    await gate?.close();
  });

  async function deliveries(account: Account, endpointId: string) {
    const result = await gate.post('/auth/webhooks/deliveries', { id: endpointId }, account.bearer);
    expectStatus(result, 200);
    return result.body.attempts as Array<Record<string, any>>;
  }

  it('retries with jitter for about three days, then gives up', async () => {
    const account = await registerAccount(gate);
    const endpoint = await createEndpoint(gate, account, `${receiver.url}/always-down`, { events: ['api_key.created'] });
    receiver.script('/always-down', [{ status: 500 }]);
    expectStatus(await gate.post('/auth/api-keys/create', { name: 'k' }, account.bearer), 201);
    const started = gate.clock.now().getTime();
    const jitters = [0, 0.999, 0.3];
    let draws = 0;
    const worker = testWorker(gate, { random: () => jitters[draws++ % jitters.length]! });

    let lastAttemptAt = started;
    let attempts = 0;
    const gaps: number[] = [];
    for (let step = 0; step < 10_000 && attempts < 20; step++) {
      const reports = await worker.runOnce();
      if (reports.length > 0) {
        attempts += reports.length;
        gaps.push((gate.clock.now().getTime() - lastAttemptAt) / 1000);
        lastAttemptAt = gate.clock.now().getTime();
        if (reports[0]!.outcome === 'failed') break;
      }
      // Small steps while the gaps are seconds, bigger ones once they are hours.
      gate.clock.advanceSeconds(attempts < 4 ? 1 : attempts < 7 ? 30 : 600);
    }
    expect(attempts).toBe(12);
    const totalDays = (lastAttemptAt - started) / 1000 / DAY_SECONDS;
    expect(totalDays).toBeGreaterThan(2.3);
    expect(totalDays).toBeLessThan(3.6);
    // The first retries come within seconds, the gaps then grow to hours.
    expect(gaps[1]).toBeGreaterThanOrEqual(4);
    expect(gaps[1]).toBeLessThanOrEqual(7);
    expect(gaps[2]).toBeLessThanOrEqual(37);
    expect(gaps[11]).toBeGreaterThan(DAY_SECONDS * 0.75);
    // The access token expired long ago: sign in again to look.
    const listed = await deliveries(await login(gate, account), endpoint.id);
    expect(listed).toHaveLength(12);
    // Nothing more comes, however long one waits.
    gate.clock.advanceSeconds(7 * DAY_SECONDS);
    expect(await worker.runOnce()).toEqual([]);
  });

  it('410 Gone disables the endpoint: no retry, nothing more sent', async () => {
    const account = await registerAccount(gate);
    const endpoint = await createEndpoint(gate, account, `${receiver.url}/gone`);
    receiver.script('/gone', [{ status: 410, body: 'unsubscribed' }]);
    await login(gate, account);
    await login(gate, account);
    const worker = testWorker(gate);
    expect((await worker.runOnce()).map((report) => report.outcome)).toEqual(['disabled']);
    gate.clock.advanceSeconds(DAY_SECONDS);
    await login(gate, account); // a new event: not queued for a disabled endpoint
    expect(await worker.runOnce()).toEqual([]);
    expect(receiver.at('/gone')).toHaveLength(1);
    const signedIn = await login(gate, account);
    const [listed] = (await gate.post('/auth/webhooks', undefined, signedIn.bearer)).body.webhooks;
    expect(listed).toMatchObject({ id: endpoint.id, enabled: false });
    expect(listed.disabledAt).not.toBeNull();
    // The second event, queued behind the first, was cancelled with the endpoint: one attempt in all.
    expect(await deliveries(signedIn, endpoint.id)).toMatchObject([{ status: 'failed', responseStatus: 410 }]);
  });
});
