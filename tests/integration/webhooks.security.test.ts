import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../server/db/queries/raw';
import { decryptWebhookSecret } from '../../server/domain/webhooks/secrets';
import { createHttpTransport } from '../../server/domain/webhooks/transport';
import { createApiKey, expectStatus, login, registerAccount } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse } from '../helpers/harness';
import { WebhookReceiver } from '../helpers/webhook-receiver';
import { createEndpoint, testWorker } from '../helpers/webhooks';
import { sql } from 'drizzle-orm';

/** A public address that is never dialled: the tests' DNS answers it for names they made up. */
const PUBLIC_ADDRESS = '93.184.215.14';

describe('webhooks: who may manage them', () => {
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

  it("another organization's endpoint is 404, exactly like one that does not exist", async () => {
    const owner = await registerAccount(gate);
    const other = await registerAccount(gate);
    const endpoint = await createEndpoint(gate, owner, `${receiver.url}/tenancy`);
    for (const path of ['/auth/webhooks/delete', '/auth/webhooks/deliveries']) {
      const foreign = await gate.post(path, { id: endpoint.id }, other.bearer);
      const unknown = await gate.post(path, { id: 'no-such-endpoint' }, other.bearer);
      expectStatus(foreign, 404);
      expect(foreign.body).toEqual(unknown.body);
      expect(foreign.body.reason).toBe('webhook_not_found');
    }
    expect((await gate.post('/auth/webhooks', undefined, other.bearer)).body.webhooks).toEqual([]);
    // The owner's endpoint survived the other organization's attempt to delete it.
    expect((await gate.post('/auth/webhooks', undefined, owner.bearer)).body.webhooks).toHaveLength(1);
    // And the other organization's events never reach it.
    await login(gate, other);
    await testWorker(gate).runOnce();
    expect(receiver.at('/tenancy')).toEqual([]);
  });

  it('needs a signed-in user: an API key alone is 403, nothing at all is 401', async () => {
    const account = await registerAccount(gate);
    const key = await createApiKey(gate, account);
    for (const [path, body] of [['/auth/webhooks/create', { url: `${receiver.url}/k` }], ['/auth/webhooks', undefined]] as const) {
      const withKey = await gate.post(path, body, { 'x-api-key': key });
      expectStatus(withKey, 403);
      expect(withKey.body.reason).toBe('session_required');
      expectStatus(await gate.post(path, body), 401);
    }
  });

  it('refuses malformed input with 400 and a message', async () => {
    const account = await registerAccount(gate);
    const cases: unknown[] = [
      { url: 'not a url' },
      { url: 'ftp://example.com/hook' },
      { url: 'https://user:secret@example.com/hook' },
      { url: `https://example.com/${'a'.repeat(2100)}` },
      { url: 'https://example.com/\u0000' },
      { url: `${receiver.url}/x`, events: ['session.exploded'] },
      { url: `${receiver.url}/x`, events: [] },
      { url: `${receiver.url}/x`, description: 'a\u0000b' },
      {},
    ];
    for (const body of cases) {
      const result = await gate.post('/auth/webhooks/create', body, account.bearer);
      expect(result.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(typeof result.body.message).toBe('string');
    }
    const badCursor = await gate.post('/auth/webhooks/deliveries', { id: 'x', cursor: 'garbage' }, account.bearer);
    expectStatus(badCursor, 400);
  });

  it('50 creations in parallel stop at the limit of 20 per organization', { timeout: 60_000 }, async () => {
    const account = await registerAccount(gate);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => gate.post('/auth/webhooks/create', { url: `${receiver.url}/many/${i}` }, account.bearer)),
    );
    const statuses = results.map((result) => result.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(20);
    expect(statuses.filter((status) => status === 409)).toHaveLength(30);
    expect(results.find((result) => result.status === 409)!.body.reason).toBe('webhook_endpoint_limit');
    expect((await gate.post('/auth/webhooks', undefined, account.bearer)).body.webhooks).toHaveLength(20);
  });

  it('stores the secret only encrypted, bound to its endpoint, and never shows it again', async () => {
    const account = await registerAccount(gate);
    const endpoint = await createEndpoint(gate, account, `${receiver.url}/secret`);
    const [row] = await queryRows<{ secret: string }>(
      gate.deps.db,
      sql`select secret_ciphertext as secret from webhook_endpoints where id = ${endpoint.id}`,
    );
    const keyMaterial = endpoint.secret.slice('whsec_'.length);
    expect(row!.secret).not.toContain(keyMaterial);
    expect(row!.secret).not.toContain(Buffer.from(keyMaterial, 'base64').toString('base64url'));
    expect(decryptWebhookSecret(gate.deps.webhookSecretKey, endpoint.id, row!.secret)).toBe(endpoint.secret);
    expect(() => decryptWebhookSecret(gate.deps.webhookSecretKey, 'another-endpoint', row!.secret)).toThrow();

    await login(gate, account);
    await testWorker(gate).runOnce();
    const everything = JSON.stringify([
      (await gate.post('/auth/webhooks', undefined, account.bearer)).body,
      (await gate.post('/auth/webhooks/deliveries', { id: endpoint.id }, account.bearer)).body,
      (await gate.post('/auth/audit-events', {}, account.bearer)).body,
    ]);
    expect(everything).not.toContain(keyMaterial);
    expect(receiver.at('/secret')[0]!.headers).not.toHaveProperty('authorization');
  });
});

