import { seedGatehouseSessions, type Sql } from './database';
import type { SeededUserAllocator } from './fixtures';
import { loadHttp, refreshChainPlan } from './http-load';
import { ratio, type Measure } from './measure';
import type { BenchOptions } from './options';
import { timed } from './report';

/**
 * Refresh throughput should not depend on how many sessions are stored. Measured back to back:
 * refresh at the seeded size, the tables grown to `scaleSessions`, refresh again; both times on
 * chains spread over the whole table, not only its first pages.
 */
export async function runScalePhase({
  admin,
  seed,
  passwordHash,
  options,
  allocate,
  baseUrl,
  serverPid,
  measure,
}: {
  admin: Sql;
  seed: string;
  passwordHash: string;
  options: BenchOptions;
  allocate: SeededUserAllocator;
  baseUrl: string;
  serverPid: number;
  measure: Measure;
}) {
  const { connections, durationSeconds } = options;
  const load = { baseUrl, connections, durationSeconds };
  const before = await measure(
    () => loadHttp(`refresh rest @${options.sessions}`, load, refreshChainPlan('rest', allocate.spreadSessions(connections, options.sessions))),
    serverPid,
  );
  const seeding = await timed(`growing to ${options.scaleSessions} sessions`, () =>
    seedGatehouseSessions(admin, { seed, from: options.sessions, to: options.scaleSessions, passwordHash }),
  );
  // Let the server settle after a write burst of that size before measuring: vacuum now what
  // autovacuum would otherwise start during the measurement (a table that grew by a million
  // rows crosses its insert threshold), then flush the dirty pages.
  await admin.unsafe('vacuum (analyze) organizations, users, sessions, refresh_tokens');
  await admin.unsafe('checkpoint').catch(() => {}); // needs pg_checkpoint; settling is a nicety
  const after = await measure(
    () => loadHttp(`refresh rest @${options.scaleSessions}`, load, refreshChainPlan('rest', allocate.spreadSessions(connections, options.scaleSessions))),
    serverPid,
  );
  after.note = `tables grown in ${seeding.seconds} s`;
  return {
    sessions: options.scaleSessions,
    seedSeconds: seeding.seconds,
    before,
    after,
    ratio: ratio(after.rps, before.rps),
  };
}
