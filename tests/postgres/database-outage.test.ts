import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../server/clock';
import { openDatabase } from '../../server/db/client';
import { hashSecret } from '../../server/domain/tokens';
import type { Config } from '../../server/env';
import { expectStatus, login, registerAccount } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse, type HttpResult } from '../helpers/harness';
import { metricValue, scrapeMetrics } from '../helpers/metrics';
import { createFreshPostgresDatabase, type FreshPostgresDatabase } from '../helpers/postgres';
import { sleep, waitFor } from '../helpers/process';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';

/**
 * A database that is slow, gone, or no longer the primary, as Gatehouse meets it in a
 * failover. Each Gatehouse here runs on the real clock (the database tells the time) with
 * its PostgreSQL connections through a TCP proxy the test can hold like a stalled server.
 */
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch((error) => console.error('cleanup failed:', error));
}, 60_000);

interface Setup {
  gate: Gatehouse;
  proxy: TcpProxy;
  database: FreshPostgresDatabase;
  /** What Gatehouse reported as unexpected (500) errors. */
  unexpected: unknown[];
}

async function gatehouseBehindProxy(config: Partial<Config>, poolSize = 10): Promise<Setup> {
  const database = await createFreshPostgresDatabase('outage');
  const proxy = await startTcpProxy({ host: database.host, port: database.port });
  const viaProxy = new URL(database.url);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  const unexpected: unknown[] = [];
  const gate = await startGatehouse({
    clock: systemClock,
    config,
    reportError: (error) => unexpected.push(error),
    database: async () => {
      // Migrated on a pool of its own: migrate() holds one connection for its lock and needs another.
      const migrator = await openDatabase({ kind: 'postgres', url: database.url }, { poolSize: 2 });
      await migrator.migrate();
      await migrator.close();
      const handle = await openDatabase(
        { kind: 'postgres', url: viaProxy.toString() },
        { poolSize, timeoutSeconds: config.databaseTimeoutSeconds ?? 5 },
      );
      return { handle, url: viaProxy.toString(), drop: database.drop };
    },
  });
  cleanups.push(async () => {
    proxy.release();
    await gate.close();
    await proxy.close();
  });
  return { gate, proxy, database, unexpected };
}

const refresh = (gate: Gatehouse, token: string) => gate.post('/auth/refresh', { refresh_token: token });

async function isRotated(database: FreshPostgresDatabase, token: string): Promise<boolean> {
  const [row] = await database.sql<[{ rotated: boolean }]>`
    select rotated_at is not null as rotated from refresh_tokens where token_hash = ${hashSecret(token)}`;
  return row!.rotated;
}

/** Resolves with the response, or with 'still waiting' after `ms`. */
function within<T>(ms: number, pending: Promise<T>): Promise<T | 'still waiting'> {
  return Promise.race([pending, sleep(ms).then(() => 'still waiting' as const)]);
}

