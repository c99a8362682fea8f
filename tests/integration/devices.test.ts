import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessions } from '../../server/db/schema';
import { MAX_CLIENT_HINT_LENGTH } from '../../server/domain/devices';
import { expectStatus, login, registerAccount, type Account } from '../helpers/fixtures';
import { httpPost, startGatehouse, type Gatehouse } from '../helpers/harness';

const CHROME_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';
/** What Chrome 131 on Windows 11 sends with every request to a secure origin, plus the two high-entropy hints. */
const CHROME_HINTS = {
  'sec-ch-ua': '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"',
  'sec-ch-ua-mobile': '?0',
  'sec-ch-ua-platform': '"Windows"',
  'sec-ch-ua-platform-version': '"15.0.0"',
  'sec-ch-ua-full-version-list': '"Google Chrome";v="131.0.6778.86", "Chromium";v="131.0.6778.86", "Not_A Brand";v="24.0.0.0"',
};
const NO_DEVICE = { browser: null, browserVersion: null, os: null, osVersion: null, type: null };

describe('the session list tells the device of each session', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse();
  });
  afterAll(() => gate?.close());

  const listed = async (account: Account) => {
    const result = await gate.post('/auth/sessions', undefined, account.bearer);
    expectStatus(result, 200);
    return result.body.sessions as Array<Record<string, any>>;
  };
  const signIn = async (account: Account, headers: Record<string, string>) => {
    const result = await gate.post('/auth/login', { email: account.email, password: account.password }, headers);
    expectStatus(result, 200);
    return result.body as { access_token: string; refresh_token: string };
  };

  it('from the Client Hints sent at sign-in, which win over the frozen parts of the user agent', async () => {
    const account = await registerAccount(gate, { userAgent: CHROME_WINDOWS, headers: CHROME_HINTS });
    const [session] = await listed(account);
    expect(session!.device).toEqual({ browser: 'Chrome', browserVersion: '131.0.6778.86', os: 'Windows', osVersion: '11', type: 'desktop' });
    // Additive: the API document's four fields are there as before.
    expect(session).toMatchObject({ id: expect.any(String), userAgent: CHROME_WINDOWS, lastAccessedAt: expect.any(String), createdAt: expect.any(String) });
  });

  it('from the user agent alone, per session, over REST and tRPC alike; a refresh changes nothing', async () => {
    const account = await registerAccount(gate, { userAgent: CHROME_WINDOWS });
    const phone = await login(gate, account, SAFARI_IPHONE);
    // A refresh from elsewhere keeps what the session was signed in from.
    expectStatus(await gate.post('/auth/refresh', { refresh_token: phone.refreshToken }, { 'user-agent': 'curl/8.5.0', ...CHROME_HINTS }), 200);
    const byAgent = Object.fromEntries((await listed(account)).map((session) => [session.userAgent, session.device]));
    expect(byAgent).toEqual({
      [CHROME_WINDOWS]: { browser: 'Chrome', browserVersion: '131.0.0.0', os: 'Windows', osVersion: '10', type: 'desktop' },
      [SAFARI_IPHONE]: { browser: 'Safari', browserVersion: '17.1', os: 'iOS', osVersion: '17.1', type: 'mobile' },
    });
    const rpc = await fetch(`${gate.url}/trpc/auth.sessions`, { headers: account.bearer });
    const body = (await rpc.json()) as { result: { data: { sessions: Array<{ device: unknown }> } } };
    expect(body.result.data.sessions.map((session) => session.device)).toEqual(expect.arrayContaining(Object.values(byAgent)));
  });

  it('unknown or absent user agents give nulls', async () => {
    const account = await registerAccount(gate, { userAgent: 'curl/8.5.0' });
    await signIn(account, { 'user-agent': '' });
    await signIn(account, { 'user-agent': 'Swagger test agent' });
    const devices = (await listed(account)).map((session) => session.device);
    expect(devices).toEqual([NO_DEVICE, NO_DEVICE, NO_DEVICE]);
  });

  it('hostile hints (huge, non-ASCII, malformed structured fields) never fail a sign-in or the list, and are bounded when stored', async () => {
    const account = await registerAccount(gate, { userAgent: CHROME_WINDOWS });
    const hostile: Array<Record<string, string>> = [
      // Under the server's 16 kB for all headers together, far over what is kept.
      { 'sec-ch-ua': `"${'A'.repeat(6 * 1024)}";v="1"`, 'sec-ch-ua-platform': `"${'W'.repeat(6 * 1024)}"` },
      // UTF-8 bytes on the wire (Node reads headers as latin1).
      { 'sec-ch-ua': Buffer.from('"Chröme";v="131"', 'utf8').toString('latin1'), 'sec-ch-ua-platform': '"\u00ff\u00fe"' },
      { 'sec-ch-ua': '"unterminated', 'sec-ch-ua-mobile': '?2', 'sec-ch-ua-platform': 'Windows', 'sec-ch-ua-platform-version': ';;' },
      { 'sec-ch-ua': '("inner" "list");v=1, token, :aGk=:', 'sec-ch-ua-full-version-list': ',,,', 'sec-ch-ua-mobile': '"?1"' },
      { 'sec-ch-ua': Array.from({ length: 200 }, (_, index) => `"B${index}";v="${index}"`).join(', ') },
    ];
    for (const headers of hostile) await signIn(account, { 'user-agent': CHROME_WINDOWS, ...headers });
    // The same over tRPC, whose context is built by the same code.
    const rpc = await httpPost(`${gate.url}/trpc/auth.login`, { email: account.email, password: account.password }, hostile[2]!);
    expect(rpc.status, JSON.stringify(rpc.body)).toBe(200);

    const sessionsListed = await listed(account);
    expect(sessionsListed).toHaveLength(hostile.length + 2);
    const fromAgent = { browser: 'Chrome', browserVersion: '131.0.0.0', os: 'Windows', osVersion: '10', type: 'desktop' };
    for (const session of sessionsListed) {
      // Nothing usable in these hints: the user agent speaks, or its part the hints replace is null.
      expect(Object.keys(session.device).sort()).toEqual(['browser', 'browserVersion', 'os', 'osVersion', 'type']);
      expect(session.device.browser === null || session.device.browser === fromAgent.browser).toBe(true);
    }
    const rows = await gate.deps.db.select({ hints: sessions.clientHints }).from(sessions).where(eq(sessions.userId, await userIdOf(account)));
    for (const { hints } of rows) {
      for (const value of Object.values(hints ?? {})) expect(value.length).toBeLessThanOrEqual(MAX_CLIENT_HINT_LENGTH);
    }
  });

  async function userIdOf(account: Account): Promise<string> {
    const me = await gate.post('/auth/me', undefined, account.bearer);
    expectStatus(me, 200);
    return me.body.user.id;
  }
});
