import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, login, registerAccount, type Account } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse } from '../helpers/harness';

const refresh = (gate: Gatehouse, token: string) => gate.post('/auth/refresh', { refresh_token: token });
const bearerOf = (accessToken: string) => ({ authorization: `Bearer ${accessToken}` });

describe('sensitive actions need a fresh session', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse({ config: { reauthMaxAgeSeconds: 900, webhookAllowPrivateUrls: true } });
  });
  afterAll(() => gate?.close());

  /** A session whose sign-in is `seconds` old, with a live access token got by refreshing. */
  async function agedSession(seconds: number): Promise<Account> {
    const account = await registerAccount(gate);
    gate.clock.advanceSeconds(seconds);
    const refreshed = await refresh(gate, account.refreshToken);
    expectStatus(refreshed, 200);
    return { ...account, accessToken: refreshed.body.access_token, refreshToken: refreshed.body.refresh_token, bearer: bearerOf(refreshed.body.access_token) };
  }

  it('a key right after sign-in is created; 16 minutes later (refreshed meanwhile) it is 403 reauthentication_required', async () => {
    const fresh = await registerAccount(gate);
    expectStatus(await gate.post('/auth/api-keys/create', { name: 'fresh' }, fresh.bearer), 201);
    const stale = await agedSession(16 * 60);
    const refused = await gate.post('/auth/api-keys/create', { name: 'stale' }, stale.bearer);
    expect(refused).toMatchObject({ status: 403, body: { code: 'FORBIDDEN', reason: 'reauthentication_required' } });
    const listed = await gate.post('/auth/api-keys', undefined, stale.bearer);
    expect(listed.body.apiKeys.map((key: { name: string }) => key.name)).not.toContain('stale');
  });

  it('creating a webhook endpoint needs the same: 403 when stale, 201 with currentPassword', async () => {
    const stale = await agedSession(16 * 60);
    const url = 'http://127.0.0.1:9/hook';
    const refused = await gate.post('/auth/webhooks/create', { url }, stale.bearer);
    expect(refused).toMatchObject({ status: 403, body: { reason: 'reauthentication_required' } });
    expect((await gate.post('/auth/webhooks', undefined, stale.bearer)).body.webhooks ?? []).toHaveLength(0);
    expectStatus(await gate.post('/auth/webhooks/create', { url, currentPassword: stale.password }, stale.bearer), 201);
  });

  it('the same over tRPC', async () => {
    const stale = await agedSession(16 * 60);
    const refused = await gate.post('/trpc/apiKeys.create', { name: 'stale' }, stale.bearer);
    expect(refused).toMatchObject({ status: 403, body: { error: { data: { reason: 'reauthentication_required' } } } });
  });

  it('reauthenticate makes the session fresh again; a wrong password is 403 and changes nothing', async () => {
    const stale = await agedSession(16 * 60);
    const wrong = await gate.post('/auth/reauthenticate', { password: 'not the password' }, stale.bearer);
    expect(wrong).toMatchObject({ status: 403, body: { reason: 'invalid_current_password' } });
    expect(await gate.post('/auth/api-keys/create', { name: 'still stale' }, stale.bearer)).toMatchObject({ status: 403 });
    const right = await gate.post('/auth/reauthenticate', { password: stale.password }, stale.bearer);
    expectStatus(right, 200);
    expect(right.body).toEqual({ message: 'Reauthenticated successfully' });
    expectStatus(await gate.post('/auth/api-keys/create', { name: 'now fresh' }, stale.bearer), 201);
    // Fresh for REAUTH_MAX_AGE_SECONDS, then stale again.
    gate.clock.advanceSeconds(901);
    const later = await refresh(gate, stale.refreshToken);
    expect(await gate.post('/auth/api-keys/create', { name: 'stale again' }, bearerOf(later.body.access_token))).toMatchObject({
      status: 403,
      body: { reason: 'reauthentication_required' },
    });
  });

  it('a currentPassword sent with the action does instead; a wrong one is 403 invalid_current_password', async () => {
    const stale = await agedSession(16 * 60);
    const wrong = await gate.post('/auth/api-keys/create', { name: 'k', currentPassword: 'not it' }, stale.bearer);
    expect(wrong).toMatchObject({ status: 403, body: { reason: 'invalid_current_password' } });
    const right = await gate.post('/auth/api-keys/create', { name: 'k', currentPassword: stale.password }, stale.bearer);
    expectStatus(right, 201);
    expect(JSON.stringify(right.body)).not.toContain(stale.password);
  });

  it('reauthenticate needs a session: an API key alone is 403, nothing is 401', async () => {
    const account = await registerAccount(gate);
    const key = await gate.post('/auth/api-keys/create', { name: 'k' }, account.bearer);
    expect(await gate.post('/auth/reauthenticate', { password: account.password }, { 'x-api-key': key.body.key })).toMatchObject({
      status: 403,
      body: { reason: 'session_required' },
    });
    expect(await gate.post('/auth/reauthenticate', { password: account.password })).toMatchObject({ status: 401 });
  });
});

