import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys, auditEvents, refreshTokens, sessions, webhookEvents } from '../../server/db/schema';
import { createApiKey, expectStatus, login, registerAccount, type Account } from '../helpers/fixtures';
import { GENEROUS_RATE_LIMITS, httpPost, startGatehouse, type Gatehouse, type HttpResult } from '../helpers/harness';

/** POST /auth/introspect as RFC 7662 has it: a form-encoded body. */
async function introspectForm(gate: Gatehouse, fields: Record<string, string> | string, headers: Record<string, string>, path = '/auth/introspect'): Promise<HttpResult> {
  const response = await fetch(gate.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof fields === 'string' ? fields : new URLSearchParams(fields).toString(),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Left as text for the assertion to show.
  }
  return { status: response.status, body, headers: response.headers };
}

type Face = 'form' | 'json' | 'trpc';
const FACES: Face[] = ['form', 'json', 'trpc'];

/** The answer of one introspection over one face, asserted to be a 200. */
async function introspect(gate: Gatehouse, face: Face, token: string, headers: Record<string, string>, hint?: string): Promise<unknown> {
  const fields = { token, ...(hint === undefined ? {} : { token_type_hint: hint }) };
  const result =
    face === 'form'
      ? await introspectForm(gate, fields, headers)
      : face === 'json'
        ? await gate.post('/auth/introspect', fields, headers)
        : await httpPost(`${gate.url}/trpc/auth.introspect`, fields, headers);
  expectStatus(result, 200);
  expect(result.headers.get('cache-control')).toBe('no-store');
  return face === 'trpc' ? result.body.result.data : result.body;
}

/** Everything a token's fate is written in, for one organization: introspection must change none of it. */
async function snapshot(gate: Gatehouse) {
  const { db } = gate.database;
  const [s, t, a, w, k] = await Promise.all([
    db.select().from(sessions),
    db.select().from(refreshTokens),
    db.select().from(auditEvents),
    db.select().from(webhookEvents),
    db.select().from(apiKeys),
  ]);
  const byKey = <T>(rows: T[], key: (row: T) => string) => [...rows].sort((x, y) => key(x).localeCompare(key(y)));
  return {
    sessions: byKey(s, (row) => row.id),
    refreshTokens: byKey(t, (row) => row.tokenHash),
    auditEvents: byKey(a, (row) => String(row.id)),
    webhookEvents: byKey(w, (row) => String(row.id)),
    // A key's lastUsedAt moves as the caller uses it; whether it is revoked must not.
    apiKeys: byKey(k, (row) => row.id).map((row) => ({ id: row.id, revokedAt: row.revokedAt })),
  };
}

async function sessionIdOf(gate: Gatehouse, account: Pick<Account, 'bearer'>): Promise<string> {
  const listed = await gate.post('/auth/sessions', undefined, account.bearer);
  expectStatus(listed, 200);
  return listed.body.sessions.find((session: { current: boolean }) => session.current).id;
}

const INACTIVE = { active: false };

