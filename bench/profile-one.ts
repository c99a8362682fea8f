// `npx tsx bench/profile-one.ts validate|refresh|sessions|revoke|floor|floor-query [seconds] [profile dir]`: one operation of Gatehouse under
// load on a database of its own, its CPU per call, and with a folder a CPU profile (not part of `npm run bench`).
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { hashPassword } from '../server/domain/passwords';
import { accessTokensFor } from '../server/deps';
import { systemClock } from '../server/clock';
import { openDatabase } from '../server/db/client';
import { loadConfig } from '../server/env';
import { randomUUID } from 'node:crypto';
import { createBenchDatabase, installFixtureFunctions, migrateGatehouse, seedExtraGatehouseSessions, seedGatehouseSessions } from './database';
import { BENCH_PASSWORD, SeededUserAllocator } from './fixtures';
import { floorPlan, loadHttp, RevokeCaller, refreshChainPlan, revokePlan, sessionsListPlan, validatePlan } from './http-load';
import { startServerProcess } from './processes';
import { buildServer, startCommand } from '../tests/helpers/start-command';
import { startCpuMeter } from './cpu';

const which = process.argv[2] ?? 'validate';
const seconds = Number(process.argv[3] ?? 8);
const profileDir = process.argv[4];
const database = await createBenchDatabase('postgres://postgres@127.0.0.1:5432/postgres');
try {
  await migrateGatehouse(database.url);
  const admin = postgres(database.url, { max: 2, onnotice: () => {} });
  await installFixtureFunctions(admin);
  const seed = randomBytes(12).toString('base64url');
  await seedGatehouseSessions(admin, { seed, from: 0, to: 2000, passwordHash: await hashPassword(BENCH_PASSWORD) });
  const env = { NODE_ENV: 'production', DATABASE_URL: database.url, DATABASE_POOL_SIZE: '10', JWT_SECRET: randomBytes(32).toString('base64url'), BENCH_FLOOR_PROCEDURE: 'true' };
  const config = loadConfig(env);
  const signingDatabase = await openDatabase(config.database, { poolSize: 1 });
  const { accessTokens: tokens } = accessTokensFor(config, config.jwtSecret!, { db: signingDatabase.db, clock: systemClock });
  buildServer();
  const start = startCommand();
  const server = await startServerProcess('Gatehouse', start.entry, env, [...start.nodeArguments, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])]);
  const allocate = new SeededUserAllocator(seed, 2000);
  const plan = async () => {
    if (which === 'floor') return floorPlan();
    if (which === 'floor-query') return floorPlan('/auth/bench/noop-query');
    if (which === 'refresh') return refreshChainPlan('rest', allocate.sessions(32));
    if (which === 'sessions' || which === 'revoke') {
      const users = allocate.users(32);
      const extra = users.map((s) => Array.from({ length: which === 'sessions' ? 90 : 3000 }, () => ({ id: randomUUID(), userId: s[0]!.userId, organizationId: s[0]!.organizationId })));
      await seedExtraGatehouseSessions(admin, extra.flat());
      const bearer = await Promise.all(users.map((s) => tokens.sign(s[0]!, new Date())));
      return which === 'sessions'
        ? sessionsListPlan('rest', bearer)
        : revokePlan('rest', users.map((_, u) => new RevokeCaller(bearer[u]!, extra[u]!.map((e) => e.id))));
    }
    const users = allocate.users(32);
    return validatePlan(await Promise.all(users.map((s) => tokens.sign(s[0]!, new Date()))));
  };
  await loadHttp('warm', { baseUrl: server.baseUrl, connections: 32, durationSeconds: 3 }, await plan());
  const stop = await startCpuMeter(admin, server.pid);
  const result = await loadHttp(which, { baseUrl: server.baseUrl, connections: 32, durationSeconds: seconds }, await plan());
  result.cpu = await stop(result.requests);
  console.log(JSON.stringify(result));
  await server.stop();
  await admin.end();
  await signingDatabase.close();
} finally {
  await database.drop();
}
