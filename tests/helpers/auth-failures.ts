import { beforeAll, describe, expect, it } from 'vitest';
import { procedureMetas } from '../../server/trpc/root';
import { createApiKey, createApiKeyWithId, expectStatus, login, registerAccount, type Account } from './fixtures';
import type { Gatehouse } from './harness';

export interface ProtectedOperation {
  /** The procedure ('auth.me'). */
  procedure: string;
  /** Its REST path ('/auth/me'), always a POST. */
  path: string;
  body?: unknown;
  /** 'user': a key or a Bearer token; 'session': a Bearer token only. */
  access: 'user' | 'session';
}

/**
 * Every procedure of the router that needs a user or a session, read from its meta, so that
 * a new one is in the suite without anyone adding it. `bodies` gives inputs of the right
 * shape by procedure, so that a refusal is about the credential and never about the body.
 */
export function protectedOperations(bodies: Record<string, unknown>): ProtectedOperation[] {
  return procedureMetas().flatMap(([procedure, meta]) => {
    const access = meta?.access;
    if (access !== 'user' && access !== 'session') return [];
    const path = meta?.openapi?.path;
    if (!path || meta?.openapi?.method !== 'POST') throw new Error(`${procedure} needs a POST path in its openapi meta`);
    return [{ procedure, path, access, ...(procedure in bodies ? { body: bodies[procedure] } : {}) }];
  });
}

/**
 * The same credential failures, asserted on every protected operation: no credential, a
 * garbled or revoked key, a garbled or ended Bearer token, and credentials of two organizations.
 */
export function describeAuthFailures(operation: ProtectedOperation, gatehouse: () => Gatehouse): void {
  describe(`${operation.procedure} (${operation.path}) refuses bad credentials`, () => {
    let gate: Gatehouse;
    let account: Account;
    let apiKey: string;

    beforeAll(async () => {
      gate = gatehouse();
      account = await registerAccount(gate);
      apiKey = await createApiKey(gate, account);
    });

    const call = (headers: Record<string, string>) => gate.post(operation.path, operation.body, headers);
    const expectRefusal = async (headers: Record<string, string>, status: number, reason: string) => {
      const result = await call(headers);
      expectStatus(result, status);
      expect(result.body).toMatchObject({ code: expect.any(String), message: expect.any(String), reason });
    };

    it('no credential: 401', () => expectRefusal({}, 401, 'authentication_required'));
    it('garbled API key: 401', () => expectRefusal({ 'x-api-key': 'gk_not-a-real-key' }, 401, 'invalid_api_key'));
    it('empty API key: 401', () => expectRefusal({ 'x-api-key': '' }, 401, 'invalid_api_key'));
    it('garbled Bearer token: 401', () => expectRefusal({ authorization: 'Bearer abc.def.ghi' }, 401, 'invalid_access_token'));
    it('another Authorization scheme: 401', () =>
      expectRefusal({ authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }, 401, 'invalid_access_token'));

    it('revoked API key: 401', async () => {
      const doomed = await createApiKeyWithId(gate, account, 'doomed');
      expectStatus(await gate.post('/auth/api-keys/revoke', { id: doomed.id }, account.bearer), 200);
      await expectRefusal({ 'x-api-key': doomed.key }, 401, 'api_key_revoked');
    });

    it('Bearer token of an ended session: 401', async () => {
      const session = await login(gate, account);
      expectStatus(await gate.post('/auth/logout', { refresh_token: session.refreshToken }), 200);
      await expectRefusal(session.bearer, 401, 'session_revoked');
    });

    it('a key and a Bearer token of two organizations: 401', async () => {
      const stranger = await registerAccount(gate);
      await expectRefusal({ ...stranger.bearer, 'x-api-key': apiKey }, 401, 'credentials_mismatch');
    });

    if (operation.access === 'session') {
      it('an API key alone: 403', () => expectRefusal({ 'x-api-key': apiKey }, 403, 'session_required'));
    }
  });
}
