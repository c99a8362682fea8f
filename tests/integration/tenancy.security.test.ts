import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApiKey, createApiKeyWithId, expectStatus, registerAccount, type Account } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse } from '../helpers/harness';

describe('one organization can never touch another', () => {
  let gate: Gatehouse;
  let alice: Account;
  let mallory: Account;
  let malloryKey: string;

  beforeAll(async () => {
    gate = await startGatehouse();
  });
  afterAll(() => gate?.close());

  // Two new organizations for every test: what one test does to Alice's tokens never reaches another.
  beforeEach(async () => {
    [alice, mallory] = await Promise.all([registerAccount(gate, { userAgent: 'Alice Browser' }), registerAccount(gate)]);
    malloryKey = await createApiKey(gate, mallory);
  });

  const aliceSessionId = async () => {
    const listed = await gate.post('/auth/sessions', undefined, alice.bearer);
    expectStatus(listed, 200);
    return listed.body.sessions[0].id as string;
  };

  it("a foreign key cannot refresh another organization's token, and the token stays usable", async () => {
    for (const headers of [{ 'x-api-key': malloryKey }, mallory.bearer]) {
      const result = await gate.post('/auth/refresh', { refresh_token: alice.refreshToken }, headers);
      expect(result).toMatchObject({ status: 401, body: { reason: 'invalid_refresh_token' } });
    }
    expectStatus(await gate.post('/auth/refresh', { refresh_token: alice.refreshToken }), 200);
  });

  it("a foreign key's logout of another organization's token answers 200 and ends nothing", async () => {
    const result = await gate.post('/auth/logout', { refresh_token: alice.refreshToken }, { 'x-api-key': malloryKey });
    expect(result).toMatchObject({ status: 200, body: { message: 'Logged out successfully' } });
    expectStatus(await gate.post('/auth/sessions', undefined, alice.bearer), 200);
  });

  it("a foreign session id answers 404 exactly like an unknown one, and stays live", async () => {
    const foreign = await gate.post('/auth/revoke-session', { sessionId: await aliceSessionId() }, { 'x-api-key': malloryKey });
    const unknown = await gate.post(
      '/auth/revoke-session',
      { sessionId: '550e8400-e29b-41d4-a716-446655440000' },
      { 'x-api-key': malloryKey },
    );
    expectStatus(foreign, 404);
    expect(foreign.body).toEqual(unknown.body);
    expectStatus(await gate.post('/auth/me', undefined, alice.bearer), 200);
  });

  it("listings show only the caller's own sessions and keys", async () => {
    const sessions = await gate.post('/auth/sessions', undefined, { 'x-api-key': malloryKey });
    expect(sessions.body.sessions.map((session: { userAgent: string }) => session.userAgent)).not.toContain('Alice Browser');
    await createApiKey(gate, alice, 'alice key');
    const keys = await gate.post('/auth/api-keys', undefined, mallory.bearer);
    expect(keys.body.apiKeys.map((key: { name: string }) => key.name)).not.toContain('alice key');
  });

  it("a foreign key id cannot be revoked: 404, and the key keeps working", async () => {
    const aliceKey = await createApiKeyWithId(gate, alice, 'kept');
    const result = await gate.post('/auth/api-keys/revoke', { id: aliceKey.id }, mallory.bearer);
    expect(result).toMatchObject({ status: 404, body: { reason: 'api_key_not_found' } });
    expectStatus(await gate.post('/auth/me', undefined, { 'x-api-key': aliceKey.key }), 200);
  });

  it("a key sent along to login must be of the user's organization", async () => {
    const result = await gate.post('/auth/login', { email: alice.email, password: alice.password }, { 'x-api-key': malloryKey });
    expect(result).toMatchObject({ status: 401, body: { reason: 'invalid_credentials' } });
  });

  it('a bad key sent along to refresh or logout is 401, and nothing changes', async () => {
    for (const path of ['/auth/refresh', '/auth/logout']) {
      const result = await gate.post(path, { refresh_token: alice.refreshToken }, { 'x-api-key': 'gk_forged' });
      expect(result).toMatchObject({ status: 401, body: { reason: 'invalid_api_key' } });
    }
    expectStatus(await gate.post('/auth/me', undefined, alice.bearer), 200);
  });
});
