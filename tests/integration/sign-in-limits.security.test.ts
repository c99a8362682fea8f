import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeEndedSessions } from '../../server/domain/cleanup';
import { expectStatus, login, registerAccount, type Account } from '../helpers/fixtures';
import { GENEROUS_RATE_LIMITS, startGatehouse, type Gatehouse, type HttpResult } from '../helpers/harness';

/** Requests "from" an address: the harness trusts one proxy hop, as behind a load balancer. */
const from = (address: string, headers: Record<string, string> = {}) => ({ 'x-forwarded-for': address, ...headers });

const statusCounts = (results: HttpResult[]) => {
  const counts: Record<number, number> = {};
  for (const { status } of results) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
};

function expectAllRateLimitedWithRetryAfter(results: HttpResult[]): void {
  for (const result of results) {
    expect(result.body).toMatchObject({ reason: 'rate_limited' });
    expect(Number(result.headers.get('retry-after'))).toBeGreaterThan(0);
  }
}

describe('failed sign-ins are reserved before the password is checked', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse({
      config: { trustProxy: 1, rateLimits: { ...GENEROUS_RATE_LIMITS, signInFailuresPer15Minutes: 5 } },
    });
  });
  afterAll(() => gate?.close());

  const signIn = (account: Pick<Account, 'email'>, password: string, address: string) =>
    gate.post('/auth/login', { email: account.email, password }, from(address));

  it('50 parallel wrong guesses: at most 5 are evaluated, the rest are 429 with Retry-After', async () => {
    const account = await registerAccount(gate, { headers: from('198.51.100.10') });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => signIn(account, `wrong guess ${i}`, '203.0.113.10')));
    const counts = statusCounts(results);
    expect(counts, JSON.stringify(counts)).toEqual({ 401: 5, 429: 45 });
    expectAllRateLimitedWithRetryAfter(results.filter((result) => result.status === 429));
    // Only what was evaluated is audited as a failed sign-in.
    const failures = await gate.post('/auth/audit-events', { limit: 100 }, account.bearer);
    expect(failures.body.events.filter((event: { type: string }) => event.type === 'sign_in_failed')).toHaveLength(5);
  });

  it('a tRPC batch of 10 wrong guesses: 5 are evaluated, 5 are 429', async () => {
    const account = await registerAccount(gate, { headers: from('198.51.100.11') });
    const calls = Array.from({ length: 10 }, () => 'auth.login').join(',');
    const input = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [i, { email: account.email, password: `wrong ${i}` }]));
    const result = await gate.post(`/trpc/${calls}?batch=1`, input, from('203.0.113.11'));
    const codes = (result.body as Array<{ error?: { data: { httpStatus: number; reason?: string } } }>).map(
      (entry) => entry.error?.data.httpStatus,
    );
    expect(codes.filter((code) => code === 401), codes.join(',')).toHaveLength(5);
    expect(codes.filter((code) => code === 429), codes.join(',')).toHaveLength(5);
  });

  it('a right password gives its reservation back: 4 failures, a success, 4 failures, a success', async () => {
    const account = await registerAccount(gate);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 4; i++) expectStatus(await signIn(account, 'wrong password', '203.0.113.12'), 401);
      expectStatus(await signIn(account, account.password, '203.0.113.12'), 200);
    }
  });

  it('the owner is not locked out by failures from elsewhere: from a known address they still sign in', async () => {
    const account = await registerAccount(gate, { headers: from('198.51.100.13') });
    expectStatus(await signIn(account, account.password, '192.0.2.13'), 200);
    // Someone else exhausts the per-account limit (4 × 5 an hour) from twenty addresses.
    for (let i = 0; i < 20; i++) expectStatus(await signIn(account, 'wrong password', `203.0.113.${100 + i}`), 401);
    expect(await signIn(account, account.password, '192.0.2.250')).toMatchObject({ status: 429 });
    // Where the owner signed in before (and where they signed up), only the per-address limit applies.
    expectStatus(await signIn(account, account.password, '192.0.2.13'), 200);
    expectStatus(await signIn(account, account.password, '198.51.100.13'), 200);
    // ... which still holds there: five failures from the known address, then 429 there too.
    for (let i = 0; i < 5; i++) expectStatus(await signIn(account, 'wrong password', '192.0.2.13'), 401);
    expect(await signIn(account, account.password, '192.0.2.13')).toMatchObject({ status: 429 });
  });

  it('an address stops being known 30 days after the last sign-in from it', async () => {
    const account = await registerAccount(gate, { headers: from('198.51.100.14') });
    gate.clock.advanceSeconds(31 * 24 * 60 * 60);
    for (let i = 0; i < 20; i++) expectStatus(await signIn(account, 'wrong password', `203.0.113.${150 + i}`), 401);
    expect(await signIn(account, account.password, '198.51.100.14')).toMatchObject({ status: 429 });
  });

  it('the purge forgets addresses not signed in from for 30 days', async () => {
    const account = await registerAccount(gate, { headers: from('198.51.100.17') });
    const me = await gate.post('/auth/me', undefined, account.bearer);
    const count = async () => {
      const result = (await gate.database.db.execute(
        sql`select count(*)::int as n from known_sign_in_addresses where user_id = ${me.body.user.id}`,
      )) as unknown as { rows?: Array<{ n: number }> } & Array<{ n: number }>;
      return (result.rows ?? result)[0]!.n;
    };
    expect(await count()).toBe(1);
    await purgeEndedSessions(gate.deps);
    expect(await count()).toBe(1);
    gate.clock.advanceSeconds(31 * 24 * 60 * 60);
    await purgeEndedSessions(gate.deps);
    expect(await count()).toBe(0);
  });

  it('addresses are remembered as keyed hashes, never in clear', async () => {
    await registerAccount(gate, { headers: from('198.51.100.15') });
    const rows = (await gate.database.db.execute('select address_hash from known_sign_in_addresses')) as unknown;
    const text = JSON.stringify(rows);
    expect(text).not.toContain('198.51.100.15');
    expect(text).toMatch(/address_hash/);
  });

  it('a wrong current password counts as a failed sign-in (change-password and reauthenticate)', async () => {
    const account = await registerAccount(gate, { headers: from('198.51.100.16') });
    const session = await login(gate, account);
    const bearer = { ...session.bearer, ...from('203.0.113.16') };
    for (let i = 0; i < 3; i++) {
      const result = await gate.post('/auth/change-password', { currentPassword: `wrong ${i}`, newPassword: 'a brand new passphrase' }, bearer);
      expect(result).toMatchObject({ status: 403, body: { reason: 'invalid_current_password' } });
    }
    for (let i = 0; i < 2; i++) {
      const result = await gate.post('/auth/reauthenticate', { password: `wrong ${i}` }, bearer);
      expect(result).toMatchObject({ status: 403, body: { reason: 'invalid_current_password' } });
    }
    // Five failures from that address: the next guess of any kind is refused there, unevaluated.
    expect(await gate.post('/auth/reauthenticate', { password: account.password }, bearer)).toMatchObject({ status: 429 });
    expect(await signIn(account, account.password, '203.0.113.16')).toMatchObject({ status: 429 });
    const parallel = await Promise.all(
      Array.from({ length: 20 }, () => gate.post('/auth/change-password', { currentPassword: 'guess', newPassword: 'another new passphrase' }, bearer)),
    );
    expect(statusCounts(parallel)).toEqual({ 429: 20 });
  });
});

describe('the password hasher has a bounded queue', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse({ config: { passwordHashQueueLimit: 1 } });
  });
  afterAll(() => gate?.close());

  it('a flood of sign-ins gets 503 server_busy with Retry-After, never an unbounded wait or a 500', async () => {
    const account = await registerAccount(gate);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => gate.post('/auth/login', { email: account.email, password: i % 2 ? account.password : 'wrong' })),
    );
    const counts = statusCounts(results);
    expect(counts[500], JSON.stringify(counts)).toBeUndefined();
    const busy = results.filter((result) => result.status === 503);
    // How many arrive while the queue is full depends on the machine's speed; some always do.
    expect(busy.length, JSON.stringify(counts)).toBeGreaterThan(0);
    expect((counts[200] ?? 0) + (counts[401] ?? 0) + busy.length).toBe(30);
    for (const result of busy) {
      expect(result.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'server_busy' });
      expect(Number(result.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // Once the flood has passed, the owner signs in as usual.
    expectStatus(await gate.post('/auth/login', { email: account.email, password: account.password }), 200);
  });
});
