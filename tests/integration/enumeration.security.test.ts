import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, registerAccount, uniqueEmail, type Account } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse, type HttpResult } from '../helpers/harness';

/**
 * No account enumeration (OWASP ASVS V6, issue 5 item 2): whether an email has an account
 * must not show in the answer to a sign-in, in its timing, or in a refused sign-up beyond
 * the bare "taken" that any sign-up form has to say.
 */

const organization = { name: 'Enumeration Target Org', type: 'enterprise', size: '11-50', primaryUse: 'support' };

/** Headers that may differ between two answers for reasons that say nothing about the account. */
const PER_RESPONSE_HEADERS = new Set(['date', 'etag', 'x-request-id', 'ratelimit', 'ratelimit-policy', 'ratelimit-remaining', 'ratelimit-reset', 'keep-alive', 'connection']);

function stableHeaders(result: HttpResult): Record<string, string> {
  return Object.fromEntries([...result.headers.entries()].filter(([name]) => !PER_RESPONSE_HEADERS.has(name)));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

describe('no account enumeration', () => {
  let gate: Gatehouse;
  let account: Account;

  beforeAll(async () => {
    gate = await startGatehouse();
    account = await registerAccount(gate);
  });
  afterAll(() => gate?.close());

  const signIn = (email: string, password: string) => gate.post('/auth/login', { email, password });

  it('unknown email and wrong password: the same status, body and headers', async () => {
    const unknown = await signIn(uniqueEmail('nobody'), 'some password of theirs');
    const wrong = await signIn(account.email, 'not the password');
    expectStatus(unknown, 401);
    expectStatus(wrong, 401);
    expect(unknown.body).toEqual(wrong.body);
    expect(unknown.body).toEqual({ message: expect.any(String), code: 'UNAUTHORIZED', reason: 'invalid_credentials' });
    expect(stableHeaders(unknown)).toEqual(stableHeaders(wrong));
  });

  it('the same over tRPC', async () => {
    const call = (email: string) =>
      fetch(`${gate.url}/trpc/auth.login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'not the password' }),
      }).then(async (response) => ({ status: response.status, body: await response.json() }));
    const [unknown, wrong] = [await call(uniqueEmail('nobody')), await call(account.email)];
    expect(unknown.status).toBe(401);
    expect(wrong).toEqual(unknown);
  });

  it('an email that differs only in case or surrounding spaces is the same account: still the same answer when the password is wrong', async () => {
    const variants = [account.email.toUpperCase(), ` ${account.email} `];
    const reference = await signIn(uniqueEmail('nobody'), 'not the password');
    for (const email of variants) {
      const result = await signIn(email, 'not the password');
      expectStatus(result, 401);
      expect(result.body).toEqual(reference.body);
    }
  });

  it('unknown email and wrong password take the same time, within noise (the unknown email still pays for an argon2 check)', async () => {
    // One of each first: the dummy hash for unknown emails is computed once, lazily, and
    // the first argon2 call warms the thread pool; neither belongs in the comparison.
    await signIn(uniqueEmail('warm-up'), 'warm up password');
    await signIn(account.email, 'warm up password');

    const ATTEMPTS = 15;
    const unknownMs: number[] = [];
    const wrongMs: number[] = [];
    const timed = async (email: string, into: number[]) => {
      const started = performance.now();
      const result = await signIn(email, 'not the password at all');
      into.push(performance.now() - started);
      expectStatus(result, 401);
    };
    // Alternating, so that load on the machine falls on both series alike.
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      await timed(uniqueEmail('nobody'), unknownMs);
      await timed(account.email, wrongMs);
    }

    const ratio = median(unknownMs) / median(wrongMs);
    const summary = `median unknown email ${median(unknownMs).toFixed(1)} ms, wrong password ${median(wrongMs).toFixed(1)} ms, ratio ${ratio.toFixed(2)}`;
    // Without the dummy check an unknown email answers in about a millisecond against some
    // 50+ ms for argon2: a ratio far below 0.5. The bounds are generous for a shared machine.
    expect(ratio, summary).toBeGreaterThan(0.5);
    expect(ratio, summary).toBeLessThan(2);
  });

  it('registering a taken email: 409 that says "taken" and nothing about the account or its organization', async () => {
    const me = await gate.post('/auth/me', undefined, account.bearer);
    expectStatus(me, 200);
    const { user, organization: ownOrganization } = me.body;

    for (const email of [account.email, account.email.toUpperCase()]) {
      const result = await gate.post('/auth/register', {
        email,
        password: 'another long password',
        name: 'Someone Else',
        organization: { ...organization, name: 'Another Org' },
      });
      expectStatus(result, 409);
      // Exactly the error body: no tokens, no ids, no names.
      expect(result.body).toEqual({ message: expect.any(String), code: 'CONFLICT', reason: 'email_taken' });
      const text = JSON.stringify(result.body) + JSON.stringify([...result.headers.entries()]);
      for (const secret of [user.id, ownOrganization.id, ownOrganization.name, user.name, user.createdAt]) {
        expect(text, `the answer reveals ${secret}`).not.toContain(secret);
      }
    }
  });

  it('a refused sign-up with a taken email leaves the existing account as it was, and signs nobody in', async () => {
    const before = await gate.post('/auth/me', undefined, account.bearer);
    const refused = await gate.post('/auth/register', {
      email: account.email,
      password: 'a different password',
      organization,
    });
    expectStatus(refused, 409);
    expectStatus(await gate.post('/auth/login', { email: account.email, password: 'a different password' }), 401);
    expectStatus(await gate.post('/auth/login', { email: account.email, password: account.password }), 200);
    expect((await gate.post('/auth/me', undefined, account.bearer)).body).toEqual(before.body);
  });
});
