import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/db/client';
import { hashSecret } from '../../server/domain/tokens';
import { login, registerAccount, type Account } from '../helpers/fixtures';
import type { HttpResult } from '../helpers/harness';
import { metricValue, scrapeMetrics } from '../helpers/metrics';
import { startPatroniCluster, type PatroniCluster, type PatroniNode } from '../helpers/patroni';
import { ProcessGroup, remoteGatehouse, sleep, waitFor, type GatehouseProcess } from '../helpers/process';

/**
 * A real failover: two PostgreSQL 15 nodes under Patroni with synchronous replication, 20
 * clients each following its own refresh chain through one Gatehouse, and the primary's whole
 * node killed (Patroni, postmaster, backends). Clients behave as apps do: on 503 they retry the
 * same token after Retry-After; a request unanswered after 3 s is given up and retried a second later.
 */
const CHAINS = 20;
const CLIENT_TIMEOUT_MS = 3_000;

async function refreshOnce(url: string, token: string): Promise<{ status: number; body: any; retryAfter: number | null }> {
  const response = await fetch(`${url}/auth/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refresh_token: token }),
    signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
  });
  const retryAfter = response.headers.get('retry-after');
  return { status: response.status, body: await response.json(), retryAfter: retryAfter === null ? null : Number(retryAfter) };
}

// In this order whatever the suite's shuffle: the standby test needs the cluster before the kill.
describe('a PostgreSQL primary failover under Patroni', { shuffle: false }, () => {
  const processes = new ProcessGroup();
  let cluster: PatroniCluster;
  let gatehouse: GatehouseProcess;
  let url: string;
  let databaseUrl: string;

  beforeAll(async () => {
    cluster = await startPatroniCluster();
    const [first, second] = cluster.nodes;
    const admin = postgres({ host: '127.0.0.1', port: first.port, user: 'postgres', database: 'postgres', max: 1, onnotice: () => {} });
    await admin.unsafe('create database gatehouse');
    await admin.end();
    databaseUrl = `postgres://postgres@127.0.0.1:${first.port},127.0.0.1:${second.port}/gatehouse?target_session_attrs=primary`;
    gatehouse = processes.start(
      { PORT: '0', DATABASE_URL: databaseUrl, JWT_SECRET: 'patroni-failover-test-secret-0123456789abcdefgh', LOG_LEVEL: 'warn' },
      { runner: 'node' },
    );
    url = await gatehouse.url;
  }, 150_000);

  afterAll(async () => {
    await processes.killAll();
    await cluster?.destroy();
  }, 60_000);

  it('a hot standby is not taken for a usable server, whatever target_session_attrs says', { timeout: 30_000 }, async () => {
    const standby = cluster.nodes[1];
    for (const attrs of ['', '?target_session_attrs=read-write']) {
      const handle = await openDatabase({ kind: 'postgres', url: `postgres://postgres@127.0.0.1:${standby.port}/gatehouse${attrs}` }, { poolSize: 1 });
      try {
        await expect(handle.ping()).rejects.toMatchObject({ code: 'GATEHOUSE_NOT_PRIMARY' });
      } finally {
        await handle.close();
      }
    }
  });

  it('kill the primary: no session ends, no 500, refreshes work again within 10 s of the promotion', { timeout: 150_000 }, async () => {
    const gate = remoteGatehouse(url);
    const account = await registerAccount(gate);
    const sessions: Account[] = [];
    for (let batch = 0; batch < CHAINS; batch += 5) {
      sessions.push(...(await Promise.all(Array.from({ length: 5 }, () => login(gate, account)))));
    }

    interface Answer {
      at: number;
      status: number; // 0: no answer (network error)
    }
    const chains = sessions.map((session) => ({ token: session.refreshToken, answers: [] as Answer[], ended: null as HttpResult | null }));
    let stopped = false;
    const loops = chains.map(async (chain) => {
      while (!stopped) {
        let result: Awaited<ReturnType<typeof refreshOnce>> | null = null;
        try {
          result = await refreshOnce(url, chain.token);
        } catch {
          // No answer in time (or no connection): given up, retried with the same token.
        }
        chain.answers.push({ at: Date.now(), status: result?.status ?? 0 });
        if (result?.status === 200) {
          chain.token = result.body.refresh_token;
          continue;
        }
        if (result?.status === 401) {
          chain.ended = result as unknown as HttpResult;
          return;
        }
        const retryAfter = result?.retryAfter ?? 1;
        await sleep(Math.min(Math.max(retryAfter, 0.1), 5) * 1000);
      }
    });
    const successes = () => chains.reduce((sum, chain) => sum + chain.answers.filter((answer) => answer.status === 200).length, 0);
    await waitFor('the refresh load to get going', () => successes() >= 10 * CHAINS, 60_000, 20);

    const oldPrimary = (await cluster.primary()) as PatroniNode;
    expect(oldPrimary?.name).toBe('node1');
    const survivor = cluster.nodes[1];
    const readyDuring: number[] = [];
    const killedAt = Date.now();
    cluster.killNode(oldPrimary);

    // Promotion: the survivor's PostgreSQL leaves recovery.
    const probe = postgres({ host: '127.0.0.1', port: survivor.port, user: 'postgres', database: 'gatehouse', max: 1, onnotice: () => {}, connect_timeout: 2 });
    let promotedAt = 0;
    try {
      await waitFor('the standby to be promoted', async () => {
        // A pooled connection the server closed meanwhile is no answer from Gatehouse: asked once more.
        const ready = () => fetch(`${url}/ready`);
        readyDuring.push((await ready().catch(ready)).status);
        const [row] = await probe`select pg_is_in_recovery() as in_recovery`.catch(() => [{ in_recovery: true }]);
        return row!.in_recovery === false;
      }, 90_000, 100);
      promotedAt = Date.now();

      // Every chain goes on: each gets a 200 after the promotion.
      await waitFor('every chain to refresh again', () =>
        chains.every((chain) => chain.ended !== null || chain.answers.some((answer) => answer.at > promotedAt && answer.status === 200)), 30_000, 20);
      const backAt = chains.map((chain) => chain.answers.find((answer) => answer.at > promotedAt && answer.status === 200)?.at ?? Infinity);
      await sleep(2_000); // and keep going a little on the new primary
      stopped = true;
      await Promise.all(loops);

      const all = chains.flatMap((chain) => chain.answers);
      const during = all.filter((answer) => answer.at > killedAt && answer.at < promotedAt);
      const count = (status: number) => all.filter((answer) => answer.status === status).length;
      const metrics = await scrapeMetrics(url);
      console.log(gatehouse.output().split('\n').filter((line) => /PROBE|MOVE/.test(line)).slice(0, 60).join('\n'));
      console.info(
        `failover: promotion ${promotedAt - killedAt} ms after the kill; first refresh served ${Math.min(...backAt) - promotedAt} ms ` +
          `after it, every chain within ${Math.max(...backAt) - promotedAt} ms; answers: ${count(200)} × 200, ${count(503)} × 503, ` +
          `${count(0)} without answer, ${during.length} during the outage; ` +
          `grace replays ${metricValue(metrics, 'gatehouse_refreshes_total', { outcome: 'grace_replay' })}; ` +
          `/ready during the outage: ${readyDuring.filter((status) => status === 503).length} × 503 of ${readyDuring.length}`,
      );

      expect(chains.filter((chain) => chain.ended).map((chain) => chain.ended!.body)).toEqual([]);
      expect(all.filter((answer) => answer.status >= 500 && answer.status !== 503)).toEqual([]);
      expect(all.filter((answer) => ![0, 200, 503].includes(answer.status))).toEqual([]);
      expect(Math.max(...backAt) - promotedAt).toBeLessThan(10_000);
      expect(metricValue(metrics, 'gatehouse_refresh_token_reuse_detections_total')).toBe(0);
      expect(readyDuring.filter((status) => status !== 503 && status !== 200)).toEqual([]);
      expect((await fetch(`${url}/ready`)).status).toBe(200);
      expect(gatehouse.output()).not.toContain('"unexpected error"');
      expect(gatehouse.child.exitCode).toBeNull();

      // Synchronous replication kept every acknowledged rotation: each client holds its session's current token.
      const rows = await probe<Array<{ token_hash: string; revoked: boolean }>>`
        select t.token_hash, s.revoked_at is not null as revoked
          from refresh_tokens t join sessions s on s.id = t.session_id
         where t.rotated_at is null`;
      expect(rows.filter((row) => row.revoked)).toEqual([]);
      const current = new Set(rows.map((row) => row.token_hash));
      expect(chains.filter((chain) => !current.has(hashSecret(chain.token)))).toEqual([]);
    } finally {
      stopped = true;
      await probe.end({ timeout: 1 });
    }
  });
});
