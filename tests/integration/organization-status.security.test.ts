import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateOrganization } from '../../server/db/queries/organizations';
import type { OrgStatus } from '../../server/domain/organizations';
import { createApiKey, expectStatus, registerAccount, type Account } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse } from '../helpers/harness';

describe('a suspended or inactive organization', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse();
  });
  afterAll(() => gate?.close());

  const organizationIdOf = async (account: Account): Promise<string> => {
    const me = await gate.post('/auth/me', undefined, account.bearer);
    expectStatus(me, 200);
    return me.body.organization.id;
  };
  // What an operator does with the admin CLI.
  const setStatus = (organizationId: string, status: OrgStatus) =>
    updateOrganization(gate.deps.db, organizationId, { status, updatedAt: gate.clock.now() });

  for (const [status, reason] of [
    ['suspended', 'organization_suspended'],
    ['inactive', 'organization_inactive'],
  ] as const) {
    it(`${status}: cannot sign in, refresh, or use its keys or tokens (403 ${reason})`, async () => {
      const account = await registerAccount(gate);
      const key = await createApiKey(gate, account);
      await setStatus(await organizationIdOf(account), status);

      const refusals = [
        await gate.post('/auth/login', { email: account.email, password: account.password }),
        await gate.post('/auth/refresh', { refresh_token: account.refreshToken }),
        await gate.post('/auth/sessions', undefined, { 'x-api-key': key }),
        await gate.post('/auth/me', undefined, account.bearer),
      ];
      for (const refusal of refusals) {
        expect(refusal, JSON.stringify(refusal.body)).toMatchObject({ status: 403, body: { code: 'FORBIDDEN', reason } });
      }
    });
  }

  it('active again: its keys and sessions work again', async () => {
    const account = await registerAccount(gate);
    const key = await createApiKey(gate, account);
    const organizationId = await organizationIdOf(account);
    await setStatus(organizationId, 'suspended');
    expectStatus(await gate.post('/auth/sessions', undefined, { 'x-api-key': key }), 403);
    await setStatus(organizationId, 'active');
    expectStatus(await gate.post('/auth/sessions', undefined, { 'x-api-key': key }), 200);
    expectStatus(await gate.post('/auth/refresh', { refresh_token: account.refreshToken }), 200);
  });
});
