import { eq, sql } from 'drizzle-orm';
import { decodeJwt } from 'jose';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, sessions } from '../../server/db/schema';
import { PURGE_LOCK_NAME, purgeEndedSessions } from '../../server/domain/cleanup';
import { expectStatus, login, registerAccount } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse } from '../helpers/harness';

const DAY = 24 * 60 * 60;

describe('purging ended sessions', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse({ config: { sessionRetentionSeconds: 7 * DAY } });
  });
  afterAll(() => gate?.close());

  const countSessions = async () => {
    const [row] = await gate.deps.db.select({ count: sql<number>`count(*)::int` }).from(sessions);
    return row!.count;
  };

  it('deletes sessions ended longer ago than the retention period, and only those', async () => {
    const account = await registerAccount(gate);
    const ended = await login(gate, account);
    expectStatus(await gate.post('/auth/logout', { refresh_token: ended.refreshToken }), 200);
    const before = await countSessions();

    gate.clock.advanceSeconds(6 * DAY);
    expect((await purgeEndedSessions(gate.deps)).sessionsPurged).toBe(0);
    // The ended session is still known: a replay of its token is recognised, not "unknown".
    const replay = await gate.post('/auth/refresh', { refresh_token: ended.refreshToken });
    expect(replay.body.reason).toBe('session_revoked');

    // Keep the live session live across the retention period.
    const live = await gate.post('/auth/refresh', { refresh_token: account.refreshToken });
    expectStatus(live, 200);
    gate.clock.advanceSeconds(2 * DAY);
    const result = await purgeEndedSessions(gate.deps);
    expect(result).toEqual({ sessionsPurged: 1, auditEventsPurged: 0, signingKeysPurged: 0, ranHere: true });
    expect(await countSessions()).toBe(before - 1);
    expectStatus(await gate.post('/auth/refresh', { refresh_token: live.body.refresh_token }), 200);
    const purged = await gate.post('/auth/refresh', { refresh_token: ended.refreshToken });
    expect(purged.body.reason).toBe('invalid_refresh_token');
  });

  it('runs in one instance at a time', async () => {
    if (gate.databaseUrl !== null) {
      // Another instance holding the job lock: this one skips its turn.
      const other = postgres(gate.databaseUrl, { max: 1, onnotice: () => {} });
      try {
        await other.begin(async (tx) => {
          await tx`select pg_advisory_xact_lock(hashtext(${PURGE_LOCK_NAME}))`;
          expect(await purgeEndedSessions(gate.deps)).toEqual({ sessionsPurged: 0, auditEventsPurged: 0, signingKeysPurged: 0, ranHere: false });
        });
        expect((await purgeEndedSessions(gate.deps)).ranHere).toBe(true);
      } finally {
        await other.end();
      }
    } else {
      // PGlite is one process and runs transactions one at a time: concurrent purges queue
      // up, and between them each ended session is deleted exactly once.
      const account = await registerAccount(gate);
      for (let i = 0; i < 3; i++) {
        const session = await login(gate, account);
        await gate.post('/auth/logout', { refresh_token: session.refreshToken });
      }
      gate.clock.advanceSeconds(8 * DAY);
      const results = await Promise.all([purgeEndedSessions(gate.deps), purgeEndedSessions(gate.deps)]);
      expect(results.reduce((sum, result) => sum + result.sessionsPurged, 0)).toBe(3);
    }
  });
});

describe('purging old audit events', () => {
  let gate: Gatehouse;
  beforeAll(async () => {
    gate = await startGatehouse();
  });
  afterAll(() => gate?.close());

  it('deletes audit events older than AUDIT_RETENTION_DAYS (365 by default), and only those', async () => {
    expect(gate.deps.config.auditRetentionDays).toBe(365);
    const account = await registerAccount(gate);
    const userId = decodeJwt(account.accessToken).sub!;
    const typesKept = async () =>
      (await gate.deps.db.select({ type: auditEvents.type }).from(auditEvents).where(eq(auditEvents.userId, userId)))
        .map((row) => row.type)
        .sort();
    expectStatus(await gate.post('/auth/login', { email: account.email, password: 'not the password' }), 401);
    gate.clock.advanceSeconds(200 * DAY);
    await login(gate, account);
    expect(await typesKept()).toEqual(['sign_in', 'sign_in_failed', 'sign_up']);

    // Exactly 365 days after the first two: not older than the retention period yet.
    gate.clock.advanceSeconds(165 * DAY);
    expect((await purgeEndedSessions(gate.deps)).auditEventsPurged).toBe(0);
    expect(await typesKept()).toEqual(['sign_in', 'sign_in_failed', 'sign_up']);

    gate.clock.advanceSeconds(1);
    expect((await purgeEndedSessions(gate.deps)).auditEventsPurged).toBe(2);
    expect(await typesKept()).toEqual(['sign_in']);
  });

  it('keeps them for AUDIT_RETENTION_DAYS as configured', async () => {
    const shortLived = await startGatehouse({ config: { auditRetentionDays: 30 } });
    try {
      await registerAccount(shortLived);
      shortLived.clock.advanceSeconds(30 * DAY + 1);
      expect((await purgeEndedSessions(shortLived.deps)).auditEventsPurged).toBe(1);
      const [row] = await shortLived.deps.db.select({ count: sql<number>`count(*)::int` }).from(auditEvents);
      expect(row!.count).toBe(0);
    } finally {
      await shortLived.close();
    }
  });
});
