import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, registerAccount, uniqueEmail } from '../helpers/fixtures';
import { httpPost, startGatehouse, type Gatehouse } from '../helpers/harness';

const organization = { name: 'Org', type: 'ngo', size: '1-10', primaryUse: 'sales' };

describe('bad input gets a clear 4xx with a JSON body, never a 500', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse();
  });
  afterAll(() => gate?.close());

  it.each([
    ['an invalid email', { email: 'nope', password: 'long enough', organization }, 'email'],
    ['a short password', { email: uniqueEmail(), password: 'short', organization }, 'password'],
    ['an unknown organization type', { email: uniqueEmail(), password: 'long enough', organization: { ...organization, type: 'startup' } }, 'organization'],
    ['a size not in the list', { email: uniqueEmail(), password: 'long enough', organization: { ...organization, size: '201-500' } }, 'organization'],
    ['a missing organization', { email: uniqueEmail(), password: 'long enough' }, 'organization'],
  ])('register with %s: 400 with the Zod issues', async (_label, body, field) => {
    const result = await gate.post('/auth/register', body);
    expectStatus(result, 400);
    expect(result.body).toMatchObject({ code: 'BAD_REQUEST', message: 'Input validation failed' });
    expect(result.body.issues.some((issue: { path: string[] }) => issue.path[0] === field)).toBe(true);
  });

  it('register with a taken email, in any case: 409', async () => {
    const account = await registerAccount(gate);
    const result = await gate.post('/auth/register', { email: account.email.toUpperCase(), password: 'long enough', organization });
    expect(result).toMatchObject({ status: 409, body: { code: 'CONFLICT', reason: 'email_taken' } });
  });

  it('login with an unknown email and with a wrong password: the same answer', async () => {
    const account = await registerAccount(gate);
    const unknown = await gate.post('/auth/login', { email: uniqueEmail(), password: 'whatever it is' });
    const wrong = await gate.post('/auth/login', { email: account.email, password: 'not the password' });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
  });

  it('a refresh_token that is missing, empty or not a string: 400', async () => {
    for (const body of [{}, { refresh_token: '' }, { refresh_token: 42 }, { refresh_token: null }, []]) {
      const result = await gate.post('/auth/refresh', body);
      expectStatus(result, 400);
      expect(result.body.code).toBe('BAD_REQUEST');
    }
  });

  it('a NUL byte in any string: 400, over REST and tRPC', async () => {
    const rest = await gate.post('/auth/login', { email: 'a\u0000@example.test', password: 'x\u0000y' });
    expectStatus(rest, 400);
    const refresh = await gate.post('/auth/refresh', { refresh_token: 'abc\u0000def' });
    expectStatus(refresh, 400);
    const rpc = await httpPost(`${gate.url}/trpc/auth.refresh`, { refresh_token: 'abc\u0000' }, {});
    expectStatus(rpc, 400);
  });

  it('malformed JSON: 400 with a JSON body, over REST and tRPC', async () => {
    const rest = await gate.post('/auth/refresh', '{"refresh_token":', { 'content-type': 'application/json' });
    expect(rest).toMatchObject({ status: 400, body: { code: 'PARSE_ERROR', message: expect.any(String) } });
    const rpc = await httpPost(`${gate.url}/trpc/auth.refresh`, '{"refresh_token":', {});
    expectStatus(rpc, 400);
    expect(rpc.body.error).toMatchObject({ message: expect.any(String), data: { httpStatus: 400 } });
  });

  it('a body over 100 kB: 413, over REST and tRPC', async () => {
    const big = { refresh_token: 'a'.repeat(110 * 1024) };
    const rest = await gate.post('/auth/refresh', big);
    expect(rest).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } });
    const rpc = await httpPost(`${gate.url}/trpc/auth.refresh`, big, {});
    expectStatus(rpc, 413);
  });

  it('a body that is not JSON: 415 with a JSON body', async () => {
    const result = await gate.post('/auth/refresh', 'refresh_token=abc', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(result).toMatchObject({ status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
  });

  it('JSON sent as application/json; charset=utf-8 is read', async () => {
    const account = await registerAccount(gate);
    const result = await gate.post('/auth/refresh', { refresh_token: account.refreshToken }, {
      'content-type': 'application/json; charset=utf-8',
    });
    expectStatus(result, 200);
  });

  it('an unknown route: 404 with a JSON body', async () => {
    const result = await gate.post('/auth/nothing-here', {});
    expect(result).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
  });
});

describe('an unexpected error', () => {
  it('comes out as a generic 500: no message, stack or SQL of the original', async () => {
    const reported: unknown[] = [];
    const gate = await startGatehouse({
      clock: {
        now() {
          throw new Error('select secret_column from sessions where token = $1');
        },
      },
      reportError: (error) => reported.push(error),
    });
    try {
      for (const path of ['/auth/refresh', '/trpc/auth.refresh']) {
        const result = await gate.post(path, { refresh_token: 'anything' });
        expectStatus(result, 500);
        const text = JSON.stringify(result.body);
        expect(text).toContain('Internal server error');
        expect(text).not.toMatch(/secret_column|select|stack|\.ts:/i);
      }
      expect(reported).toHaveLength(2);
    } finally {
      await gate.close();
    }
  });
});
