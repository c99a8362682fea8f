import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, expectStatus, login, registerAccount } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse } from '../helpers/harness';

describe('signing up, signing in and using sessions', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse();
  });
  afterAll(() => gate?.close());

  it('register creates a trial, active organization and signs its first user in', async () => {
    const account = await registerAccount(gate);
    const me = await gate.post('/auth/me', undefined, account.bearer);
    expectStatus(me, 200);
    expect(me.body.user).toMatchObject({ email: account.email, name: 'Test User' });
    expect(me.body.organization).toMatchObject({
      name: 'Test Org',
      type: 'enterprise',
      size: '11-50',
      primaryUse: 'support',
      plan: 'trial',
      status: 'active',
    });
    expect(JSON.stringify(me.body)).not.toMatch(/password|hash/i);
  });

  it('accepts every organization enum value exactly as the API document writes it', async () => {
    const result = await gate.post('/auth/register', {
      email: `enum-${Date.now()}@example.test`,
      password: 'long enough password',
      organization: { name: 'Survey Co', type: 'government', size: '500+', primaryUse: 'market research' },
    });
    expectStatus(result, 201);
  });

  it('issues an ES256 access token with the documented claims, typed as an access token, naming its key', async () => {
    const account = await registerAccount(gate);
    const header = decodeProtectedHeader(account.accessToken);
    expect(Object.keys(header).sort()).toEqual(['alg', 'kid', 'typ']);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'at+jwt', kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    const claims = decodeJwt(account.accessToken);
    expect(claims).toMatchObject({ iss: 'gatehouse', aud: 'gatehouse' });
    for (const claim of ['sub', 'sid', 'org', 'iat', 'exp', 'jti']) expect(claims).toHaveProperty(claim);
    expect(claims.exp! - claims.iat!).toBe(15 * 60);
    expect(account.refreshToken).toMatch(/^[A-Za-z0-9_-]{43,}$/);
  });

  it('login is case-insensitive on the email and starts a new session each time', async () => {
    const account = await registerAccount(gate);
    gate.clock.advanceSeconds(1);
    const again = await login(gate, { ...account, email: account.email.toUpperCase() }, 'Second Browser');
    const listed = await gate.post('/auth/sessions', undefined, again.bearer);
    expectStatus(listed, 200);
    expect(listed.body.sessions).toHaveLength(2);
    const [newest, oldest] = listed.body.sessions;
    expect(newest).toMatchObject({ userAgent: 'Second Browser', current: true, ipAddress: '127.0.0.1' });
    expect(oldest.current).toBe(false);
  });

  it('refresh rotates the token and keeps the session', async () => {
    const account = await registerAccount(gate);
    const first = await gate.post('/auth/refresh', { refresh_token: account.refreshToken });
    expectStatus(first, 200);
    expect(first.body.refresh_token).not.toBe(account.refreshToken);
    expect(decodeJwt(first.body.access_token).sid).toBe(decodeJwt(account.accessToken).sid);
    const second = await gate.post('/auth/refresh', { refresh_token: first.body.refresh_token });
    expectStatus(second, 200);
    expect(second.headers.get('cache-control')).toBe('no-store');
  });

  it('logout ends the session of the token; its access token is refused at once', async () => {
    const account = await registerAccount(gate);
    expectStatus(await gate.post('/auth/logout', { refresh_token: account.refreshToken }), 200);
    expectStatus(await gate.post('/auth/refresh', { refresh_token: account.refreshToken }), 401);
    expectStatus(await gate.post('/auth/me', undefined, account.bearer), 401);
  });

  it('logout of an unknown or already-ended token answers 200 and changes nothing', async () => {
    const account = await registerAccount(gate);
    const unknown = await gate.post('/auth/logout', { refresh_token: 'never-issued' });
    expect(unknown).toMatchObject({ status: 200, body: { message: 'Logged out successfully' } });
    expectStatus(await gate.post('/auth/logout', { refresh_token: account.refreshToken }), 200);
    expectStatus(await gate.post('/auth/logout', { refresh_token: account.refreshToken }), 200);
  });

  it('logout-all ends every session of the user but leaves API keys working', async () => {
    const account = await registerAccount(gate);
    const apiKey = await createApiKey(gate, account);
    const other = await login(gate, account);
    const result = await gate.post('/auth/logout-all', undefined, account.bearer);
    expect(result).toMatchObject({ status: 200, body: { message: 'All sessions logged out successfully' } });
    expectStatus(await gate.post('/auth/refresh', { refresh_token: other.refreshToken }), 401);
    expectStatus(await gate.post('/auth/me', undefined, other.bearer), 401);
    const listed = await gate.post('/auth/sessions', undefined, { 'x-api-key': apiKey });
    expect(listed).toMatchObject({ status: 200, body: { sessions: [] } });
  });

  it("revoke-session ends one of the caller's sessions; again is still 200", async () => {
    const account = await registerAccount(gate);
    const other = await login(gate, account, 'Phone');
    const listed = await gate.post('/auth/sessions', undefined, account.bearer);
    const phone = listed.body.sessions.find((session: { userAgent: string }) => session.userAgent === 'Phone');
    const first = await gate.post('/auth/revoke-session', { sessionId: phone.id }, account.bearer);
    expect(first).toMatchObject({ status: 200, body: { message: 'Session revoked successfully' } });
    expectStatus(await gate.post('/auth/revoke-session', { sessionId: phone.id }, account.bearer), 200);
    expectStatus(await gate.post('/auth/refresh', { refresh_token: other.refreshToken }), 401);
    const after = await gate.post('/auth/sessions', undefined, account.bearer);
    expect(after.body.sessions.map((session: { id: string }) => session.id)).not.toContain(phone.id);
  });

  it('revoke-session of an unknown id is 404; of a non-UUID is 400', async () => {
    const account = await registerAccount(gate);
    const unknown = await gate.post(
      '/auth/revoke-session',
      { sessionId: '550e8400-e29b-41d4-a716-446655440000' },
      account.bearer,
    );
    expect(unknown).toMatchObject({ status: 404, body: { code: 'NOT_FOUND', reason: 'session_not_found' } });
    const invalid = await gate.post('/auth/revoke-session', { sessionId: 'not-a-uuid' }, account.bearer);
    expectStatus(invalid, 400);
    expect(invalid.body.issues[0].path).toEqual(['sessionId']);
  });
});

