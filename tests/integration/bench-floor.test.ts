import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/env';
import { expectStatus } from '../helpers/fixtures';
import { startGatehouse, type Gatehouse } from '../helpers/harness';

/** The benchmark's no-op procedure exists only where BENCH_FLOOR_PROCEDURE asks for it. */
describe('the benchmark floor procedure', () => {
  let plain: Gatehouse;
  let bench: Gatehouse;
  beforeAll(async () => {
    plain = await startGatehouse();
    bench = await startGatehouse({ config: { benchFloorProcedure: true } });
  });
  afterAll(async () => {
    await plain?.close();
    await bench?.close();
  });

  it('is off unless the environment turns it on', () => {
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(8) + 'abcdefghijklmnopqrstuvwxyz0123' }).benchFloorProcedure).toBe(false);
    expect(loadConfig({ BENCH_FLOOR_PROCEDURE: 'true' }).benchFloorProcedure).toBe(true);
    expect(() => loadConfig({ BENCH_FLOOR_PROCEDURE: 'yes' })).toThrow(/BENCH_FLOOR_PROCEDURE/);
  });

  it('answers like refresh when on, and does nothing', async () => {
    const result = await bench.post('/auth/bench/noop', { refresh_token: 'some-token' });
    expectStatus(result, 200);
    expect(result.body.refresh_token).toBe('some-token');
    expect(typeof result.body.access_token).toBe('string');
    expectStatus(await bench.post('/auth/bench/noop', { refresh_token: '' }), 400);
    const queried = await bench.post('/auth/bench/noop-query', { refresh_token: 'some-token' });
    expectStatus(queried, 200);
    expect(queried.body.refresh_token).toBe('some-token');
  });

  it('is a 404 like any unknown path when off, over REST and tRPC, and is in no OpenAPI document', async () => {
    const off = await plain.post('/auth/bench/noop', { refresh_token: 'some-token' });
    expectStatus(off, 404);
    expectStatus(await plain.post('/auth/bench/noop-query', { refresh_token: 'some-token' }), 404);
    expectStatus(await plain.post('/trpc/bench.noop', { refresh_token: 'some-token' }), 404);
    expectStatus(await bench.post('/trpc/bench.noop', { refresh_token: 'some-token' }), 404);
    for (const gatehouse of [plain, bench]) {
      const document = (await (await fetch(`${gatehouse.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
      expect(Object.keys(document.paths)).not.toContain('/auth/bench/noop');
      expect(Object.keys(document.paths)).not.toContain('/auth/bench/noop-query');
    }
  });
});