describe('a stolen session keeps nothing', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse();
  });
  afterAll(() => gate?.close());

  it('reuse detection revokes the API keys created in that session, and only those', async () => {
    const account = await registerAccount(gate);
    const other = await login(gate, account);
    const stolenKey = await gate.post('/auth/api-keys/create', { name: 'made with the stolen session' }, account.bearer);
    const ownKey = await gate.post('/auth/api-keys/create', { name: 'made elsewhere' }, other.bearer);
    expectStatus(await gate.post('/auth/me', undefined, { 'x-api-key': stolenKey.body.key }), 200);

    expectStatus(await refresh(gate, account.refreshToken), 200);
    gate.clock.advanceSeconds(11);
    expect(await refresh(gate, account.refreshToken)).toMatchObject({ status: 401, body: { reason: 'refresh_token_reused' } });

    expect(await gate.post('/auth/me', undefined, { 'x-api-key': stolenKey.body.key })).toMatchObject({
      status: 401,
      body: { reason: 'api_key_revoked' },
    });
    expectStatus(await gate.post('/auth/me', undefined, { 'x-api-key': ownKey.body.key }), 200);
    const events = await gate.post('/auth/audit-events', { limit: 100 }, other.bearer);
    const revoked = events.body.events.filter((event: { type: string }) => event.type === 'api_key_revoked');
    expect(revoked).toHaveLength(1);
    expect(revoked[0].details).toMatchObject({ apiKeyId: stolenKey.body.id, reason: 'session_compromised' });
  });
});

describe('logout with a rotated-out token is reuse', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse();
  });
  afterAll(() => gate?.close());

  it("after a thief rotated the victim's token, the victim's sign-out ends the thief's session", async () => {
    const victim = await registerAccount(gate);
    const thief = await refresh(gate, victim.refreshToken);
    expectStatus(thief, 200);
    gate.clock.advanceSeconds(11);
    const logout = await gate.post('/auth/logout', { refresh_token: victim.refreshToken });
    expectStatus(logout, 200);
    expect(logout.body).toEqual({ message: 'Logged out successfully' });
    expect(await refresh(gate, thief.body.refresh_token)).toMatchObject({ status: 401, body: { reason: 'session_revoked' } });
    expectStatus(await gate.post('/auth/me', undefined, bearerOf(thief.body.access_token)), 401);
    const other = await login(gate, victim);
    const events = await gate.post('/auth/audit-events', { limit: 100 }, other.bearer);
    const types = events.body.events.map((event: { type: string }) => event.type);
    expect(types).toContain('refresh_token_reused');
    expect(types).not.toContain('logout');
  });

  it('inside the grace window it is an ordinary logout', async () => {
    const account = await registerAccount(gate);
    const next = await refresh(gate, account.refreshToken);
    gate.clock.advanceSeconds(5);
    expectStatus(await gate.post('/auth/logout', { refresh_token: account.refreshToken }), 200);
    expect(await refresh(gate, next.body.refresh_token)).toMatchObject({ status: 401, body: { reason: 'session_revoked' } });
    const other = await login(gate, account);
    const events = await gate.post('/auth/audit-events', { limit: 100 }, other.bearer);
    const types = events.body.events.map((event: { type: string }) => event.type);
    expect(types).toContain('logout');
    expect(types).not.toContain('refresh_token_reused');
  });

  it('an already ended session stays as it is: 200, nothing audited', async () => {
    const account = await registerAccount(gate);
    const next = await refresh(gate, account.refreshToken);
    expectStatus(await gate.post('/auth/logout', { refresh_token: next.body.refresh_token }), 200);
    gate.clock.advanceSeconds(11);
    expectStatus(await gate.post('/auth/logout', { refresh_token: account.refreshToken }), 200);
    const other = await login(gate, account);
    const events = await gate.post('/auth/audit-events', { limit: 100 }, other.bearer);
    expect(events.body.events.map((event: { type: string }) => event.type)).not.toContain('refresh_token_reused');
  });
});
