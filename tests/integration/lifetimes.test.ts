import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, login, registerAccount } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse } from '../helpers/harness';

const HOUR = 60 * 60;
const DAY = 24 * HOUR;

describe('session lifetimes (clock moved by hand, no sleeping)', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse();
  });
  afterAll(() => gate?.close());

  const refresh = (token: string) => gate.post('/auth/refresh', { refresh_token: token });

  it('a session left alone for 14 days ends: its refresh token and access token are refused', async () => {
    const account = await registerAccount(gate);
    gate.clock.advanceSeconds(14 * DAY - 60);
    const stillLive = await refresh(account.refreshToken);
    expectStatus(stillLive, 200);
    gate.clock.advanceSeconds(14 * DAY + 1);
    const idle = await refresh(stillLive.body.refresh_token);
    expect(idle).toMatchObject({ status: 401, body: { reason: 'session_idle_expired' } });
  });

  it('rotation never extends the absolute 30-day lifetime', async () => {
    const account = await registerAccount(gate);
    let token = account.refreshToken;
    for (let day = 0; day < 29; day++) {
      gate.clock.advanceSeconds(DAY);
      const next = await refresh(token);
      expectStatus(next, 200);
      token = next.body.refresh_token;
    }
    gate.clock.advanceSeconds(DAY);
    const expired = await refresh(token);
    expect(expired).toMatchObject({ status: 401, body: { reason: 'session_expired' } });
  });

  it('an access token expires after 15 minutes, and one of an ended session is refused before that', async () => {
    const account = await registerAccount(gate);
    gate.clock.advanceSeconds(15 * 60 + 1);
    const expired = await gate.post('/auth/me', undefined, account.bearer);
    expect(expired).toMatchObject({ status: 401, body: { reason: 'access_token_expired' } });

    const fresh = await login(gate, account);
    expectStatus(await gate.post('/auth/revoke-session', { sessionId: await currentSessionId(fresh.bearer) }, fresh.bearer), 200);
    const refused = await gate.post('/auth/me', undefined, fresh.bearer);
    expect(refused).toMatchObject({ status: 401, body: { reason: 'session_revoked' } });
  });

  it('lastAccessedAt moves on refresh, and on authenticated calls at most once a minute', async () => {
    const account = await registerAccount(gate);
    const lastAccessed = async () => {
      const listed = await gate.post('/auth/sessions', undefined, account.bearer);
      return listed.body.sessions[0].lastAccessedAt as string;
    };
    const start = await lastAccessed();

    gate.clock.advanceSeconds(30);
    expect(await lastAccessed()).toBe(start);

    gate.clock.advanceSeconds(31);
    const afterAMinute = await lastAccessed();
    expect(Date.parse(afterAMinute)).toBe(Date.parse(start) + 61_000);

    gate.clock.advanceSeconds(5);
    const next = await refresh(account.refreshToken);
    expectStatus(next, 200);
    const listed = await gate.post('/auth/sessions', undefined, { authorization: `Bearer ${next.body.access_token}` });
    expect(Date.parse(listed.body.sessions[0].lastAccessedAt)).toBe(Date.parse(start) + 66_000);
  });

  async function currentSessionId(bearer: Record<string, string>): Promise<string> {
    const listed = await gate.post('/auth/sessions', undefined, bearer);
    return listed.body.sessions.find((session: { current: boolean }) => session.current).id;
  }
});

describe('configured lifetimes', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse({
      config: { accessTokenTtlSeconds: 60, sessionIdleTimeoutSeconds: HOUR, sessionAbsoluteTimeoutSeconds: 2 * HOUR },
    });
  });
  afterAll(() => gate?.close());

  it('follow the configuration', async () => {
    const account = await registerAccount(gate);
    gate.clock.advanceSeconds(61);
    expectStatus(await gate.post('/auth/me', undefined, account.bearer), 401);
    gate.clock.advanceSeconds(HOUR);
    const idle = await gate.post('/auth/refresh', { refresh_token: account.refreshToken });
    expect(idle.body.reason).toBe('session_idle_expired');
  });
});