describe('webhooks: SSRF (private addresses not allowed, as in production)', () => {
  let gate: Gatehouse;
  let receiver: WebhookReceiver;
  /** What the tests' DNS answers, by name. */
  const dns = new Map<string, string[]>();
  const resolveHost = async (name: string) => {
    const answer = dns.get(name);
    if (!answer) throw new Error(`ENOTFOUND ${name}`);
    return answer;
  };
  beforeAll(async () => {
    gate = await startGatehouse();
    gate.deps.resolveHost = resolveHost;
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await receiver?.close();
    await gate?.close();
  });

  it('refuses http:// and any URL whose addresses are not all public, at creation', async () => {
    const account = await registerAccount(gate);
    dns.set('public.example.test', [PUBLIC_ADDRESS]);
    dns.set('localhost.example.test', ['127.0.0.1']);
    dns.set('mixed.example.test', [PUBLIC_ADDRESS, '10.1.2.3']);
    dns.set('metadata.example.test', ['169.254.169.254']);
    dns.set('v6-private.example.test', ['fd12:3456::1']);
    const refused = [
      'http://public.example.test/hook',
      `${receiver.url}/hook`,
      'https://127.0.0.1/hook',
      'https://10.0.0.8/hook',
      'https://172.16.5.4/hook',
      'https://192.168.1.1/hook',
      'https://100.64.0.1/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://0.0.0.0/hook',
      'https://[::1]/hook',
      'https://[::ffff:127.0.0.1]/hook',
      'https://[::ffff:7f00:1]/hook',
      'https://[fe80::1]/hook',
      'https://[fd00::1]/hook',
      'https://2130706433/hook', // 127.0.0.1 written as one number
      'https://0x7f.1/hook',
      'https://localhost.example.test/hook',
      'https://mixed.example.test/hook',
      'https://metadata.example.test/hook',
      'https://v6-private.example.test/hook',
      'https://unknown.example.test/hook',
    ];
    for (const url of refused) {
      const result = await gate.post('/auth/webhooks/create', { url }, account.bearer);
      expect(result.status, url).toBe(400);
      expect(result.body.reason, url).toBe('webhook_url_not_allowed');
    }
    const accepted = await gate.post('/auth/webhooks/create', { url: 'https://public.example.test/hook' }, account.bearer);
    expectStatus(accepted, 201);
  });

  it('checks again at delivery: a name that now resolves to 127.0.0.1 is not called', async () => {
    const account = await registerAccount(gate);
    dns.set('rebinding.example.test', [PUBLIC_ADDRESS]);
    const endpoint = await createEndpoint(gate, account, `https://rebinding.example.test:${receiver.port}/hook`);
    dns.set('rebinding.example.test', ['127.0.0.1']); // the attacker's DNS changes its answer
    await login(gate, account);
    const before = receiver.connections;
    const worker = testWorker(gate, { transport: createHttpTransport({ allowPrivate: false, resolveHost }) });
    const reports = await worker.runOnce();
    expect(reports).toMatchObject([{ endpointId: endpoint.id, outcome: 'retrying', error: 'address_not_allowed' }]);
    expect(receiver.connections).toBe(before);
    const attempts = (await gate.post('/auth/webhooks/deliveries', { id: endpoint.id }, account.bearer)).body.attempts;
    expect(attempts).toMatchObject([{ status: 'failed', error: 'address_not_allowed', responseStatus: null }]);
  });
});
