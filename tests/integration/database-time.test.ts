import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../server/clock';
import { hashSecret } from '../../server/domain/tokens';
import { expectStatus, login, registerAccount, type Account } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse, type HttpResult } from '../helpers/harness';
import { metricValue, scrapeMetrics } from '../helpers/metrics';
import { sleep } from '../helpers/process';

/**
 * A slow database must not age a request: the time of a rotation is the moment the database
 * runs it. These tests run on the real clock (the one production uses, which lets the database
 * tell the time) and hold the database up for real: a transaction locks the refresh token's
 * row (on PGlite, which runs one transaction at a time, it holds every other statement too).
 */
describe('rotation time is the time the database runs the statement', () => {
  let gate: Gatehouse;
  let account: Account;
  beforeAll(async () => {
    gate = await startGatehouse({
      clock: systemClock,
      config: { refreshReuseGraceSeconds: 1, sessionIdleTimeoutSeconds: 3, sessionAbsoluteTimeoutSeconds: 3 },
    });
    account = await registerAccount(gate);
  });
  afterAll(() => gate?.close());

  /** Holds the row of `refreshToken` locked until the returned function is called. */
  async function holdToken(refreshToken: string): Promise<() => Promise<void>> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = gate.database.db.transaction(async (tx) => {
      await tx.execute(sql`select token_hash from refresh_tokens where token_hash = ${hashSecret(refreshToken)} for update`);
      locked();
      await released;
    });
    await isLocked;
    return async () => {
      release();
      await holder;
    };
  }

  const refresh = (token: string) => gate.post('/auth/refresh', { refresh_token: token });

  it('a refresh held up by the database and its retry, sent after the grace window, get the same successor', { timeout: 20_000 }, async () => {
    const session = await login(gate, account);
    const release = await holdToken(session.refreshToken);
    const first = refresh(session.refreshToken);
    // The client gives up waiting and retries the same token, later than the 1 s grace window.
    await sleep(1_500);
    const retry = refresh(session.refreshToken);
    await sleep(200);
    await release();

    const results: HttpResult[] = await Promise.all([first, retry]);
    for (const result of results) expectStatus(result, 200);
    expect(results[0]!.body.refresh_token).toBe(results[1]!.body.refresh_token);
    // And the chain goes on: the session was not ended as a reuse.
    expectStatus(await refresh(results[0]!.body.refresh_token), 200);
    expect(metricValue(await scrapeMetrics(gate.url), 'gatehouse_refresh_token_reuse_detections_total')).toBe(0);
  });

  it('a refresh that reaches the database after its session ended is refused, though it arrived before', { timeout: 20_000 }, async () => {
    const session = await login(gate, account);
    const release = await holdToken(session.refreshToken);
    const late = refresh(session.refreshToken);
    // The session's absolute lifetime (3 s) runs out while the refresh waits.
    await sleep(3_500);
    await release();
    expect(await late).toMatchObject({ status: 401, body: { reason: 'session_expired' } });
  });
});
