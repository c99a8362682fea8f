import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, expectStatus, registerAccount, uniqueEmail } from '../helpers/fixtures';
import { GENEROUS_RATE_LIMITS, startGatehouse, type Gatehouse, type HttpResult } from '../helpers/harness';

const organization = { name: 'Org', type: 'ngo', size: '1-10', primaryUse: 'sales' };

/** Requests "from" an address: the harness trusts one proxy hop, as a deployment behind a load balancer would. */
const from = (address: string, headers: Record<string, string> = {}) => ({ 'x-forwarded-for': address, ...headers });

function expectRateLimited(result: HttpResult, maxRetryAfterSeconds: number): void {
  expectStatus(result, 429);
  expect(result.body).toMatchObject({ code: 'TOO_MANY_REQUESTS', reason: 'rate_limited' });
  const retryAfter = Number(result.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(maxRetryAfterSeconds);
}

describe('rate limits (kept in the database)', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse({
      config: {
        trustProxy: 1,
        rateLimits: {
          ...GENEROUS_RATE_LIMITS,
          signInFailuresPer15Minutes: 5,
          refreshFailuresPerMinute: 5,
          apiKeyCallsPerMinute: 3,
        },
      },
    });
  });
  afterAll(() => gate?.close());

  const signIn = (email: string, password: string, address: string) =>
    gate.post('/auth/login', { email, password }, from(address));

  it('failed sign-ins: the 6th attempt from one address is 429, even with the right password; other addresses still get in', async () => {
    const account = await registerAccount(gate);
    for (let i = 0; i < 5; i++) expectStatus(await signIn(account.email, 'wrong password', '198.51.100.1'), 401);
    expectRateLimited(await signIn(account.email, account.password, '198.51.100.1'), 15 * 60);
    // The owner, elsewhere, is not locked out by someone else's failures.
    expectStatus(await signIn(account.email, account.password, '198.51.100.2'), 200);
  });

  it('a successful sign-in clears the failures counted for that address', async () => {
    const account = await registerAccount(gate);
    for (let i = 0; i < 4; i++) expectStatus(await signIn(account.email, 'wrong password', '198.51.100.3'), 401);
    expectStatus(await signIn(account.email, account.password, '198.51.100.3'), 200);
    for (let i = 0; i < 4; i++) expectStatus(await signIn(account.email, 'wrong password', '198.51.100.3'), 401);
    expectStatus(await signIn(account.email, account.password, '198.51.100.3'), 200);
  });

  it('failures spread over many addresses hold the account back for at most an hour', async () => {
    const account = await registerAccount(gate);
    for (let i = 0; i < 20; i++) expectStatus(await signIn(account.email, 'wrong password', `203.0.113.${i + 1}`), 401);
    expectRateLimited(await signIn(account.email, account.password, '192.0.2.200'), 60 * 60);
  });

  it('unknown emails are limited like known ones, so the limit reveals nothing', async () => {
    const email = uniqueEmail('ghost');
    for (let i = 0; i < 5; i++) expectStatus(await signIn(email, 'whatever it is', '198.51.100.9'), 401);
    expectRateLimited(await signIn(email, 'whatever it is', '198.51.100.9'), 15 * 60);
  });

  it('IPv6 clients are counted per /64', async () => {
    const account = await registerAccount(gate);
    for (let i = 0; i < 5; i++) {
      expectStatus(await signIn(account.email, 'wrong password', `2001:db8:77:1::${i + 1}`), 401);
    }
    expectRateLimited(await signIn(account.email, account.password, '2001:db8:77:1:ffff::1'), 15 * 60);
    expectStatus(await signIn(account.email, account.password, '2001:db8:77:2::1'), 200);
  });

  it('failed refreshes per address; a good token from elsewhere still refreshes', async () => {
    const account = await registerAccount(gate);
    for (let i = 0; i < 5; i++) {
      expectStatus(await gate.post('/auth/refresh', { refresh_token: `garbage-${i}` }, from('198.51.100.30')), 401);
    }
    expectRateLimited(await gate.post('/auth/refresh', { refresh_token: 'garbage' }, from('198.51.100.30')), 60);
    expectStatus(await gate.post('/auth/refresh', { refresh_token: account.refreshToken }, from('198.51.100.31')), 200);
  });

  it('calls per API key; another key of the same organization is not affected', async () => {
    const account = await registerAccount(gate);
    const busy = await createApiKey(gate, account, 'busy');
    const quiet = await createApiKey(gate, account, 'quiet');
    for (let i = 0; i < 3; i++) expectStatus(await gate.post('/auth/me', undefined, { 'x-api-key': busy }), 200);
    expectRateLimited(await gate.post('/auth/me', undefined, { 'x-api-key': busy }), 60);
    expectStatus(await gate.post('/auth/me', undefined, { 'x-api-key': quiet }), 200);
  });

  it('is also 429 with Retry-After over tRPC', async () => {
    const email = uniqueEmail('rpc');
    for (let i = 0; i < 5; i++) {
      await gate.post('/trpc/auth.login', { email, password: 'whatever it is' }, from('198.51.100.40'));
    }
    const result = await gate.post('/trpc/auth.login', { email, password: 'whatever it is' }, from('198.51.100.40'));
    expectStatus(result, 429);
    expect(result.body.error.data).toMatchObject({ reason: 'rate_limited', httpStatus: 429 });
    expect(Number(result.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('registrations per address', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse({ config: { trustProxy: 1, rateLimits: { ...GENEROUS_RATE_LIMITS, registrationsPerHour: 3 } } });
  });
  afterAll(() => gate?.close());

  it('the 4th sign-up from one address within the hour is 429; another address may still sign up', async () => {
    const register = (address: string) =>
      gate.post('/auth/register', { email: uniqueEmail(), password: 'long enough', organization }, from(address));
    for (let i = 0; i < 3; i++) expectStatus(await register('198.51.100.20'), 201);
    expectRateLimited(await register('198.51.100.20'), 60 * 60);
    expectStatus(await register('198.51.100.21'), 201);
  });
});
