import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../server/cli/commands';
import { WEBHOOK_EVENT_TYPES } from '../../server/domain/webhooks/events';
import { expectStatus, login, registerAccount } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse } from '../helpers/harness';
import { verifyDelivery, WebhookReceiver } from '../helpers/webhook-receiver';
import { createEndpoint, organizationIdOf, sessionIdOf, testWorker } from '../helpers/webhooks';

describe('webhooks: every event, signed, from a real receiver', () => {
  let gate: Gatehouse;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    gate = await startGatehouse({ config: { webhookAllowPrivateUrls: true } });
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await receiver?.close();
    await gate?.close();
  });

  it('creates an endpoint whose secret is shown once and never listed', async () => {
    const account = await registerAccount(gate);
    const created = await gate.post(
      '/auth/webhooks/create',
      { url: `${receiver.url}/created`, description: 'billing', events: ['session.created'] },
      account.bearer,
    );
    expectStatus(created, 201);
    expect(created.body).toMatchObject({ url: `${receiver.url}/created`, description: 'billing', events: ['session.created'] });
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const listed = await gate.post('/auth/webhooks', undefined, account.bearer);
    expectStatus(listed, 200);
    expect(listed.body.webhooks).toEqual([
      {
        id: created.body.id,
        url: `${receiver.url}/created`,
        events: ['session.created'],
        description: 'billing',
        enabled: true,
        disabledAt: null,
        createdAt: created.body.createdAt,
      },
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret.slice('whsec_'.length, 20));
    // Over tRPC the listing is a query, as every read is.
    const rpc = await fetch(`${gate.url}/trpc/webhooks.list`, { headers: account.bearer });
    expect(rpc.status).toBe(200);
  });

  it('delivers every event type, each verifiable with standardwebhooks, and none for a plain refresh', { timeout: 60_000 }, async () => {
    const account = await registerAccount(gate, { userAgent: 'first device' });
    const organizationId = await organizationIdOf(gate, account.bearer);
    const endpoint = await createEndpoint(gate, account, `${receiver.url}/all`);

    const second = await login(gate, account, 'second device'); // session.created
    const key = await gate.post('/auth/api-keys/create', { name: 'ci' }, account.bearer); // api_key.created
    expectStatus(key, 201);
    expectStatus(await gate.post('/auth/api-keys/revoke', { id: key.body.id }, account.bearer), 200); // api_key.revoked
    const secondSessionId = await sessionIdOf(gate, second.bearer);
    expectStatus(await gate.post('/auth/revoke-session', { sessionId: secondSessionId }, account.bearer), 200); // session.revoked

    const third = await login(gate, account, 'third device'); // session.created
    const rotated = await gate.post('/auth/refresh', { refresh_token: third.refreshToken }, { 'user-agent': 'legitimate app' });
    expectStatus(rotated, 200); // a plain rotation: no event
    gate.clock.advanceSeconds(11);
    const replay = await gate.post('/auth/refresh', { refresh_token: third.refreshToken }, { 'user-agent': 'stolen copy' });
    expect(replay.body.reason).toBe('refresh_token_reused'); // session.refresh_token_reused + session.revoked

    const fourth = await login(gate, account, 'fourth device'); // session.created
    const changed = await gate.post(
      '/auth/change-password',
      { currentPassword: account.password, newPassword: 'another long passphrase' },
      account.bearer,
    );
    expectStatus(changed, 200); // user.password_changed + session.revoked (fourth)

    expect((await COMMANDS['suspend-org']!.run(gate.deps, { org: organizationId })).json).toMatchObject({ status: 'suspended' });
    await COMMANDS['activate-org']!.run(gate.deps, { org: organizationId }); // two organization.status_changed
    await COMMANDS['set-plan']!.run(gate.deps, { org: organizationId, plan: 'basic' }); // not a status change

    const reports = await testWorker(gate).runOnce();
    expect(reports.every((report) => report.outcome === 'succeeded')).toBe(true);
    const bodies = receiver.at('/all').map((delivery) => verifyDelivery(endpoint.secret, delivery));
    expect(bodies.map((body) => body.type)).toEqual([
      'session.created',
      'api_key.created',
      'api_key.revoked',
      'session.revoked',
      'session.created',
      'session.refresh_token_reused',
      'session.revoked',
      'session.created',
      'user.password_changed',
      'session.revoked',
      'organization.status_changed',
      'organization.status_changed',
    ]);
    expect(new Set(bodies.map((body) => body.type))).toEqual(new Set(WEBHOOK_EVENT_TYPES));
    for (const body of bodies) {
      expect(body.data.organizationId).toBe(organizationId);
      expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);
    }
    const ofType = (type: string) => bodies.filter((body) => body.type === type);
    expect(ofType('session.created')[0]!.data.session).toMatchObject({ userAgent: 'second device', id: secondSessionId });
    expect(ofType('api_key.created')[0]!.data.apiKey).toMatchObject({ id: key.body.id, name: 'ci', prefix: key.body.prefix });
    expect(ofType('api_key.revoked')[0]!.data.apiKey).toMatchObject({ id: key.body.id });
    expect(ofType('session.revoked').map((body) => body.data.reason)).toEqual(['revoked', 'refresh_token_reused', 'password_changed']);
    expect(ofType('session.refresh_token_reused')[0]!.data).toMatchObject({
      rotatedBy: { ipAddress: '127.0.0.1', userAgent: 'legitimate app' },
      replayedBy: { ipAddress: '127.0.0.1', userAgent: 'stolen copy' },
    });
    expect(ofType('organization.status_changed').map((body) => [body.data.previousStatus, body.data.status])).toEqual([
      ['active', 'suspended'],
      ['suspended', 'active'],
    ]);
    // Every delivery is its own event: its own webhook-id, the Standard Webhooks headers.
    const ids = receiver.at('/all').map((delivery) => delivery.headers['webhook-id']);
    expect(new Set(ids).size).toBe(ids.length);
    for (const delivery of receiver.at('/all')) {
      expect(delivery.headers['content-type']).toBe('application/json');
      expect(delivery.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    }
  });

  it('sends an endpoint only the event types it asked for', async () => {
    const account = await registerAccount(gate);
    const onlyKeys = await createEndpoint(gate, account, `${receiver.url}/only-keys`, { events: ['api_key.created'] });
    await login(gate, account);
    expectStatus(await gate.post('/auth/api-keys/create', { name: 'x' }, account.bearer), 201);
    await testWorker(gate).runOnce();
    const bodies = receiver.at('/only-keys').map((delivery) => verifyDelivery(onlyKeys.secret, delivery));
    expect(bodies.map((body) => body.type)).toEqual(['api_key.created']);
  });

  it('a change that rolls back sends nothing', async () => {
    const account = await registerAccount(gate);
    const organizationId = await organizationIdOf(gate, account.bearer);
    await createEndpoint(gate, account, `${receiver.url}/rolled-back`);
    const { createApiKey } = await import('../../server/domain/api-keys');
    const userId = (await gate.post('/auth/me', undefined, account.bearer)).body.user.id as string;
    await expect(
      gate.deps.db.transaction(async (tx) => {
        await createApiKey(tx, { organizationId, userId, name: 'doomed', expiresAt: null }, gate.clock.now());
        throw new Error('the surrounding change fails');
      }),
    ).rejects.toThrow('the surrounding change fails');
    await COMMANDS['suspend-org']!.run({ ...gate.deps, db: failingAfterCommitless(gate) }, { org: organizationId }).catch(() => {});
    await testWorker(gate).runOnce();
    expect(receiver.at('/rolled-back')).toEqual([]);
  });

  it('deletes an endpoint: nothing more is sent to it', async () => {
    const account = await registerAccount(gate);
    const endpoint = await createEndpoint(gate, account, `${receiver.url}/deleted`);
    await login(gate, account); // an event queued for it
    expectStatus(await gate.post('/auth/webhooks/delete', { id: endpoint.id }, account.bearer), 200);
    await testWorker(gate).runOnce();
    expect(receiver.at('/deleted')).toEqual([]);
    expect((await gate.post('/auth/webhooks', undefined, account.bearer)).body.webhooks).toEqual([]);
    expectStatus(await gate.post('/auth/webhooks/delete', { id: endpoint.id }, account.bearer), 404);
  });
});

/** A database handle whose every transaction fails after its statements ran: nothing it wrote may survive. */
function failingAfterCommitless(gate: Gatehouse) {
  const db = gate.deps.db;
  return new Proxy(db, {
    get(target, property, receiver) {
      if (property !== 'transaction') return Reflect.get(target, property, receiver);
      return (work: (tx: unknown) => Promise<unknown>) =>
        target.transaction(async (tx) => {
          await work(tx);
          throw new Error('commit refused');
        });
    },
  });
}
