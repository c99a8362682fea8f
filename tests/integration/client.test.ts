import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatehouseClient, memoryTokenStorage, type GatehouseClientOptions, type TokenStorage } from '../../client/index';
import { expectStatus, registerAccount, type Account } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse } from '../helpers/harness';

/** A fetch that records every request Gatehouse answers, so tests can count refreshes and 401s. */
function recordingFetch() {
  const calls: Array<{ procedure: string; status: number }> = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const response = await globalThis.fetch(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    calls.push({ procedure: url.pathname.replace('/trpc/', ''), status: response.status });
    return response;
  };
  return {
    fetch,
    refreshes: () => calls.filter((call) => call.procedure === 'auth.refresh').length,
    unauthorized: () => calls.filter((call) => call.status === 401).length,
  };
}

const INVALID_ACCESS_TOKEN = 'not-a.valid-access.token';
const TWENTY = Array.from({ length: 20 }, (_, index) => index);

describe('createGatehouseClient against a running Gatehouse', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse();
  });
  afterAll(() => gate?.close());

  const clientWith = (options: Partial<GatehouseClientOptions> = {}) => {
    const recorder = recordingFetch();
    const client = createGatehouseClient({
      url: gate.url,
      fetch: recorder.fetch,
      // The server's clock: expiry is the same instant on both sides.
      now: () => gate.clock.now().getTime(),
      ...options,
    });
    return { client, recorder };
  };

  /** A client signed in to a fresh session of `account`, whose stored access token is then garbled. */
  async function clientWithInvalidAccessToken(account: Account, options: Partial<GatehouseClientOptions> = {}) {
    const storage = options.storage ?? memoryTokenStorage();
    const setup = clientWith({ ...options, storage });
    await setup.client.signIn(account);
    storage.set({ access_token: INVALID_ACCESS_TOKEN, refresh_token: storage.get()!.refresh_token });
    return { ...setup, storage };
  }

  // Every test signs up an account of its own: none leans on the sessions or the clock another left.
  it('a refresh whose answer is lost, then one refused with 503: retried with the same token after Retry-After, the session lives on', async () => {
    const account = await registerAccount(gate);
    const faults: Array<'lose-answer' | 'unavailable'> = ['lose-answer', 'unavailable'];
    const waits: number[] = [];
    const sentTokens: string[] = [];
    const faulty: typeof globalThis.fetch = async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (!url.includes('/trpc/auth.refresh')) return globalThis.fetch(input, init);
      sentTokens.push(JSON.parse(String(init?.body)).refresh_token);
      const fault = faults.shift();
      if (fault === 'unavailable') {
        // What Gatehouse answers while its database fails over.
        const body = { error: { message: 'The database is unavailable; retry shortly', code: -32603, data: { code: 'SERVICE_UNAVAILABLE', httpStatus: 503, reason: 'database_unavailable' } } };
        return new Response(JSON.stringify(body), { status: 503, headers: { 'content-type': 'application/json', 'retry-after': '2' } });
      }
      const response = await globalThis.fetch(input, init);
      if (fault === 'lose-answer') throw new TypeError('fetch failed');
      return response;
    };
    const ended: string[] = [];
    const { client } = clientWith({ fetch: faulty, sleep: async (ms) => void waits.push(ms) });
    client.onSessionEnd((reason) => ended.push(reason));
    await client.signIn(account);
    const signedInRefreshToken = client.tokens()!.refresh_token;
    gate.clock.advanceSeconds(15 * 60);
    const me = await client.auth.me.query();
    expect(me.user.email).toBe(account.email);
    // Three tries of one token: the lost answer's rotation was replayed inside the grace window.
    expect(sentTokens).toEqual([signedInRefreshToken, signedInRefreshToken, signedInRefreshToken]);
    expect(waits).toEqual([1000, 2000]);
    expect(ended).toEqual([]);
    expect(client.tokens()!.refresh_token).not.toBe(signedInRefreshToken);
  });

  it('gives up after refreshRetries passing failures, keeping the tokens and the session', async () => {
    const account = await registerAccount(gate);
    const down: typeof globalThis.fetch = async (input, init) => {
      if (String(input instanceof Request ? input.url : input).includes('/trpc/auth.refresh')) throw new TypeError('fetch failed');
      return globalThis.fetch(input, init);
    };
    let waited = 0;
    const ended: string[] = [];
    const { client } = clientWith({ fetch: down, refreshRetries: 2, sleep: async () => void waited++ });
    client.onSessionEnd((reason) => ended.push(reason));
    await client.signIn(account);
    const before = client.tokens();
    gate.clock.advanceSeconds(15 * 60);
    await expect(client.auth.me.query()).rejects.toBeInstanceOf(TRPCClientError);
    // The refresh before the call and the one after its 401 each try 1 + 2 times: bounded.
    expect(waited).toBe(4);
    expect(ended).toEqual([]);
    expect(client.tokens()).toEqual(before);
  });

  it('signs in, makes typed calls (queries and mutations) and signs out', async () => {
    const account = await registerAccount(gate);
    const { client } = clientWith();
    expect(client.tokens()).toBeNull();
    await client.signIn(account);
    expect(client.tokens()).toMatchObject({ access_token: expect.any(String), refresh_token: expect.any(String) });

    const { sessions } = await client.auth.sessions.query();
    const current = sessions.find((session) => session.current);
    expect(current).toBeDefined();
    expect((await client.auth.me.query()).user.email).toBe(account.email);
    const key = await client.apiKeys.create.mutate({ name: 'from the client' });
    expect((await client.apiKeys.list.query()).apiKeys.map((entry) => entry.id)).toContain(key.id);

    await client.signOut();
    expect(client.tokens()).toBeNull();
    const listed = await gate.post('/auth/sessions', undefined, account.bearer);
    expect(listed.body.sessions.map((session: { id: string }) => session.id)).not.toContain(current!.id);
  });

  it('20 concurrent calls with an invalid access token: one refresh, then every call succeeds', async () => {
    const { client, recorder, storage } = await clientWithInvalidAccessToken(await registerAccount(gate));
    const results = await Promise.all(TWENTY.map(() => client.auth.sessions.query()));
    expect(results.every((result) => result.sessions.some((session) => session.current))).toBe(true);
    expect(recorder.refreshes()).toBe(1);
    expect(storage.get()!.access_token).not.toBe(INVALID_ACCESS_TOKEN);
    // Each call was refused at most once, then retried with the fresh token.
    expect(recorder.unauthorized()).toBeLessThanOrEqual(20);
  });

  it('refreshes before the access token expires, so no call meets a 401', async () => {
    const account = await registerAccount(gate);
    const { client, recorder } = clientWith();
    await client.signIn(account);
    const before = client.tokens()!;
    // 15 minutes minus 20 s: inside the 30 s refresh leeway, still valid on the server.
    gate.clock.advanceSeconds(15 * 60 - 20);
    await Promise.all(TWENTY.map(() => client.auth.me.query()));
    expect(recorder.refreshes()).toBe(1);
    expect(recorder.unauthorized()).toBe(0);
    expect(client.tokens()!.refresh_token).not.toBe(before.refresh_token);

    // Long after expiry: refreshed again, still without a 401.
    gate.clock.advanceSeconds(60 * 60);
    await Promise.all(TWENTY.map(() => client.auth.sessions.query()));
    expect(recorder.refreshes()).toBe(2);
    expect(recorder.unauthorized()).toBe(0);
  });

  it('two clients sharing one storage (two tabs) converge on the same tokens and keep the session', async () => {
    const storage = memoryTokenStorage();
    const first = await clientWithInvalidAccessToken(await registerAccount(gate), { storage });
    const second = clientWith({ storage });
    const ended: string[] = [];
    first.client.onSessionEnd((reason) => ended.push(reason));
    second.client.onSessionEnd((reason) => ended.push(reason));
    await Promise.all(TWENTY.flatMap(() => [first.client.auth.me.query(), second.client.auth.me.query()]));
    expect(first.recorder.refreshes() + second.recorder.refreshes()).toBeLessThanOrEqual(2);
    expect(ended).toEqual([]);
    expect((await first.client.auth.sessions.query()).sessions.some((session) => session.current)).toBe(true);
  });

  it('a revoked session: one refresh attempt, storage cleared, onSessionEnd gets the reason once', async () => {
    const account = await registerAccount(gate);
    const { client, recorder } = clientWith();
    await client.signIn(account);
    const ended: string[] = [];
    client.onSessionEnd((reason) => ended.push(reason));
    const bearer = { authorization: `Bearer ${client.tokens()!.access_token}` };
    expectStatus(await gate.post('/auth/logout', { refresh_token: client.tokens()!.refresh_token }, bearer), 200);

    const outcomes = await Promise.allSettled(TWENTY.map(() => client.auth.sessions.query()));
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      const error = (outcome as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(TRPCClientError);
      expect(error.data).toMatchObject({ httpStatus: 401 });
    }
    expect(recorder.refreshes()).toBe(1);
    expect(ended).toEqual(['session_revoked']);
    expect(client.tokens()).toBeNull();
  });

  it('a replayed refresh token: the session ends with reason refresh_token_reused', async () => {
    const storage: TokenStorage = memoryTokenStorage();
    const { client } = await clientWithInvalidAccessToken(await registerAccount(gate), { storage });
    const stale = storage.get()!;
    // Someone else rotates the token, and the grace window passes: presenting it again is reuse.
    expectStatus(await gate.post('/auth/refresh', { refresh_token: stale.refresh_token }), 200);
    gate.clock.advanceSeconds(gate.deps.config.refreshReuseGraceSeconds + 1);
    const ended: string[] = [];
    client.onSessionEnd((reason) => ended.push(reason));

    await expect(client.auth.me.query()).rejects.toBeInstanceOf(TRPCClientError);
    expect(ended).toEqual(['refresh_token_reused']);
    expect(client.tokens()).toBeNull();
  });

  it('with an API key and no sign-in, calls act as the key', async () => {
    const account = await registerAccount(gate);
    const created = await gate.post('/auth/api-keys/create', { name: 'client key' }, account.bearer);
    expectStatus(created, 201);
    const { client, recorder } = clientWith({ apiKey: created.body.key });
    expect((await client.auth.me.query()).user.email).toBe(account.email);
    expect(recorder.refreshes()).toBe(0);
  });

  it('signs up a new organization and its owner', async () => {
    const { client } = clientWith();
    await client.signUp({
      email: `client-${Date.now()}@example.test`,
      password: 'a long enough password',
      organization: { name: 'Client Org', type: 'ngo', size: '1-10', primaryUse: 'market research' },
    });
    expect((await client.auth.me.query()).organization.primaryUse).toBe('market research');
  });
});
