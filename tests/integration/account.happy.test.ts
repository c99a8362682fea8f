import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, expectStatus, login, registerAccount } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse } from '../helpers/harness';

describe('ending the other sessions', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse();
  });
  afterAll(() => gate?.close());

  it('revoke-other-sessions keeps only the calling session', async () => {
    const account = await registerAccount(gate);
    const phone = await login(gate, account, 'Phone');
    const tablet = await login(gate, account, 'Tablet');
    const result = await gate.post('/auth/revoke-other-sessions', undefined, account.bearer);
    expect(result).toMatchObject({ status: 200, body: { message: 'Other sessions revoked successfully', revokedCount: 2 } });
    for (const other of [phone, tablet]) {
      expectStatus(await gate.post('/auth/refresh', { refresh_token: other.refreshToken }), 401);
    }
    const listed = await gate.post('/auth/sessions', undefined, account.bearer);
    expect(listed.body.sessions).toHaveLength(1);
    expect(listed.body.sessions[0].current).toBe(true);
    expectStatus(await gate.post('/auth/refresh', { refresh_token: account.refreshToken }), 200);
  });

  it('revoke-other-sessions needs a Bearer session: an API key alone is 403', async () => {
    const account = await registerAccount(gate);
    const key = await createApiKey(gate, account);
    const result = await gate.post('/auth/revoke-other-sessions', undefined, { 'x-api-key': key });
    expect(result).toMatchObject({ status: 403, body: { reason: 'session_required' } });
  });
});

describe('changing the password', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse();
  });
  afterAll(() => gate?.close());

  it('needs the current password, ends the other sessions, and the new password signs in', async () => {
    const account = await registerAccount(gate);
    const elsewhere = await login(gate, account);
    const wrong = await gate.post(
      '/auth/change-password',
      { currentPassword: 'not it at all', newPassword: 'a brand new passphrase' },
      account.bearer,
    );
    expect(wrong).toMatchObject({ status: 403, body: { reason: 'invalid_current_password' } });

    const changed = await gate.post(
      '/auth/change-password',
      { currentPassword: account.password, newPassword: 'a brand new passphrase' },
      account.bearer,
    );
    expect(changed).toMatchObject({ status: 200, body: { message: 'Password changed successfully' } });
    expectStatus(await gate.post('/auth/me', undefined, elsewhere.bearer), 401);
    expectStatus(await gate.post('/auth/me', undefined, account.bearer), 200);
    expectStatus(await gate.post('/auth/login', { email: account.email, password: account.password }), 401);
    expectStatus(await gate.post('/auth/login', { email: account.email, password: 'a brand new passphrase' }), 200);
  });

  it('refuses a new password that is too short', async () => {
    const account = await registerAccount(gate);
    const result = await gate.post('/auth/change-password', { currentPassword: account.password, newPassword: 'short' }, account.bearer);
    expectStatus(result, 400);
  });
});