describe('a database that stalls', () => {
  it('a refresh and its retry queue up while it stalls; released, both get 200 and one successor', { timeout: 30_000 }, async () => {
    const { gate, proxy, unexpected } = await gatehouseBehindProxy({ refreshReuseGraceSeconds: 1 });
    const account = await registerAccount(gate);
    proxy.hold();
    const first = refresh(gate, account.refreshToken);
    // The client's retry comes later than the grace window: only the database's time keeps it a race.
    await sleep(1_500);
    const retry = refresh(gate, account.refreshToken);
    await sleep(300);
    proxy.release();
    const results: HttpResult[] = await Promise.all([first, retry]);
    for (const result of results) expectStatus(result, 200);
    expect(results[0]!.body.refresh_token).toBe(results[1]!.body.refresh_token);
    expectStatus(await refresh(gate, results[0]!.body.refresh_token), 200);
    expect(metricValue(await scrapeMetrics(gate.url), 'gatehouse_refresh_token_reuse_detections_total')).toBe(0);
    expect(unexpected).toEqual([]);
  });

  it('answers 503 database_unavailable with Retry-After at the deadline, and the token still works after', { timeout: 30_000 }, async () => {
    const { gate, proxy, unexpected } = await gatehouseBehindProxy({ databaseTimeoutSeconds: 1 });
    const account = await registerAccount(gate);
    proxy.hold();
    const startedAt = Date.now();
    const answer = await within(4_000, refresh(gate, account.refreshToken));
    const rpc = await within(4_000, gate.post('/trpc/auth.refresh', { refresh_token: account.refreshToken }));
    proxy.release();
    expect(answer).not.toBe('still waiting');
    const result = answer as HttpResult;
    expect(result).toMatchObject({ status: 503, body: { code: 'SERVICE_UNAVAILABLE', reason: 'database_unavailable' } });
    expect(Number(result.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Date.now() - startedAt).toBeLessThan(4_000);
    expect(rpc).toMatchObject({ status: 503, body: { error: { data: { reason: 'database_unavailable' } } } });
    expect(Number((rpc as HttpResult).headers.get('retry-after'))).toBeGreaterThan(0);

    // Whether or not the held statement ran once released, the client's retry of the same token works.
    const retried = await refresh(gate, account.refreshToken);
    expectStatus(retried, 200);
    expectStatus(await refresh(gate, retried.body.refresh_token), 200);
    expect(unexpected).toEqual([]);
  });

  it('a refresh waiting for a connection is dropped when its client goes away, and at its deadline', { timeout: 30_000 }, async () => {
    // One connection, taken by a refresh the stalled database holds: the others wait for it in Gatehouse.
    const { gate, proxy, database, unexpected } = await gatehouseBehindProxy({ databaseTimeoutSeconds: 2 }, 1);
    const account = await registerAccount(gate);
    const [occupier, abandoned, timedOut] = await Promise.all([login(gate, account), login(gate, account), login(gate, account)]);
    proxy.hold();
    const occupying = refresh(gate, occupier!.refreshToken);
    await sleep(200);
    const client = new AbortController();
    const leaving = fetch(`${gate.url}/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: abandoned!.refreshToken }),
      signal: client.signal,
    }).catch((error: Error) => error.name);
    const waiting = refresh(gate, timedOut!.refreshToken);
    await sleep(300);
    client.abort();
    expect(await leaving).toBe('AbortError');
    expect(await within(4_000, waiting)).toMatchObject({ status: 503, body: { reason: 'database_unavailable' } });
    proxy.release();
    await occupying;

    // Neither statement ran once the database was back: both tokens are still current.
    await sleep(500);
    expect(await isRotated(database, abandoned!.refreshToken)).toBe(false);
    expect(await isRotated(database, timedOut!.refreshToken)).toBe(false);
    expectStatus(await refresh(gate, abandoned!.refreshToken), 200);
    expectStatus(await refresh(gate, timedOut!.refreshToken), 200);
    expect(unexpected).toEqual([]);
  });
});

describe('a database that is gone for longer than the grace window', () => {
  it('a retry of a token whose answer was lost with the outage is a grace replay, not reuse', { timeout: 30_000 }, async () => {
    const { gate, proxy, unexpected } = await gatehouseBehindProxy({ refreshReuseGraceSeconds: 1 });
    const account = await registerAccount(gate);
    // The rotation commits, and its answer is lost as the database goes away (a primary killed).
    const rotated = await refresh(gate, account.refreshToken);
    expectStatus(rotated, 200);
    proxy.cut('reset');
    // The client retries the token it holds while the database is gone: 503s, for longer than the window.
    const outageEnds = Date.now() + 2_500;
    while (Date.now() < outageEnds) {
      const during = await within(2_000, refresh(gate, account.refreshToken));
      expect(during).toMatchObject({ status: 503, body: { reason: 'database_unavailable' } });
      await sleep(250);
    }
    proxy.restore();
    await waitFor('the database to serve again', async () => (await fetch(`${gate.url}/ready`)).status === 200, 10_000, 100);
    const retried = await refresh(gate, account.refreshToken);
    expectStatus(retried, 200);
    expect(retried.body.refresh_token).toBe(rotated.body.refresh_token);
    expectStatus(await refresh(gate, retried.body.refresh_token), 200);
    expect(unexpected).toEqual([]);
  });

  it('outside of an outage, the same late retry is still reuse', { timeout: 30_000 }, async () => {
    const { gate } = await gatehouseBehindProxy({ refreshReuseGraceSeconds: 1 });
    const account = await registerAccount(gate);
    expectStatus(await refresh(gate, account.refreshToken), 200);
    await sleep(1_500);
    expect(await refresh(gate, account.refreshToken)).toMatchObject({ status: 401, body: { reason: 'refresh_token_reused' } });
  });
});

describe('a server that cannot take writes (as a standby answers: 25006)', () => {
  it('is 503 for calls and /ready, never 500, and Gatehouse recovers by itself when it is writable again', { timeout: 60_000 }, async () => {
    const { gate, database, unexpected } = await gatehouseBehindProxy({});
    const account = await registerAccount(gate);
    const ready = async () => (await fetch(`${gate.url}/ready`)).status;
    expect(await ready()).toBe(200);

    // The server comes back read-only, as a demoted primary does: every new session is read-only.
    await database.sql.unsafe(`alter database ${database.name} set default_transaction_read_only = on`);
    await database.sql`select pg_terminate_backend(pid) from pg_stat_activity
                        where datname = ${database.name} and pid <> pg_backend_pid()`;
    await waitFor('Gatehouse to meet the read-only server', async () => (await refresh(gate, account.refreshToken)).status !== 200, 10_000, 100);
    for (let attempt = 0; attempt < 5; attempt++) {
      const result = await refresh(gate, account.refreshToken);
      expect(result, JSON.stringify(result.body)).toMatchObject({ status: 503, body: { reason: 'database_unavailable' } });
      expect(Number(result.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await gate.post('/auth/login', { email: account.email, password: account.password })).status).toBe(503);
    }
    expect(await ready()).toBe(503);

    // Writable again (a primary once more): Gatehouse drops its read-only connections by itself.
    await database.sql.unsafe(`alter database ${database.name} reset default_transaction_read_only`);
    const backAt = Date.now();
    await waitFor('a refresh to work again', async () => (await refresh(gate, account.refreshToken)).status === 200, 10_000, 100);
    await waitFor('/ready to answer 200', async () => (await ready()) === 200, 10_000, 100);
    console.info(`writable again: refreshes served ${Date.now() - backAt} ms later`);
    // The refreshes refused meanwhile consumed nothing and ended nothing.
    const [{ revoked }] = await database.sql<[{ revoked: number }]>`select count(*)::int as revoked from sessions where revoked_at is not null`;
    expect(revoked).toBe(0);
    expect(unexpected).toEqual([]);
  });
});

describe('a multi-host URL', () => {
  it('serves through whichever host answers; with none, every call is a quick 503', { timeout: 60_000 }, async () => {
    const database = await createFreshPostgresDatabase('multihost');
    const [first, second] = [
      await startTcpProxy({ host: database.host, port: database.port }),
      await startTcpProxy({ host: database.host, port: database.port }),
    ];
    const url = new URL(database.url);
    const hosts = `${url.username}@127.0.0.1:${first.port},127.0.0.1:${second.port}`;
    const multiHostUrl = `postgres://${hosts}${url.pathname}?target_session_attrs=primary`;
    first.cut('reset'); // the first host is down when Gatehouse starts
    const unexpected: unknown[] = [];
    const gate = await startGatehouse({
      clock: systemClock,
      reportError: (error) => unexpected.push(error),
      database: async () => {
        const handle = await openDatabase({ kind: 'postgres', url: multiHostUrl }, { poolSize: 4 });
        await handle.migrate();
        return { handle, url: multiHostUrl, drop: database.drop };
      },
    });
    cleanups.push(async () => {
      await gate.close();
      await Promise.all([first.close(), second.close()]);
    });
    const account = await registerAccount(gate);
    let token = account.refreshToken;
    const refreshed = await refresh(gate, token);
    expectStatus(refreshed, 200);
    token = refreshed.body.refresh_token;

    // Both hosts gone: Gatehouse answers at once, it does not wait out its deadline (5 s).
    second.cut('reset');
    for (let attempt = 0; attempt < 4; attempt++) {
      const startedAt = Date.now();
      const answer = await within(2_000, refresh(gate, token));
      expect(answer, `attempt ${attempt}`).toMatchObject({ status: 503, body: { reason: 'database_unavailable' } });
      expect(Date.now() - startedAt).toBeLessThan(2_000);
    }
    // The first host comes back: Gatehouse finds it by itself.
    first.restore();
    await waitFor('a refresh through the first host', async () => {
      const result = await refresh(gate, token);
      if (result.status === 200) token = result.body.refresh_token;
      return result.status === 200;
    }, 5_000, 100);
    expectStatus(await refresh(gate, token), 200);
    expect(unexpected).toEqual([]);
  });
});
