import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../server/db/queries/raw';
import { expectStatus, login, registerAccount } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse } from '../helpers/harness';
import { createEndpoint, sessionIdOf } from '../helpers/webhooks';

/**
 * Ending one session (revoke-session, logout) is one statement: the revocation, its audit event
 * and its webhook event, recorded once by whichever call ends it, however many arrive at once.
 */
describe('ending one session', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse({ config: { webhookAllowPrivateUrls: true } });
  });
  afterAll(async () => {
    await gate?.close();
  });

  const count = async (query: ReturnType<typeof sql>) =>
    Number((await queryRows<{ count: number | string }>(gate.deps.db, query))[0]?.count ?? 0);
  const auditEvents = (type: string, sessionId: string) =>
    count(sql`select count(*) as count from audit_events
               where type = ${type} and (session_id = ${sessionId}::uuid or details->>'revokedSessionId' = ${sessionId})`);
  const webhookEvents = (sessionId: string) =>
    count(sql`select count(*) as count from webhook_events where type = 'session.revoked' and body like ${`%${sessionId}%`}`);
  const deliveries = (sessionId: string) =>
    count(sql`select count(*) as count from webhook_deliveries d join webhook_events e on e.id = d.event_id
               where e.type = 'session.revoked' and e.body like ${`%${sessionId}%`}`);

  it('20 revoke-session calls at once for one session: all 200, one revocation recorded, one webhook event', async () => {
    const owner = await registerAccount(gate);
    await createEndpoint(gate, owner, 'http://127.0.0.1:9/hook');
    const other = await login(gate, owner, 'the other device');
    const otherId = await sessionIdOf(gate, other.bearer);

    const answers = await Promise.all(
      Array.from({ length: 20 }, () => gate.post('/auth/revoke-session', { sessionId: otherId }, owner.bearer)),
    );
    for (const answer of answers) expectStatus(answer, 200);
    expectStatus(await gate.post('/auth/me', undefined, other.bearer), 401);
    expect(await auditEvents('session_revoked', otherId)).toBe(1);
    expect(await webhookEvents(otherId)).toBe(1);
    expect(await deliveries(otherId)).toBe(1);
    // The revocation's audit event is the caller's: its session, not the one it ended.
    const [event] = await queryRows<{ sessionId: string; details: unknown }>(
      gate.deps.db,
      sql`select session_id as "sessionId", details from audit_events where details->>'revokedSessionId' = ${otherId}`,
    );
    expect(event?.sessionId).toBe(await sessionIdOf(gate, owner.bearer));
    expect(event?.details).toEqual({ revokedSessionId: otherId });
  });

  it('20 logouts at once with one refresh token: all 200, one logout recorded, one webhook event', async () => {
    const owner = await registerAccount(gate);
    await createEndpoint(gate, owner, 'http://127.0.0.1:9/hook');
    const device = await login(gate, owner, 'a device');
    const deviceId = await sessionIdOf(gate, device.bearer);

    const answers = await Promise.all(Array.from({ length: 20 }, () => gate.post('/auth/logout', { refresh_token: device.refreshToken })));
    for (const answer of answers) expectStatus(answer, 200);
    expectStatus(await gate.post('/auth/refresh', { refresh_token: device.refreshToken }), 401);
    expect(await auditEvents('logout', deviceId)).toBe(1);
    expect(await webhookEvents(deviceId)).toBe(1);
    expect(await deliveries(deviceId)).toBe(1);
  });

  it("another user's session is 404 and nothing is written; without endpoints no webhook event is", async () => {
    const victim = await registerAccount(gate);
    const victimId = await sessionIdOf(gate, victim.bearer);
    const stranger = await registerAccount(gate);
    const refused = await gate.post('/auth/revoke-session', { sessionId: victimId }, stranger.bearer);
    expectStatus(refused, 404);
    expectStatus(await gate.post('/auth/me', undefined, victim.bearer), 200);
    expect(await auditEvents('session_revoked', victimId)).toBe(0);

    const second = await login(gate, stranger, 'second device');
    const secondId = await sessionIdOf(gate, second.bearer);
    expectStatus(await gate.post('/auth/revoke-session', { sessionId: secondId }, stranger.bearer), 200);
    expect(await auditEvents('session_revoked', secondId)).toBe(1);
    expect(await webhookEvents(secondId)).toBe(0);
  });
});