describe('POST /auth/introspect and auth.introspect (RFC 7662)', () => {
  let gate: Gatehouse;
  let alice: Account;
  let aliceKey: string;
  let aliceIds: { sub: string; org: string };
  let mallory: Account;
  let malloryKey: string;
  const reported: unknown[] = [];

  beforeAll(async () => {
    gate = await startGatehouse({ reportError: (error) => reported.push(error) });
    alice = await registerAccount(gate);
    aliceKey = await createApiKey(gate, alice);
    const me = await gate.post('/auth/me', undefined, alice.bearer);
    aliceIds = { sub: me.body.user.id, org: me.body.organization.id };
    mallory = await registerAccount(gate);
    malloryKey = await createApiKey(gate, mallory);
  });
  afterAll(() => gate?.close());

  it('a live access token: active, with its claims, over form and JSON REST and over tRPC, with a key or a Bearer token', async () => {
    const session = await login(gate, alice);
    const sid = await sessionIdOf(gate, session);
    const expected = {
      active: true,
      token_type: 'access_token',
      sub: aliceIds.sub,
      sid,
      org: aliceIds.org,
      exp: expect.any(Number),
      iat: expect.any(Number),
      iss: 'gatehouse',
      aud: 'gatehouse',
      jti: expect.any(String),
    };
    const answers: any[] = [];
    for (const face of FACES) {
      for (const headers of [{ 'x-api-key': aliceKey }, session.bearer]) {
        for (const hint of [undefined, 'access_token', 'refresh_token', 'some_other_type']) {
          answers.push(await introspect(gate, face, session.accessToken, headers, hint));
        }
      }
    }
    for (const answer of answers) {
      expect(answer).toEqual(expected);
      expect(Object.keys(answer).sort()).toEqual(Object.keys(expected).sort());
      expect(answer.exp - answer.iat).toBe(15 * 60);
      expect(answer.iat).toBe(Math.floor(gate.clock.now().getTime() / 1000));
    }
    // Always the same token: one jti.
    expect(new Set(answers.map((answer) => answer.jti)).size).toBe(1);
  });

  it('a live refresh token: active, with who and which session, whatever the hint; it is not rotated', async () => {
    const session = await login(gate, alice);
    const sid = await sessionIdOf(gate, session);
    const expected = { active: true, token_type: 'refresh_token', sub: aliceIds.sub, sid, org: aliceIds.org };
    for (const face of FACES) {
      for (const hint of [undefined, 'refresh_token', 'access_token', 'nonsense']) {
        expect(await introspect(gate, face, session.refreshToken, { 'x-api-key': aliceKey }, hint)).toEqual(expected);
      }
    }
    expectStatus(await gate.post('/auth/refresh', { refresh_token: session.refreshToken }), 200);
  });

  it('the REST facade also answers under /api, form-encoded with a charset', async () => {
    const session = await login(gate, alice);
    const result = await fetch(`${gate.url}/api/auth/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'x-api-key': aliceKey },
      body: `token=${encodeURIComponent(session.accessToken)}&token_type_hint=access_token`,
    });
    expect(result.status).toBe(200);
    expect(result.headers.get('cache-control')).toBe('no-store');
    expect(await result.json()).toMatchObject({ active: true, token_type: 'access_token' });
  });

  it('an expired access token is inactive (the clock moved past its 15 minutes)', async () => {
    const session = await login(gate, alice);
    const key = await createApiKey(gate, session);
    gate.clock.advanceSeconds(15 * 60 - 1);
    expect(await introspect(gate, 'form', session.accessToken, { 'x-api-key': key })).toMatchObject({ active: true });
    gate.clock.advanceSeconds(1);
    for (const face of FACES) expect(await introspect(gate, face, session.accessToken, { 'x-api-key': key })).toEqual(INACTIVE);
    // Its session lives on: the refresh token is still active.
    expect(await introspect(gate, 'form', session.refreshToken, { 'x-api-key': key })).toMatchObject({ active: true });
  });

  it('a revoked session: its access token and its refresh token are inactive at once', async () => {
    const session = await login(gate, alice);
    const other = await login(gate, alice);
    expectStatus(await gate.post('/auth/revoke-session', { sessionId: await sessionIdOf(gate, session) }, other.bearer), 200);
    for (const face of FACES) {
      expect(await introspect(gate, face, session.accessToken, { 'x-api-key': aliceKey })).toEqual(INACTIVE);
      expect(await introspect(gate, face, session.refreshToken, { 'x-api-key': aliceKey })).toEqual(INACTIVE);
    }
  });

  it('a logged-out session and the sessions ended by logout-all are inactive', async () => {
    const session = await login(gate, alice);
    expectStatus(await gate.post('/auth/logout', { refresh_token: session.refreshToken }), 200);
    for (const token of [session.accessToken, session.refreshToken]) {
      expect(await introspect(gate, 'form', token, { 'x-api-key': aliceKey })).toEqual(INACTIVE);
    }
    const someone = await registerAccount(gate);
    const key = await createApiKey(gate, someone);
    const other = await login(gate, someone);
    expectStatus(await gate.post('/auth/logout-all', undefined, { 'x-api-key': key }), 200);
    for (const token of [someone.accessToken, someone.refreshToken, other.accessToken, other.refreshToken]) {
      expect(await introspect(gate, 'json', token, { 'x-api-key': key })).toEqual(INACTIVE);
    }
  });

  it('a rotated-out refresh token is inactive, inside the grace window and after it, and introspecting it changes nothing', async () => {
    const session = await login(gate, alice);
    const rotated = await gate.post('/auth/refresh', { refresh_token: session.refreshToken });
    expectStatus(rotated, 200);
    const before = await snapshot(gate);
    // Inside the grace window a refresh would still accept it; introspection does not.
    for (const face of FACES) expect(await introspect(gate, face, session.refreshToken, { 'x-api-key': aliceKey })).toEqual(INACTIVE);
    gate.clock.advanceSeconds(11);
    // After it, a refresh or a logout would be reuse and end the session; introspection must not.
    for (const face of FACES) {
      for (const hint of [undefined, 'refresh_token']) {
        expect(await introspect(gate, face, session.refreshToken, { 'x-api-key': aliceKey }, hint)).toEqual(INACTIVE);
      }
    }
    expect(await snapshot(gate)).toEqual(before);
    // The session is alive: the current token is active and still refreshes, its access token works.
    expect(await introspect(gate, 'form', rotated.body.refresh_token, { 'x-api-key': aliceKey })).toMatchObject({ active: true });
    expect(await introspect(gate, 'form', rotated.body.access_token, { 'x-api-key': aliceKey })).toMatchObject({ active: true });
    expectStatus(await gate.post('/auth/me', undefined, { authorization: `Bearer ${rotated.body.access_token}` }), 200);
    expectStatus(await gate.post('/auth/refresh', { refresh_token: rotated.body.refresh_token }), 200);
  });

  it('introspecting live tokens changes nothing either: no rotation, no audit event, no activity written', async () => {
    const session = await login(gate, alice);
    gate.clock.advanceSeconds(120);
    const before = await snapshot(gate);
    for (const face of FACES) {
      for (const token of [session.accessToken, session.refreshToken]) {
        expect(await introspect(gate, face, token, { 'x-api-key': aliceKey })).toMatchObject({ active: true });
      }
    }
    expect(await snapshot(gate)).toEqual(before);
  });

  it('garbage, malformed and foreign-signed tokens are inactive, never an error', async () => {
    const forged = await new SignJWT({ sid: '550e8400-e29b-41d4-a716-446655440000', org: aliceIds.org })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setSubject(aliceIds.sub)
      .setIssuer('gatehouse')
      .setAudience('gatehouse')
      .setIssuedAt()
      .setExpirationTime('10m')
      .setJti('x')
      .sign(new TextEncoder().encode('some other secret that is long enough'));
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${Buffer.from(
      JSON.stringify({ sub: aliceIds.sub, org: aliceIds.org, sid: 'x', exp: 9999999999, iat: 1, jti: 'x', iss: 'gatehouse', aud: 'gatehouse' }),
    ).toString('base64url')}.`;
    const [header, payload, signature] = alice.accessToken.split('.') as [string, string, string];
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'someone-else' })).toString('base64url')}.${signature}`;
    const tokens = [
      '',
      ' ',
      'garbage',
      'a.b.c',
      '...',
      randomBytes(32).toString('base64url'),
      `${alice.refreshToken}x`,
      alice.refreshToken.slice(1),
      `${alice.accessToken}x`,
      forged,
      unsigned,
      tampered,
      'x'.repeat(8192),
      '😀 ünïcode',
      "' or 1=1 --",
    ];
    for (const token of tokens) {
      for (const face of FACES) {
        expect(await introspect(gate, face, token, { 'x-api-key': aliceKey }), `${face} ${token.slice(0, 40)}`).toEqual(INACTIVE);
      }
    }
    expect(reported).toEqual([]);
  });

  it("another organization's live tokens answer exactly {active: false}, with its key or its Bearer token", async () => {
    const session = await login(gate, alice);
    const malloryNow = await login(gate, mallory);
    for (const face of FACES) {
      for (const headers of [{ 'x-api-key': malloryKey }, malloryNow.bearer]) {
        for (const token of [session.accessToken, session.refreshToken]) {
          for (const hint of [undefined, 'access_token', 'refresh_token']) {
            expect(await introspect(gate, face, token, headers, hint)).toStrictEqual(INACTIVE);
          }
        }
      }
    }
    // And the tokens are untouched: still live for their own organization.
    expect(await introspect(gate, 'form', session.refreshToken, { 'x-api-key': aliceKey })).toMatchObject({ active: true });
  });

  it('without credentials, or with bad ones, 401 over every face', async () => {
    const session = await login(gate, alice);
    const refusedHeaders: Array<Record<string, string>> = [
      {},
      { 'x-api-key': 'gk_not-a-real-key' },
      { authorization: 'Bearer not.a.token' },
      { authorization: `Bearer ${session.refreshToken}` },
    ];
    for (const headers of refusedHeaders) {
      const form = await introspectForm(gate, { token: session.accessToken }, headers);
      expect(form.status).toBe(401);
      expect(form.body).toMatchObject({ code: 'UNAUTHORIZED', message: expect.any(String) });
      expect(form.headers.get('cache-control')).toBe('no-store');
      expectStatus(await gate.post('/auth/introspect', { token: session.accessToken }, headers), 401);
      expectStatus(await httpPost(`${gate.url}/trpc/auth.introspect`, { token: session.accessToken }, headers), 401);
    }
    const anonymous = await introspectForm(gate, { token: session.accessToken }, {});
    expect(anonymous.body.reason).toBe('authentication_required');
    // The token itself is never what makes it a 401: with a credential it is an answer.
    expect(JSON.stringify(anonymous.body)).not.toContain(session.accessToken);
  });

  it('refuses malformed bodies with a 400 that names the problem, never a 500', async () => {
    const key = { 'x-api-key': aliceKey };
    const cases: Array<[string, HttpResult]> = [
      ['no token (form)', await introspectForm(gate, 'token_type_hint=access_token', key)],
      ['empty form body', await introspectForm(gate, '', key)],
      ['token twice (form)', await introspectForm(gate, `token=a&token=b`, key)],
      ['nested field (form)', await introspectForm(gate, 'token[a]=b', key)],
      ['no token (JSON)', await gate.post('/auth/introspect', {}, key)],
      ['token a number', await gate.post('/auth/introspect', { token: 42 }, key)],
      ['token too long', await gate.post('/auth/introspect', { token: 'x'.repeat(8193) }, key)],
      ['NUL byte (form)', await introspectForm(gate, 'token=a%00b', key)],
      ['too many fields', await introspectForm(gate, Array.from({ length: 200 }, (_, index) => `f${index}=1`).join('&'), key)],
    ];
    for (const [label, result] of cases) {
      expect(result.status, `${label}: ${JSON.stringify(result.body)}`).toBe(400);
      expect(result.body, label).toMatchObject({ code: 'BAD_REQUEST', message: expect.any(String) });
    }
    // Fields RFC 7662 lets a client add are ignored.
    const extra = await introspectForm(gate, { token: alice.refreshToken, client_id: 'rs', token_type_hint: 'refresh_token' }, key);
    expectStatus(extra, 200);
    // Form bodies are for introspection only: elsewhere they stay a 415.
    const elsewhere = await introspectForm(gate, { refresh_token: alice.refreshToken }, {}, '/auth/refresh');
    expect(elsewhere).toMatchObject({ status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    const plain = await fetch(`${gate.url}/auth/introspect`, { method: 'POST', headers: { 'content-type': 'text/plain', ...key }, body: 'token=a' });
    expect(plain.status).toBe(415);
    expect(reported).toEqual([]);
  });

  it('50 parallel introspections of live, dead and foreign tokens answer consistently', async () => {
    const live = await login(gate, alice);
    const dead = await login(gate, alice);
    expectStatus(await gate.post('/auth/logout', { refresh_token: dead.refreshToken }), 200);
    const calls = Array.from({ length: 50 }, (_, index) => {
      const [token, active] = ([[live.accessToken, true], [live.refreshToken, true], [dead.accessToken, false], [dead.refreshToken, false], [mallory.refreshToken, false]] as const)[index % 5]!;
      return introspect(gate, FACES[index % 3]!, token, { 'x-api-key': aliceKey }).then((answer: any) => answer.active === active);
    });
    expect((await Promise.all(calls)).every(Boolean)).toBe(true);
    expect(reported).toEqual([]);
  });

  it('is documented with both content types and both credentials', async () => {
    const document: any = await (await fetch(`${gate.url}/openapi.json`)).json();
    const operation = document.paths['/auth/introspect'].post;
    expect(operation.operationId).toBe('authIntrospect');
    expect(Object.keys(operation.requestBody.content).sort()).toEqual(['application/json', 'application/x-www-form-urlencoded']);
    for (const media of Object.values(operation.requestBody.content) as any[]) {
      const schema = media.schema.$ref ? document.components.schemas[media.schema.$ref.split('/').pop()] : media.schema;
      expect(schema.required).toEqual(['token']);
      expect(Object.keys(schema.properties).sort()).toEqual(['token', 'token_type_hint']);
    }
    expect(operation.security).toEqual([{ apiKey: [] }, { bearerAuth: [] }]);
    expect(operation.responses['200']).toBeDefined();
  });
});

describe('introspection and the idle and absolute session limits', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse({ config: { sessionIdleTimeoutSeconds: 60, sessionAbsoluteTimeoutSeconds: 600, accessTokenTtlSeconds: 900 } });
  });
  afterAll(() => gate?.close());

  it('a session idle past its timeout is inactive, and introspecting it never counts as activity', async () => {
    const account = await registerAccount(gate);
    const key = await createApiKey(gate, account);
    const session = await login(gate, account);
    gate.clock.advanceSeconds(40);
    for (const token of [session.accessToken, session.refreshToken]) {
      expect(await introspect(gate, 'form', token, { 'x-api-key': key })).toMatchObject({ active: true });
    }
    // Had the introspections above touched the session, it would be live until 100 s.
    gate.clock.advanceSeconds(20);
    for (const face of FACES) {
      expect(await introspect(gate, face, session.accessToken, { 'x-api-key': key })).toEqual(INACTIVE);
      expect(await introspect(gate, face, session.refreshToken, { 'x-api-key': key })).toEqual(INACTIVE);
    }
  });

  it('a session past its absolute expiry is inactive, however recently it refreshed', async () => {
    const account = await registerAccount(gate);
    const key = await createApiKey(gate, account);
    let tokens = { access_token: account.accessToken, refresh_token: account.refreshToken };
    for (let elapsed = 0; elapsed < 600; elapsed += 50) {
      gate.clock.advanceSeconds(50);
      const refreshed = await gate.post('/auth/refresh', { refresh_token: tokens.refresh_token });
      if (refreshed.status !== 200) break;
      tokens = refreshed.body;
    }
    gate.clock.advanceSeconds(1);
    for (const token of [tokens.access_token, tokens.refresh_token]) {
      expect(await introspect(gate, 'form', token, { 'x-api-key': key })).toEqual(INACTIVE);
    }
  });
});

describe('introspection counts against the caller’s rate limit, every call of a batch', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse({ config: { rateLimits: { ...GENEROUS_RATE_LIMITS, apiKeyCallsPerMinute: 10 } } });
  });
  afterAll(() => gate?.close());

  const batchOfTen = (token: string, headers: Record<string, string>) => {
    const names = Array.from({ length: 10 }, () => 'auth.introspect').join(',');
    const input = Object.fromEntries(Array.from({ length: 10 }, (_, index) => [index, { token }]));
    return httpPost(`${gate.url}/trpc/${names}?batch=1`, input, headers);
  };

  for (const credential of ['API key', 'Bearer token'] as const) {
    it(`with an ${credential}: a batch of 10 uses up a limit of 10, the next call is 429 with Retry-After`, async () => {
      const account = await registerAccount(gate);
      const headers = credential === 'API key' ? { 'x-api-key': await createApiKey(gate, account) } : account.bearer;
      const batch = await batchOfTen(account.refreshToken, headers);
      expectStatus(batch, 200);
      expect(batch.body).toHaveLength(10);
      for (const call of batch.body) expect(call.result.data).toMatchObject({ active: true, token_type: 'refresh_token' });
      for (const next of [
        await introspectForm(gate, { token: account.refreshToken }, headers),
        await httpPost(`${gate.url}/trpc/auth.introspect`, { token: account.refreshToken }, headers),
      ]) {
        expect(next.status).toBe(429);
        expect(Number(next.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      const second = await batchOfTen(account.refreshToken, headers);
      expect(second.body.every((call: any) => call.error?.data?.httpStatus === 429)).toBe(true);
    });
  }
});
