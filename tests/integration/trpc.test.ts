import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppRouter } from '../../client/index';
import { uniqueEmail } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse } from '../helpers/harness';

describe('typed RPC at /trpc', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse();
  });
  afterAll(() => gate?.close());

  const clientWith = (headers: () => Record<string, string>) =>
    createTRPCClient<AppRouter>({ links: [httpLink({ url: `${gate.url}/trpc`, headers })] });

  it('runs the same operations as REST, with the same results', async () => {
    let accessToken = '';
    const client = clientWith((): Record<string, string> => (accessToken ? { authorization: `Bearer ${accessToken}` } : {}));
    const tokens = await client.auth.register.mutate({
      email: uniqueEmail(),
      password: 'long enough password',
      organization: { name: 'RPC Org', type: 'education', size: '51-200', primaryUse: 'support' },
    });
    accessToken = tokens.access_token;

    const { sessions } = await client.auth.sessions.query();
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.current).toBe(true);

    const me = await client.auth.me.query();
    expect(me.organization.primaryUse).toBe('support');

    const key = await client.apiKeys.create.mutate({ name: 'from rpc' });
    const { apiKeys } = await client.apiKeys.list.query();
    expect(apiKeys.map((entry) => entry.id)).toEqual([key.id]);

    const rotated = await client.auth.refresh.mutate({ refresh_token: tokens.refresh_token });
    expect(rotated.refresh_token).not.toBe(tokens.refresh_token);
    accessToken = rotated.access_token;
    expect(await client.auth.logoutAll.mutate()).toEqual({ message: 'All sessions logged out successfully' });
  });

  it('errors carry the HTTP status and the stable reason in error data', async () => {
    const client = clientWith(() => ({}));
    const error = await client.auth.sessions.query().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TRPCClientError);
    const data = (error as TRPCClientError<AppRouter>).data as { httpStatus: number; reason?: string };
    expect(data).toMatchObject({ httpStatus: 401, reason: 'authentication_required' });
  });
});
