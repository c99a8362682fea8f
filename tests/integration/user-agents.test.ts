import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, refreshTokens } from '../../server/db/schema';
import { hashSecret } from '../../server/domain/tokens';
import { expectStatus, login, registerAccount, type Account } from '../helpers/fixtures';
import { httpPost, startGatehouse, type Gatehouse } from '../helpers/harness';

/**
 * A User-Agent is whatever the client sends: stored whole, every request could grow the
 * sessions, audit and refresh-token tables by kilobytes. Gatehouse keeps its first 512
 * characters wherever it records one.
 */
const KEPT = 512;
const TEN_KB = `Mozilla/5.0 (Owner) ${'o'.repeat(10 * 1024)}`;
const OTHER_TEN_KB = `Mozilla/5.0 (Thief) ${'t'.repeat(10 * 1024)}`;

describe('user agents are stored to their first 512 characters', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse();
  });
  afterAll(() => gate?.close());

  const sessionUserAgents = async (account: Account) => {
    const listed = await gate.post('/auth/sessions', undefined, account.bearer);
    expectStatus(listed, 200);
    return listed.body.sessions.map((session: { userAgent: string | null }) => session.userAgent) as Array<string | null>;
  };

  it('a 10 kB User-Agent on sign-up, sign-in and refresh is answered, and the session list shows 512 characters of it', async () => {
    const account = await registerAccount(gate, { userAgent: TEN_KB });
    const phone = await login(gate, account, TEN_KB);
    const refreshed = await gate.post('/auth/refresh', { refresh_token: phone.refreshToken }, { 'user-agent': TEN_KB });
    expectStatus(refreshed, 200);
    // Over tRPC as well: the origin is built once, for both faces.
    const rpc = await httpPost(`${gate.url}/trpc/auth.login`, { email: account.email, password: account.password }, { 'user-agent': TEN_KB });
    expect(rpc.status, JSON.stringify(rpc.body)).toBe(200);

    const agents = await sessionUserAgents(account);
    expect(agents).toHaveLength(3);
    for (const agent of agents) expect(agent).toBe(TEN_KB.slice(0, KEPT));

    // The rotation records who rotated, with the same bound.
    const [rotated] = await gate.deps.db
      .select({ userAgent: refreshTokens.rotatedByUserAgent })
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, hashSecret(phone.refreshToken)));
    expect(rotated?.userAgent).toBe(TEN_KB.slice(0, KEPT));
  });

  it('audit events, the reuse event and its record of both sides included, keep 512 characters', async () => {
    const account = await registerAccount(gate, { userAgent: TEN_KB });
    await gate.post('/auth/login', { email: account.email, password: 'not the password' }, { 'user-agent': OTHER_TEN_KB });
    expectStatus(await gate.post('/auth/refresh', { refresh_token: account.refreshToken }, { 'user-agent': TEN_KB }), 200);
    gate.clock.advanceSeconds(60);
    const replay = await gate.post('/auth/refresh', { refresh_token: account.refreshToken }, { 'user-agent': OTHER_TEN_KB });
    expect(replay).toMatchObject({ status: 401, body: { reason: 'refresh_token_reused' } });

    const other = await login(gate, account);
    const listed = await gate.post('/auth/audit-events', undefined, other.bearer);
    expectStatus(listed, 200);
    const events = listed.body.events as Array<{ type: string; userAgent: string | null; details: any }>;
    expect(events.map((event) => event.type)).toEqual(['sign_in', 'refresh_token_reused', 'refresh', 'sign_in_failed', 'sign_up']);
    const byType = Object.fromEntries(events.map((event) => [event.type, event]));
    expect(byType.sign_up!.userAgent).toBe(TEN_KB.slice(0, KEPT));
    expect(byType.sign_in_failed!.userAgent).toBe(OTHER_TEN_KB.slice(0, KEPT));
    expect(byType.refresh!.userAgent).toBe(TEN_KB.slice(0, KEPT));
    expect(byType.refresh_token_reused!.userAgent).toBe(OTHER_TEN_KB.slice(0, KEPT));
    expect(byType.refresh_token_reused!.details).toMatchObject({
      rotatedBy: { userAgent: TEN_KB.slice(0, KEPT) },
      replayedBy: { userAgent: OTHER_TEN_KB.slice(0, KEPT) },
    });

    // Nothing in the table is longer, whichever event wrote it.
    const rows = await gate.deps.db.select({ userAgent: auditEvents.userAgent, details: auditEvents.details }).from(auditEvents);
    for (const row of rows) {
      expect(row.userAgent?.length ?? 0).toBeLessThanOrEqual(KEPT);
      expect(JSON.stringify(row.details ?? {})).not.toContain('o'.repeat(KEPT));
      expect(JSON.stringify(row.details ?? {})).not.toContain('t'.repeat(KEPT));
    }
  });

  it('an agent of exactly 512 characters is kept whole, one of 513 loses its last', async () => {
    const exact = 'E'.repeat(KEPT);
    const account = await registerAccount(gate, { userAgent: exact });
    await login(gate, account, `${'F'.repeat(KEPT)}G`);
    expect((await sessionUserAgents(account)).sort()).toEqual([exact, 'F'.repeat(KEPT)]);
  });
});
