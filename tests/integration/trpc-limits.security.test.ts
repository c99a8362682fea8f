import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, expectStatus, registerAccount, type Account } from '../helpers/fixtures';
import { GENEROUS_RATE_LIMITS, startGatehouse, type Gatehouse } from '../helpers/harness';

/** tRPC's face has the limits of the REST one: batch size, JSON depth, and every call of a batch counted. */

interface RawAnswer {
  status: number;
  headers: Headers;
  body: any;
}

async function send(url: string, init: RequestInit = {}): Promise<RawAnswer> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Left as text for the assertion to show.
  }
  return { status: response.status, headers: response.headers, body };
}

const postJson = (url: string, body: string, headers: Record<string, string> = {}) =>
  send(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

/** `{"cursor": [[[ ... "x" ... ]]]}` with the value `depth` levels deep counting the outer object. */
function nested(depth: number): string {
  return `{"cursor":${'['.repeat(depth - 1)}"x"${']'.repeat(depth - 1)}}`;
}

describe('tRPC batches and JSON depth', () => {
  let gate: Gatehouse;
  let account: Account;
  const reported: unknown[] = [];
  beforeAll(async () => {
    gate = await startGatehouse({ reportError: (error) => reported.push(error) });
    account = await registerAccount(gate);
  });
  afterAll(() => gate?.close());

  it('a batch of 11 calls is a 400 that says the cap, over GET and POST, however the commas are written', async () => {
    const eleven = Array(11).fill('auth.me').join(',');
    const answers = [
      await send(`${gate.url}/trpc/${eleven}?batch=1`, { headers: account.bearer }),
      await postJson(`${gate.url}/trpc/${Array(11).fill('auth.logoutAll').join(',')}?batch=1`, '{}', account.bearer),
      await send(`${gate.url}/trpc/${Array(11).fill('auth.me').join('%2C')}?batch=1`, { headers: account.bearer }),
      await send(`${gate.url}/trpc/${Array(1_000).fill('auth.me').join(',')}?batch=1`, { headers: account.bearer }),
    ];
    for (const answer of answers) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(400);
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      expect(answer.body.error).toMatchObject({ message: expect.stringMatching(/at most 10 calls/), data: { code: 'BAD_REQUEST', httpStatus: 400 } });
    }
    // Nothing ran: the account's session is still live.
    expectStatus(await gate.post('/auth/me', undefined, account.bearer), 200);
  });

  it('a batch of 10 calls runs every call', async () => {
    const answer = await send(`${gate.url}/trpc/${Array(10).fill('auth.me').join(',')}?batch=1`, { headers: account.bearer });
    expect(answer.status).toBe(200);
    expect(answer.body).toHaveLength(10);
    for (const call of answer.body) expect(call.result.data.user.email).toBe(account.email);
  });

  it('input nested deeper than 32 levels is a 400 that says so, in a POST body, a batch and a GET ?input=', async () => {
    const auditEvents = `${gate.url}/trpc/auth.auditEvents`;
    const answers = [
      await postJson(auditEvents, nested(33), account.bearer),
      await postJson(`${gate.url}/trpc/auth.login`, '['.repeat(10_000) + ']'.repeat(10_000)),
      await postJson(`${gate.url}/trpc/auth.login,auth.login?batch=1`, `{"0":{},"1":${nested(33)}}`),
      await send(`${auditEvents}?input=${encodeURIComponent(nested(33))}`, { headers: account.bearer }),
      await send(`${gate.url}/trpc/auth.auditEvents,auth.me?batch=1&input=${encodeURIComponent(`{"0":${nested(33)}}`)}`, { headers: account.bearer }),
    ];
    for (const answer of answers) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(400);
      expect(answer.body.error).toMatchObject({ message: expect.stringMatching(/nested more than 32 levels/), data: { code: 'BAD_REQUEST' } });
    }
    // Brackets inside strings are text, not nesting; and 32 levels are still read (then refused by the schema, not the depth).
    const inString = await postJson(auditEvents, JSON.stringify({ cursor: '['.repeat(1_000) }), account.bearer);
    const atTheLimit = await postJson(auditEvents, nested(32), account.bearer);
    for (const answer of [inString, atTheLimit]) {
      expect(answer.status).toBe(400);
      expect(answer.body.error.message).not.toMatch(/nested/);
    }
    expect(reported).toEqual([]);
  });

  it('methods other than GET and POST are a 405 in JSON, never an error inside', async () => {
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const answer = await send(`${gate.url}/trpc/auth.me`, { method, headers: account.bearer });
      expect(answer.status).toBe(405);
      expect(answer.headers.get('allow')).toBe('GET, POST');
      expect(answer.body.error.data.code).toBe('METHOD_NOT_SUPPORTED');
    }
    expect(reported).toEqual([]);
  });
});

describe('the per-key call limit in a batch', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse({ config: { rateLimits: { ...GENEROUS_RATE_LIMITS, apiKeyCallsPerMinute: 5 } } });
  });
  afterAll(() => gate?.close());

  it('counts every call: of a batch of 10 with 5 calls a minute, 5 run and 5 are 429 with Retry-After', async () => {
    const account = await registerAccount(gate);
    const key = await createApiKey(gate, account);
    const answer = await send(`${gate.url}/trpc/${Array(10).fill('auth.me').join(',')}?batch=1`, { headers: { 'x-api-key': key } });
    expect(answer.body).toHaveLength(10);
    const succeeded = answer.body.filter((call: any) => call.result !== undefined);
    const limited = answer.body.filter((call: any) => call.error?.data?.code === 'TOO_MANY_REQUESTS');
    expect(succeeded).toHaveLength(5);
    expect(limited).toHaveLength(5);
    for (const call of limited) expect(call.error.data.reason).toBe('rate_limited');
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    // And the next request, batched or not, is refused too.
    const next = await send(`${gate.url}/trpc/auth.me`, { headers: { 'x-api-key': key } });
    expect(next.status).toBe(429);
    expect(Number(next.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