describe('API keys', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse();
  });
  afterAll(() => gate?.close());

  it('shows the secret once, lists keys without secrets, and revokes at once', async () => {
    const account = await registerAccount(gate);
    const created = await gate.post('/auth/api-keys/create', { name: 'integration' }, account.bearer);
    expectStatus(created, 201);
    expect(created.body).toMatchObject({ name: 'integration', expiresAt: null });
    expect(created.body.key).toMatch(/^gk_[A-Za-z0-9_-]{43}$/);
    expect(created.body.key.startsWith(created.body.prefix)).toBe(true);

    const key = created.body.key as string;
    expectStatus(await gate.post('/auth/me', undefined, { 'x-api-key': key }), 200);

    const listed = await gate.post('/auth/api-keys', undefined, account.bearer);
    expectStatus(listed, 200);
    expect(listed.body.apiKeys).toHaveLength(1);
    expect(listed.body.apiKeys[0]).toMatchObject({ id: created.body.id, prefix: created.body.prefix, revokedAt: null });
    expect(listed.body.apiKeys[0].lastUsedAt).not.toBeNull();
    expect(JSON.stringify(listed.body)).not.toContain(key.slice(created.body.prefix.length));

    const revoked = await gate.post('/auth/api-keys/revoke', { id: created.body.id }, account.bearer);
    expect(revoked).toMatchObject({ status: 200, body: { message: 'API key revoked successfully' } });
    expectStatus(await gate.post('/auth/me', undefined, { 'x-api-key': key }), 401);
  });

  it('an expired key stops working; an expiry in the past is refused', async () => {
    const account = await registerAccount(gate);
    const expiresAt = new Date(gate.clock.now().getTime() + 60_000).toISOString();
    const created = await gate.post('/auth/api-keys/create', { name: 'short', expiresAt }, account.bearer);
    expectStatus(created, 201);
    expectStatus(await gate.post('/auth/me', undefined, { 'x-api-key': created.body.key }), 200);
    gate.clock.advanceSeconds(61);
    const expired = await gate.post('/auth/me', undefined, { 'x-api-key': created.body.key });
    expect(expired).toMatchObject({ status: 401, body: { reason: 'api_key_expired' } });

    const past = new Date(gate.clock.now().getTime() - 1000).toISOString();
    const refused = await gate.post('/auth/api-keys/create', { name: 'late', expiresAt: past }, account.bearer);
    expectStatus(refused, 400);
  });
});
