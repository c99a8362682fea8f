import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PURGE_LOCK_NAME } from '../../server/domain/cleanup';
import { expectStatus, login, registerAccount } from '../helpers/fixtures';
import type { Gatehouse } from '../helpers/harness';
import { metricValue, scrapeMetrics } from '../helpers/metrics';
import { createFreshPostgresDatabase, type FreshPostgresDatabase } from '../helpers/postgres';
import { jsonLines, ProcessGroup, remoteGatehouse, sleep, waitFor, type GatehouseProcess } from '../helpers/process';

interface Instance {
  name: string;
  process: GatehouseProcess;
  url: string;
  gate: Gatehouse;
}

interface PurgeTurn {
  sessionsPurged: number;
  ranHere: boolean;
}

/** The purge turns an instance has logged after `fromOffset` characters of its output. */
function purgeTurns(instance: Instance, fromOffset = 0): PurgeTurn[] {
  const text = instance.process.output().slice(fromOffset);
  // Only whole lines: the last one may still be being written.
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  return jsonLines(complete)
    .filter((line) => line.msg === 'purge of ended sessions')
    .map((line) => ({ sessionsPurged: line.sessionsPurged as number, ranHere: line.ranHere as boolean }));
}

describe('two Gatehouse processes on one PostgreSQL database', () => {
  const processes = new ProcessGroup();
  let database: FreshPostgresDatabase;
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    database = await createFreshPostgresDatabase('multi');
    const env = {
      PORT: '0',
      DATABASE_URL: database.url,
      JWT_SECRET: 'multi-instance-test-jwt-secret-0123456789abcdef',
      LOG_LEVEL: 'info',
      CLEANUP_INTERVAL_SECONDS: '1',
      // Ended sessions stay an hour: only the ones this test backdates are due for the purge.
      SESSION_RETENTION_SECONDS: '3600',
    };
    // Both start at once on an empty database: one migrates, the other waits on the migration lock.
    const started = [processes.start(env, { runner: 'node' }), processes.start(env, { runner: 'node' })];
    const urls = await Promise.all(started.map((process) => process.url));
    [a, b] = started.map((process, index) => ({
      name: index === 0 ? 'A' : 'B',
      process,
      url: urls[index]!,
      gate: remoteGatehouse(urls[index]!),
    })) as [Instance, Instance];
  }, 180_000);

  afterAll(async () => {
    await processes.killAll();
    await database?.drop();
  }, 60_000);

  it('started together on an empty database, they end with one signing key, which both publish and sign with', { timeout: 60_000 }, async () => {
    const rows = await database.sql<{ id: string }[]>`select id from signing_keys`;
    expect(rows).toHaveLength(1);
    const published = await Promise.all(
      [a, b].map(async (instance) => ((await (await fetch(`${instance.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> }).keys),
    );
    for (const keys of published) expect(keys.map((key) => key.kid)).toEqual([rows[0]!.id]);
    const viaA = await registerAccount(a.gate);
    const viaB = await login(b.gate, viaA);
    for (const token of [viaA.accessToken, viaB.accessToken]) {
      expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', kid: rows[0]!.id });
    }
  });

  it('a session ended through one is refused by the other at once, by bearer and by refresh token', { timeout: 60_000 }, async () => {
    const x = await registerAccount(a.gate, { userAgent: 'session X' }); // signed in through A
    const y = await login(b.gate, x, 'session Y'); // the same user, signed in through B

    // Each instance honours the other's sessions and rotations.
    expectStatus(await b.gate.post('/auth/me', undefined, x.bearer), 200);
    expectStatus(await a.gate.post('/auth/me', undefined, y.bearer), 200);
    const rotatedOnB = await b.gate.post('/auth/refresh', { refresh_token: x.refreshToken });
    expectStatus(rotatedOnB, 200);
    const xBearer = { authorization: `Bearer ${rotatedOnB.body.access_token}` };
    expectStatus(await a.gate.post('/auth/me', undefined, xBearer), 200);
    const xRefresh = rotatedOnB.body.refresh_token as string;

    // B ends Y; A refuses Y at once.
    expectStatus(await b.gate.post('/auth/revoke-session', { sessionId: await sessionIdOf(b, y.bearer) }, xBearer), 200);
    const yMeOnA = await a.gate.post('/auth/me', undefined, y.bearer);
    expectStatus(yMeOnA, 401);
    expect(yMeOnA.body.reason).toBe('session_revoked');
    const yRefreshOnA = await a.gate.post('/auth/refresh', { refresh_token: y.refreshToken });
    expectStatus(yRefreshOnA, 401);
    expect(yRefreshOnA.body.reason).toBe('session_revoked');

    // A ends X (logout); B refuses X at once.
    expectStatus(await a.gate.post('/auth/logout', { refresh_token: xRefresh }), 200);
    const xMeOnB = await b.gate.post('/auth/me', undefined, xBearer);
    expectStatus(xMeOnB, 401);
    expect(xMeOnB.body.reason).toBe('session_revoked');
    const xRefreshOnB = await b.gate.post('/auth/refresh', { refresh_token: xRefresh });
    expectStatus(xRefreshOnB, 401);
    expect(xRefreshOnB.body.reason).toBe('session_revoked');
  });

  it('failed sign-ins count across both: the 6th failure overall is refused with 429 and Retry-After', { timeout: 60_000 }, async () => {
    const account = await registerAccount(a.gate);
    const wrong = { email: account.email, password: 'not the password at all' };
    const [aBefore, bBefore] = await Promise.all([scrapeMetrics(a.url), scrapeMetrics(b.url)]);

    // Five failures, alternating: A sees three, B two. Neither alone reaches the limit of five.
    for (const instance of [a, b, a, b, a]) {
      const failed = await instance.gate.post('/auth/login', wrong);
      expectStatus(failed, 401);
      expect(failed.body.reason).toBe('invalid_credentials');
    }
    for (const instance of [b, a]) {
      const limited = await instance.gate.post('/auth/login', wrong);
      expectStatus(limited, 429);
      expect(limited.body).toMatchObject({ code: 'TOO_MANY_REQUESTS', reason: 'rate_limited' });
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter, `Retry-After on ${instance.name}`).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    }

    // Each instance counted its own refusal.
    const [aAfter, bAfter] = await Promise.all([scrapeMetrics(a.url), scrapeMetrics(b.url)]);
    expect(metricValue(aAfter, 'gatehouse_rate_limited_total') - metricValue(aBefore, 'gatehouse_rate_limited_total')).toBe(1);
    expect(metricValue(bAfter, 'gatehouse_rate_limited_total') - metricValue(bBefore, 'gatehouse_rate_limited_total')).toBe(1);
  });

  it('the purge of ended sessions runs in one instance at a time', { timeout: 120_000 }, async () => {
    // Both instances run the job (every second here) and report each turn.
    await waitFor(
      'both instances to report a purge turn',
      () => purgeTurns(a).length > 0 && purgeTurns(b).length > 0,
      30_000,
    );

    // Four sessions of one user end; another user's session stays live.
    const owner = await registerAccount(a.gate);
    await Promise.all([login(b.gate, owner), login(a.gate, owner), login(b.gate, owner)]);
    const bystander = await registerAccount(b.gate);
    expectStatus(await a.gate.post('/auth/logout-all', undefined, owner.bearer), 200);
    const [{ userId }] = await database.sql<[{ userId: string }]>`
      select id as "userId" from users where email = ${owner.email}`;

    // While someone else holds the job's lock, neither instance purges: both skip their turns.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let lockTaken!: () => void;
    const taken = new Promise<void>((resolve) => (lockTaken = resolve));
    const holder = database.sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtext(${PURGE_LOCK_NAME}))`;
      lockTaken();
      await released;
    });
    holder.catch(() => {});
    try {
      await taken;
      const [aFrom, bFrom] = [a.process.output().length, b.process.output().length];
      // Due for the purge from now on: ended two hours ago, retention one hour.
      const backdated = await database.sql`
        update sessions set revoked_at = now() - interval '2 hours' where user_id = ${userId} returning id`;
      expect(backdated).toHaveLength(4);
      await waitFor(
        'two turns of each instance while the lock is held',
        () => purgeTurns(a, aFrom).length >= 2 && purgeTurns(b, bFrom).length >= 2,
        30_000,
      );
      const whileHeld = [...purgeTurns(a, aFrom), ...purgeTurns(b, bFrom)];
      expect(whileHeld.every((turn) => !turn.ranHere && turn.sessionsPurged === 0), JSON.stringify(whileHeld)).toBe(true);
      const [{ stillThere }] = await database.sql<[{ stillThere: number }]>`
        select count(*)::int as "stillThere" from sessions where user_id = ${userId}`;
      expect(stillThere).toBe(4);
    } finally {
      release();
      await holder;
    }

    // Lock released: the next turn of one instance purges the four sessions, exactly once overall.
    const [aFrom, bFrom] = [a.process.output().length, b.process.output().length];
    const purgedSince = () =>
      [...purgeTurns(a, aFrom), ...purgeTurns(b, bFrom)]
        .filter((turn) => turn.ranHere)
        .reduce((sum, turn) => sum + turn.sessionsPurged, 0);
    await waitFor('the purge to run after the lock was released', () => purgedSince() >= 4, 30_000);
    await sleep(2_500); // a few more turns of both: none may purge those sessions a second time
    expect(purgedSince()).toBe(4);
    const turnsSince = [...purgeTurns(a, aFrom), ...purgeTurns(b, bFrom)];
    expect(turnsSince.filter((turn) => turn.ranHere && turn.sessionsPurged > 0)).toHaveLength(1);
    const [{ remaining }] = await database.sql<[{ remaining: number }]>`
      select count(*)::int as remaining from sessions where user_id = ${userId}`;
    expect(remaining).toBe(0);
    expectStatus(await b.gate.post('/auth/me', undefined, bystander.bearer), 200);
    expect(a.process.output()).not.toContain('purge of ended sessions failed');
    expect(b.process.output()).not.toContain('purge of ended sessions failed');
  });
});

async function sessionIdOf(instance: Instance, bearer: Record<string, string>): Promise<string> {
  const listed = await instance.gate.post('/auth/sessions', undefined, bearer);
  expectStatus(listed, 200);
  const current = listed.body.sessions.find((session: { current: boolean }) => session.current);
  expect(current).toBeDefined();
  return current.id;
}
