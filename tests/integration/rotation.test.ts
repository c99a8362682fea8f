import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, registerAccount } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse } from '../helpers/harness';

const refresh = (gate: Gatehouse, token: string, headers: Record<string, string> = {}) =>
  gate.post('/auth/refresh', { refresh_token: token }, headers);

describe('refresh token rotation', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse();
  });
  afterAll(() => gate?.close());

  it('50 concurrent refreshes of one token converge on one successor, many times over', { timeout: 120_000 }, async () => {
    const account = await registerAccount(gate);
    let token = account.refreshToken;
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all(Array.from({ length: 50 }, () => refresh(gate, token)));
      const statuses = results.map((result) => result.status);
      expect(statuses.every((status) => status === 200), `statuses: ${statuses.join(',')}`).toBe(true);
      const successors = new Set(results.map((result) => result.body.refresh_token as string));
      expect(successors.size).toBe(1);
      [token] = [...successors] as [string];
    }
    expectStatus(await refresh(gate, token), 200);
  });

  it('a rotated-out token presented after the grace window is reuse: the session ends', async () => {
    const account = await registerAccount(gate);
    const next = await refresh(gate, account.refreshToken);
    expectStatus(next, 200);
    gate.clock.advanceSeconds(11);
    const replay = await refresh(gate, account.refreshToken);
    expect(replay).toMatchObject({ status: 401, body: { reason: 'refresh_token_reused' } });
    // The whole session is over: its current token and its access tokens too.
    const successor = await refresh(gate, next.body.refresh_token);
    expect(successor).toMatchObject({ status: 401, body: { reason: 'session_revoked' } });
    const bearer = await gate.post('/auth/me', undefined, { authorization: `Bearer ${next.body.access_token}` });
    expectStatus(bearer, 401);
  });

  it('R1 → R2 → R3, then R1 inside the grace window: reuse, not a race', async () => {
    const account = await registerAccount(gate);
    const r2 = await refresh(gate, account.refreshToken);
    const r3 = await refresh(gate, r2.body.refresh_token);
    expectStatus(r3, 200);
    const replay = await refresh(gate, account.refreshToken);
    expect(replay).toMatchObject({ status: 401, body: { reason: 'refresh_token_reused' } });
    expectStatus(await refresh(gate, r3.body.refresh_token), 401);
  });

  it('a replay inside the grace window gets the same successor and a fresh access token', async () => {
    const account = await registerAccount(gate);
    const first = await refresh(gate, account.refreshToken);
    gate.clock.advanceSeconds(9);
    const second = await refresh(gate, account.refreshToken);
    expectStatus(second, 200);
    expect(second.body.refresh_token).toBe(first.body.refresh_token);
    expect(second.body.access_token).not.toBe(first.body.access_token);
    expectStatus(await refresh(gate, second.body.refresh_token), 200);
  });

  it('an unknown token is 401 invalid_refresh_token and ends nothing', async () => {
    const result = await refresh(gate, 'dGhpcyBpcyBhIHJlZnJlc2ggdG9rZW4');
    expect(result).toMatchObject({ status: 401, body: { code: 'UNAUTHORIZED', reason: 'invalid_refresh_token' } });
  });
});

describe('refresh with no grace window', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse({ config: { refreshReuseGraceSeconds: 0 } });
  });
  afterAll(() => gate?.close());

  it('any replay of a rotated-out token is reuse', async () => {
    const account = await registerAccount(gate);
    expectStatus(await refresh(gate, account.refreshToken), 200);
    const replay = await refresh(gate, account.refreshToken);
    expect(replay).toMatchObject({ status: 401, body: { reason: 'refresh_token_reused' } });
  });

  it('concurrent refreshes still mint exactly one successor; the rest are refused', async () => {
    const account = await registerAccount(gate);
    const results = await Promise.all(Array.from({ length: 20 }, () => refresh(gate, account.refreshToken)));
    const ok = results.filter((result) => result.status === 200);
    expect(ok).toHaveLength(1);
    expect(results.filter((result) => result.status >= 500)).toHaveLength(0);
  });
});
