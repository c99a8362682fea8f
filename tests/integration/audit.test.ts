import { and, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../server/db/schema';
import { createApiKey, expectStatus, login, registerAccount, uniqueEmail } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse } from '../helpers/harness';

interface AuditEvent {
  id: string;
  type: string;
  sessionId: string | null;
  ipAddress: string | null;
  userAgent: string | null;
  details: Record<string, any> | null;
  createdAt: string;
}

describe('the audit log', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse();
  });
  afterAll(() => gate?.close());

  const eventsOf = async (headers: Record<string, string>, body?: unknown) => {
    const result = await gate.post('/auth/audit-events', body, headers);
    expectStatus(result, 200);
    return result.body as { events: AuditEvent[]; nextCursor: string | null };
  };

  it('records what a user did, with session, IP and user agent, newest first', async () => {
    const account = await registerAccount(gate, { userAgent: 'Laptop' });
    await gate.post('/auth/login', { email: account.email, password: 'wrong password!' }, { 'user-agent': 'Attacker' });
    const phone = await login(gate, account, 'Phone');
    const refreshed = await gate.post('/auth/refresh', { refresh_token: phone.refreshToken }, { 'user-agent': 'Phone' });
    expectStatus(refreshed, 200);
    const key = await createApiKey(gate, account);
    await gate.post('/auth/logout', { refresh_token: refreshed.body.refresh_token }, { 'user-agent': 'Phone' });
    await gate.post('/auth/logout-all', undefined, { 'x-api-key': key });

    const { events } = await eventsOf({ 'x-api-key': key });
    expect(events.map((event) => event.type)).toEqual([
      'logout_all',
      'logout',
      'api_key_created',
      'refresh',
      'sign_in',
      'sign_in_failed',
      'sign_up',
    ]);
    const failed = events.find((event) => event.type === 'sign_in_failed')!;
    expect(failed).toMatchObject({ userAgent: 'Attacker', ipAddress: '127.0.0.1', sessionId: null });
    const refresh = events.find((event) => event.type === 'refresh')!;
    const signIn = events.find((event) => event.type === 'sign_in')!;
    expect(refresh.sessionId).toBe(signIn.sessionId);
    expect(refresh.userAgent).toBe('Phone');
    expect(JSON.stringify(events)).not.toContain(phone.refreshToken);
    expect(JSON.stringify(events)).not.toContain(key);
  });

  it('records reuse with both the rotating and the replaying request', async () => {
    const account = await registerAccount(gate);
    expectStatus(await gate.post('/auth/refresh', { refresh_token: account.refreshToken }, { 'user-agent': 'Owner' }), 200);
    gate.clock.advanceSeconds(60);
    const replay = await gate.post('/auth/refresh', { refresh_token: account.refreshToken }, { 'user-agent': 'Thief' });
    expect(replay).toMatchObject({ status: 401, body: { reason: 'refresh_token_reused' } });

    const other = await login(gate, account);
    const { events } = await eventsOf(other.bearer);
    const reuse = events.find((event) => event.type === 'refresh_token_reused')!;
    expect(reuse).toMatchObject({ userAgent: 'Thief' });
    expect(reuse.details).toMatchObject({
      rotatedBy: { userAgent: 'Owner', ipAddress: '127.0.0.1' },
      replayedBy: { userAgent: 'Thief', ipAddress: '127.0.0.1' },
    });
  });

  it('pages with a cursor and shows only the caller’s own events', async () => {
    const account = await registerAccount(gate);
    for (let i = 0; i < 4; i++) await login(gate, account);
    const stranger = await registerAccount(gate);

    const first = await eventsOf(account.bearer, { limit: 2 });
    expect(first.events).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = await eventsOf(account.bearer, { limit: 2, cursor: first.nextCursor });
    const third = await eventsOf(account.bearer, { limit: 2, cursor: second.nextCursor });
    const all = [...first.events, ...second.events, ...third.events];
    expect(all.map((event) => event.type)).toEqual(['sign_in', 'sign_in', 'sign_in', 'sign_in', 'sign_up']);
    expect(third.nextCursor).toBeNull();
    const ids = all.map((event) => Number(event.id));
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);

    const theirs = await eventsOf(stranger.bearer);
    expect(theirs.events.map((event) => event.type)).toEqual(['sign_up']);
  });

  it('a cursor it did not hand out is 400', async () => {
    const account = await registerAccount(gate);
    const result = await gate.post('/auth/audit-events', { cursor: 'bm9wZQ' }, account.bearer);
    expect(result).toMatchObject({ status: 400, body: { reason: 'invalid_cursor' } });
  });

  it('records a failed sign-in for an unknown email for operators, tied to no user', async () => {
    const email = uniqueEmail('ghost');
    const result = await gate.post('/auth/login', { email, password: 'whatever it is' }, { 'user-agent': 'Stuffer' });
    expectStatus(result, 401);
    const rows = await gate.deps.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.type, 'sign_in_failed'), isNull(auditEvents.userId)));
    const row = rows.find((candidate) => candidate.details?.email === email);
    expect(row).toMatchObject({ organizationId: null, userAgent: 'Stuffer', details: { cause: 'unknown_email' } });
    expect(JSON.stringify(row)).not.toContain('whatever it is');
  });
});
