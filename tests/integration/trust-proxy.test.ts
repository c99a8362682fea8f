import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/env';
import { expectStatus, registerAccount, type Account } from '../helpers/fixtures';
import { GENEROUS_RATE_LIMITS, startGatehouse, type Gatehouse } from '../helpers/harness';

/**
 * This test is the one proxy hop: it connects from 127.0.0.1 and appends the address it "saw"
 * as the last X-Forwarded-For entry. Everything before that entry the client wrote itself.
 */
const APPENDED_BY_THE_PROXY = '203.0.113.9';
const forwarded = (clientWritten: string[], appended = APPENDED_BY_THE_PROXY) => ({
  'x-forwarded-for': [...clientWritten, appended].join(', '),
});

const organization = { name: 'Org', type: 'ngo', size: '1-10', primaryUse: 'sales' };

// Each as an operator writes it in the environment, parsed by the configuration loader.
describe.each(['1', '127.0.0.1', '127.0.0.0/8', 'loopback'])('behind one proxy with TRUST_PROXY=%s', (trustProxy) => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse({
      config: {
        trustProxy: loadConfig({ TRUST_PROXY: trustProxy }).trustProxy,
        rateLimits: { ...GENEROUS_RATE_LIMITS, registrationsPerHour: 2 },
      },
    });
  });
  afterAll(() => gate?.close());

  const sessionAddresses = async (account: Account) => {
    const listed = await gate.post('/auth/sessions', undefined, account.bearer);
    expectStatus(listed, 200);
    return listed.body.sessions.map((session: { ipAddress: string | null }) => session.ipAddress);
  };

  const register = (headers: Record<string, string>) =>
    gate.post(
      '/auth/register',
      { email: `proxy-${Math.random().toString(36).slice(2)}@example.test`, password: 'correct horse battery staple', name: 'P', organization },
      headers,
    );

  it('the session list shows the address the proxy appended, whatever the client wrote before it', async () => {
    const account = await registerAccount(gate, { headers: forwarded(['6.6.6.6', '198.51.100.1']) });
    expect(await sessionAddresses(account)).toEqual([APPENDED_BY_THE_PROXY]);
  });

  it('the per-address limit counts the appended address: a new leftmost entry on every request gets the client nowhere', async () => {
    // An address of this test's own, so that the count does not depend on which tests ran before.
    const client = '198.51.100.200';
    expectStatus(await register(forwarded(['10.9.8.7'], client)), 201);
    expectStatus(await register(forwarded(['10.9.8.6'], client)), 201);
    const third = await register(forwarded(['10.9.8.5', '10.9.8.4'], client));
    expect(third.status, JSON.stringify(third.body)).toBe(429);
    expect(third.body.reason).toBe('rate_limited');
    expect((await register(forwarded(['1.1.1.1', '2.2.2.2', '3.3.3.3'], client))).status).toBe(429);
    // Another client behind the same proxy has its own count.
    expectStatus(await register(forwarded(['10.9.8.7'], '192.0.2.77')), 201);
  });
});
