import { afterAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../server/domain/tokens';
import { expectStatus, login, registerAccount, type Account } from '../helpers/fixtures';
import { httpPost, type HttpResult } from '../helpers/harness';
import { metricValue, scrapeMetrics } from '../helpers/metrics';
import { createFreshPostgresDatabase, type FreshPostgresDatabase } from '../helpers/postgres';
import { kill, ProcessGroup, remoteGatehouse, waitFor } from '../helpers/process';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';

const JWT_SECRET = 'faults-test-jwt-secret-0123456789abcdefghijklmnop';
// Sign-ins are reserved against the limit while argon2 runs; these tests sign in many at once
// from one address, and the limits have tests of their own.
const GENEROUS_SIGN_IN_LIMIT = '1000';

const processes = new ProcessGroup();
const databases: FreshPostgresDatabase[] = [];
const proxies: TcpProxy[] = [];
afterAll(async () => {
  await processes.killAll();
  await Promise.all(proxies.map((proxy) => proxy.close()));
  await Promise.all(databases.map((database) => database.drop()));
}, 60_000);

async function freshDatabase(label: string): Promise<FreshPostgresDatabase> {
  const database = await createFreshPostgresDatabase(label);
  databases.push(database);
  return database;
}

describe('PostgreSQL unreachable', () => {
  it('answers 503 with a clear message while the database is cut, and resumes by itself when it returns', { timeout: 240_000 }, async () => {
    const database = await freshDatabase('outage');
    const proxy = await startTcpProxy({ host: database.host, port: database.port });
    proxies.push(proxy);
    const viaProxy = new URL(database.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const started = processes.start(
      {
        PORT: '0',
        DATABASE_URL: viaProxy.toString(),
        JWT_SECRET,
        LOG_LEVEL: 'warn',
        RATE_LIMIT_SIGN_IN_FAILURES_PER_15_MINUTES: GENEROUS_SIGN_IN_LIMIT,
      },
      { runner: 'node' },
    );
    const url = await started.url;
    const gate = remoteGatehouse(url);
    const account = await registerAccount(gate);
    let refreshToken = account.refreshToken;
    const rotated = await gate.post('/auth/refresh', { refresh_token: refreshToken });
    expectStatus(rotated, 200);
    refreshToken = rotated.body.refresh_token;
    const bearer = { authorization: `Bearer ${rotated.body.access_token}` };

    /** The calls a client makes, timed; each must answer by itself within a few seconds. */
    const attempts = async () => {
      const timed = async (what: string, call: () => Promise<HttpResult>) => {
        const startedAt = Date.now();
        // A call that never answers fails here, by name, instead of as the test's timeout.
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${what}: no answer within 30 s`)), 30_000);
        });
        const result = await Promise.race([call(), deadline]).finally(() => clearTimeout(timer));
        return { what, result, ms: Date.now() - startedAt };
      };
      return Promise.all([
        timed('login', () => gate.post('/auth/login', { email: account.email, password: account.password })),
        timed('refresh', () => gate.post('/auth/refresh', { refresh_token: refreshToken })),
        timed('me', () => gate.post('/auth/me', undefined, bearer)),
        timed('rpc sessions', () => httpPost(`${url}/trpc/auth.sessions`, undefined, bearer)),
        timed('ready', async () => {
          const response = await fetch(`${url}/ready`);
          return { status: response.status, body: await response.json(), headers: response.headers };
        }),
        timed('health', async () => {
          const response = await fetch(`${url}/health`);
          return { status: response.status, body: await response.json(), headers: response.headers };
        }),
      ]);
    };

    const expectOutageAnswers = (answers: Awaited<ReturnType<typeof attempts>>, mode: string) => {
      for (const { what, result, ms } of answers) {
        const label = `${what} while ${mode}: ${JSON.stringify(result.body)}`;
        // connect_timeout is 3 s: a blackholed database must not hold a request much longer.
        expect(ms, label).toBeLessThan(10_000);
        if (what === 'health') {
          expect(result.status, label).toBe(200);
          continue;
        }
        expect(result.status, label).toBe(503);
        if (what === 'rpc sessions') {
          expect(result.body.error.data, label).toMatchObject({ httpStatus: 503, reason: 'database_unavailable' });
          expect(result.body.error.message, label).toMatch(/database/i);
        } else if (what === 'ready') {
          expect(result.body, label).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: expect.stringMatching(/database/i) });
        } else {
          expect(result.body, label).toMatchObject({
            code: 'SERVICE_UNAVAILABLE',
            reason: 'database_unavailable',
            message: expect.stringMatching(/database/i),
          });
        }
        expect(JSON.stringify(result.body), label).not.toMatch(/ECONN|postgres|stack|at \w+ \(/i);
      }
    };

    // The database refuses connections (like a server that is down)...
    proxy.cut('reset');
    expectOutageAnswers(await attempts(), 'refused');
    // ...or never answers (like a network partition).
    proxy.cut('blackhole');
    const accepted = proxy.connectionsAccepted();
    expectOutageAnswers(await attempts(), 'blackholed');
    expect(proxy.connectionsAccepted(), 'Gatehouse did try to reach the database').toBeGreaterThan(accepted);

    // The database comes back: the same process serves again, without a restart.
    proxy.restore();
    await waitFor('/ready to answer 200', async () => (await fetch(`${url}/ready`)).status === 200, 20_000, 250);
    expect(started.child.exitCode).toBeNull();
    expectStatus(await gate.post('/auth/me', undefined, bearer), 200);
    await login(gate, account);
    // The refreshes refused during the outage did not consume the token.
    const afterOutage = await gate.post('/auth/refresh', { refresh_token: refreshToken });
    expectStatus(afterOutage, 200);
    expectStatus(await httpPost(`${url}/trpc/auth.sessions`, undefined, { authorization: `Bearer ${afterOutage.body.access_token}` }), 200);
    const [{ revoked }] = await database.sql<[{ revoked: number }]>`select count(*)::int as revoked from sessions where revoked_at is not null`;
    expect(revoked).toBe(0);
    // A database outage is not a bug: nothing was logged as an unexpected (500) error.
    expect(started.output()).not.toContain('"unexpected error"');
  });
});

describe('SIGKILL in the middle of a refresh load', () => {
  it('leaves every session with exactly one current token, and every client can go on after a restart', { timeout: 300_000 }, async () => {
    const CLIENTS = 20;
    const database = await freshDatabase('sigkill');
    const env = {
      PORT: '0',
      DATABASE_URL: database.url,
      JWT_SECRET,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_SIGN_IN_FAILURES_PER_15_MINUTES: GENEROUS_SIGN_IN_LIMIT,
      // Long enough for a client whose last response was lost to retry once the process is back.
      REFRESH_REUSE_GRACE_SECONDS: '120',
    };
    const first = processes.start(env, { runner: 'node' });
    const firstGate = remoteGatehouse(await first.url);
    const account = await registerAccount(firstGate);
    const sessions: Account[] = [];
    for (let batch = 0; batch < CLIENTS; batch += 5) {
      sessions.push(...(await Promise.all(Array.from({ length: 5 }, () => login(firstGate, account)))));
    }

    // Each client follows its own chain: it always holds the newest token it received.
    const clients = sessions.map((session) => ({ token: session.refreshToken, refreshed: 0, unexpected: null as HttpResult | null }));
    let stopped = false;
    const loops = clients.map(async (client) => {
      while (!stopped) {
        let result: HttpResult;
        try {
          result = await firstGate.post('/auth/refresh', { refresh_token: client.token });
        } catch {
          return; // the process died under this request: its answer is lost
        }
        if (result.status !== 200) {
          client.unexpected = result;
          return;
        }
        client.token = result.body.refresh_token;
        client.refreshed++;
      }
    });
    const total = () => clients.reduce((sum, client) => sum + client.refreshed, 0);
    await waitFor('the refresh load to get going', () => total() >= 3 * CLIENTS, 60_000, 10);
    await kill(first.child);
    stopped = true;
    await Promise.all(loops);
    await expect(first.exited).resolves.toEqual({ code: null, signal: 'SIGKILL' });
    expect(clients.filter((client) => client.unexpected).map((client) => client.unexpected)).toEqual([]);

    const assertOneCurrentTokenPerSession = async () => {
      const rows = await database.sql<Array<{ id: string; current: number; revoked: boolean }>>`
        select s.id, count(t.token_hash) filter (where t.rotated_at is null)::int as current, s.revoked_at is not null as revoked
          from sessions s left join refresh_tokens t on t.session_id = s.id
         group by s.id`;
      expect(rows).toHaveLength(CLIENTS + 1);
      expect(rows.filter((row) => row.current !== 1)).toEqual([]);
      expect(rows.filter((row) => row.revoked)).toEqual([]);
    };
    // Right after the crash, before anything else touches the database.
    await assertOneCurrentTokenPerSession();

    const second = processes.start(env, { runner: 'node' });
    const secondUrl = await second.url;
    const secondGate = remoteGatehouse(secondUrl);
    // Every client retries with the newest token it holds (the one whose answer may have been lost).
    const retried = await Promise.all(clients.map((client) => secondGate.post('/auth/refresh', { refresh_token: client.token })));
    for (const result of retried) expectStatus(result, 200);
    const metrics = await scrapeMetrics(secondUrl);
    const rotatedAfterRestart = metricValue(metrics, 'gatehouse_refreshes_total', { outcome: 'rotated' });
    const replayedAfterRestart = metricValue(metrics, 'gatehouse_refreshes_total', { outcome: 'grace_replay' });
    // Each retry either rotated a token whose rotation never committed, or replayed one whose answer was lost.
    expect(rotatedAfterRestart + replayedAfterRestart).toBe(CLIENTS);
    clients.forEach((client, index) => {
      client.token = retried[index]!.body.refresh_token;
    });

    // And the chains go on.
    let accessToken = '';
    for (let round = 0; round < 2; round++) {
      const results = await Promise.all(clients.map((client) => secondGate.post('/auth/refresh', { refresh_token: client.token })));
      results.forEach((result, index) => {
        expectStatus(result, 200);
        clients[index]!.token = result.body.refresh_token;
      });
      accessToken = results[0]!.body.access_token;
    }
    expectStatus(await secondGate.post('/auth/me', undefined, { authorization: `Bearer ${accessToken}` }), 200);

    await assertOneCurrentTokenPerSession();
    // What each client holds is exactly its session's current token.
    const current = await database.sql<Array<{ token_hash: string }>>`select token_hash from refresh_tokens where rotated_at is null`;
    const currentHashes = new Set(current.map((row) => row.token_hash));
    for (const client of clients) expect(currentHashes.has(hashSecret(client.token))).toBe(true);
    expect(metricValue(await scrapeMetrics(secondUrl), 'gatehouse_refresh_token_reuse_detections_total')).toBe(0);
    console.info(`SIGKILL after ${total()} refreshes; after the restart ${replayedAfterRestart} retries were replays of a lost answer`);
  });
});
