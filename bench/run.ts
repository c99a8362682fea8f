import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import postgres from 'postgres';
import { hashPassword } from '../server/domain/passwords';
import { accessTokensFor } from '../server/deps';
import { systemClock } from '../server/clock';
import { openDatabase } from '../server/db/client';
import { loadConfig } from '../server/env';
import {
  countReuseDetections,
  createBenchDatabase,
  createFloorSchema,
  installFixtureFunctions,
  migrateGatehouse,
  seedGatehouseSessions,
  type BenchDatabase,
} from './database';
import { BENCH_PASSWORD, SeededUserAllocator } from './fixtures';
import { expressPlan, floorPlan, loadHttp, refreshChainPlan, validatePlan, type ConnectionPlan, type Transport } from './http-load';
import { type ArmTarget, betterAuthScenarios, runGatehouseScenarios, type RunArm } from './session-scenarios';
import { startBetterAuthArm, type BetterAuthArm } from './better-auth-arm';
import { type Measure, ratio, round, type ScenarioResult } from './measure';
import { startCpuMeter } from './cpu';
import { parseBenchOptions } from './options';
import { startPacedRefreshChild } from './paced-load';
import {
  killAllServerProcessesNow,
  sampleResidentMemory,
  startServerProcess,
  stopAllServerProcesses,
  treeResidentMegabytes,
} from './processes';
import { buildServer, startCommand } from '../tests/helpers/start-command';
import { printRatios, printTable, progress, timed } from './report';
import { captureRefreshStatements, describeStatements, runSqlCeiling, runSqlFloor } from './sql-arms';
import { runScalePhase } from './scale';

/** Whatever happens, the run ends: a stuck scenario cannot keep the machine busy for long. */
const HARD_LIMIT_MS = 20 * 60 * 1000;

const options = (() => {
  try {
    return parseBenchOptions(process.argv.slice(2), process.env);
  } catch (error) {
    // A mistyped option or value: say which, with the usage, and stop before touching anything.
    console.error(error instanceof Error ? error.message : String(error));
    return process.exit(2);
  }
})();
let database: BenchDatabase | undefined;
let betterAuth: BetterAuthArm | undefined;

async function cleanUp() {
  await stopAllServerProcesses().catch(() => {});
  await betterAuth?.admin.end({ timeout: 5 }).catch(() => {});
  for (const each of [database, betterAuth?.database]) {
    await each?.drop().catch((error: unknown) => {
      console.error(`could not drop ${each?.name}: ${error instanceof Error ? error.message : error}`);
    });
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  });
}
process.once('exit', killAllServerProcessesNow);
const hardLimit = setTimeout(() => {
  progress(`still running after ${HARD_LIMIT_MS / 60_000} minutes: giving up`);
  void cleanUp().finally(() => process.exit(1));
}, HARD_LIMIT_MS);

async function main() {
  const { connections, poolSize, durationSeconds, warmupSeconds } = options;
  const seed = randomBytes(12).toString('base64url');
  database = await createBenchDatabase(options.adminUrl);
  progress(`database ${database.name}; ${options.sessions} sessions, ${connections} connections, pool ${poolSize}, ${durationSeconds} s per scenario`);
  await migrateGatehouse(database.url);

  const admin = postgres(database.url, { max: 2, onnotice: () => {} });
  const passwordHash = await hashPassword(BENCH_PASSWORD);
  await installFixtureFunctions(admin);
  const seeding = await timed(`seeding ${options.sessions} sessions`, () =>
    seedGatehouseSessions(admin, { seed, from: 0, to: options.sessions, passwordHash }),
  );
  await createFloorSchema(admin, { seed, sessions: options.sessions });

  const serverEnv: Record<string, string> = {
    NODE_ENV: 'production',
    DATABASE_URL: database.url,
    DATABASE_POOL_SIZE: String(poolSize),
    JWT_SECRET: randomBytes(32).toString('base64url'),
    // The floor arm's no-op procedure, served by the same app (see server/routers/bench/noop.ts).
    BENCH_FLOOR_PROCEDURE: 'true',
  };
  const config = loadConfig(serverEnv);
  // Tokens for the seeded sessions are signed here, with the database's signing keys, as the server would.
  const signingDatabase = await openDatabase(config.database, { poolSize: 1 });
  const { accessTokens } = accessTokensFor(config, config.jwtSecret!, { db: signingDatabase.db, clock: systemClock });
  const signIn = (session: { userId: string; sessionId: string; organizationId: string }) =>
    accessTokens.sign(session, new Date());

  const allocate = new SeededUserAllocator(seed, options.sessions);
  const results: ScenarioResult[] = [];
  const measure: Measure = async (run, serverPid, cpuAdmin = admin) => {
    const stopCpu = await startCpuMeter(cpuAdmin, serverPid);
    const result = await run();
    result.cpu = await stopCpu(result.requests);
    results.push(result);
    return result;
  };
  const http = { connections, durationSeconds };

  // Gatehouse as `npm start` runs it: built from the working tree, then package.json's start command.
  buildServer();
  const start = startCommand();
  const gatehouse = await startServerProcess('Gatehouse', start.entry, serverEnv, [
    ...start.nodeArguments,
    ...(options.profileDirectory ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDirectory}`] : []),
  ]);
  const idleRssMb = treeResidentMegabytes(gatehouse.pid);
  const memory = sampleResidentMemory(gatehouse.pid);
  const base = { baseUrl: gatehouse.baseUrl };
  const gatehouseTarget: ArmTarget = { baseUrl: gatehouse.baseUrl, pid: gatehouse.pid, cpuAdmin: admin };
  let warmupErrors = 0;
  /** Every HTTP arm: the same warm-up on the same plan, then the measured run. */
  const runArm: RunArm = async (name, target, planFor: (connection: number) => ConnectionPlan, armOptions = {}) => {
    const load = { baseUrl: target.baseUrl, connections: armOptions.connections ?? connections };
    const warm = await loadHttp('warm-up', { ...load, durationSeconds: warmupSeconds }, planFor);
    warmupErrors += warm.errors;
    const result = await measure(() => loadHttp(name, { ...load, durationSeconds }, planFor), target.pid, target.cpuAdmin);
    if (armOptions.note) result.note = armOptions.note;
    return { result, succeeded: warm.requests + result.requests };
  };

  const statements = await captureRefreshStatements({ url: database.url, serverEnv, session: allocate.sessions(1)[0]! });
  progress(`one refresh sends: ${describeStatements(statements)}`);

  const refreshOver = async (transport: Transport, name = `refresh ${transport}`) =>
    loadHttp(name, { ...base, ...http }, refreshChainPlan(transport, allocate.sessions(connections)));
  // Warm longer than the other scenarios, REST last: measured right after start, or right after
  // warming tRPC, refresh over REST ran a quarter slower than the same scenario later in the run.
  for (const transport of ['trpc', 'rest'] as const) {
    const seconds = Math.max(warmupSeconds, Math.round(durationSeconds / 2));
    await loadHttp('warm-up', { ...base, connections, durationSeconds: seconds }, refreshChainPlan(transport, allocate.sessions(connections)));
  }
  const refreshRest = await measure(() => refreshOver('rest'), gatehouse.pid);
  const refreshTrpc = await measure(() => refreshOver('trpc'), gatehouse.pid);
  // What the app costs before any work: the no-op procedure, same middlewares, adapter and body.
  const { result: floorArm } = await runArm('floor: no-op procedure', gatehouseTarget, floorPlan());
  // The floor and one prepared lookup: what a single round trip to PostgreSQL adds.
  const { result: floorQueryArm } = await runArm('floor + one statement', gatehouseTarget, floorPlan('/auth/bench/noop-query'));
  // Caller resolution by Bearer token: verify the access token, read its session, user and organization.
  const validatorTokens = await Promise.all(allocate.users(connections).map((sessions) => signIn(sessions[0]!)));
  const { result: validate } = await runArm('validate rest (/auth/me)', gatehouseTarget, validatePlan(validatorTokens));
  // Better Auth on the same server with the same concurrency and pool size, each operation right
  // after Gatehouse's own, so that both meet the same neighbours on a shared machine.
  const rival = options.refreshOnly
    ? undefined
    : betterAuthScenarios({
        run: runArm,
        connections,
        durationSeconds,
        warmupSeconds,
        betterAuth: (betterAuth = await startBetterAuthArm({ adminUrl: options.adminUrl, poolSize })),
      });
  await rival?.validate();

  // Each SQL arm gets a fresh pool of the server's size, closed only after its backends' CPU is read.
  const withPool = async (arm: (sql: postgres.Sql, seconds: number, name?: string) => Promise<ScenarioResult>) => {
    const sql = postgres(database!.url, { max: poolSize, onnotice: () => {} });
    try {
      warmupErrors += (await arm(sql, warmupSeconds, 'warm-up')).errors;
      return await measure(() => arm(sql, durationSeconds));
    } finally {
      await sql.end({ timeout: 5 });
    }
  };
  // Each round (warm-up, then the measured one) follows token chains of its own.
  const sqlArm = (seconds: number) => ({ concurrency: connections, durationSeconds: seconds, sessions: allocate.sessions(connections) });
  const ceiling = await withPool((sql, seconds, name = '(a) SQL ceiling') => runSqlCeiling(name, { ...sqlArm(seconds), sql, statements }));
  const ceilingUnprepared = await withPool((sql, seconds, name = '(a) SQL ceiling, unprepared') =>
    runSqlCeiling(name, { ...sqlArm(seconds), sql, statements, prepare: false }),
  );
  ceilingUnprepared.note = 'as sent without preparing';
  const floor = await withPool((sql, seconds, name = '(b) SQL floor') => runSqlFloor(name, { ...sqlArm(seconds), sql }));

  const express = await startServerProcess('Express', 'bench/express-server.ts', serverEnv);
  await loadHttp('warm-up', { baseUrl: express.baseUrl, connections, durationSeconds: warmupSeconds }, expressPlan());
  const expressResult = await measure(() => loadHttp('(c) bare Express', { baseUrl: express.baseUrl, ...http }, expressPlan()), express.pid);
  await express.stop();

  // p99 at half the peak rate: the latency a client sees on a server that is busy, not saturated.
  let halfPeak: ScenarioResult | undefined;
  if (!options.refreshOnly) {
    const pacer = await startPacedRefreshChild('refresh rest, half peak', {
      ...base,
      transport: 'rest',
      ratePerSecond: refreshRest.rps / 2,
      durationSeconds,
      sessions: allocate.sessions(connections),
      warmup: { seconds: warmupSeconds, sessions: allocate.sessions(connections) },
    });
    let pacerCpuUs = 0;
    halfPeak = await measure(async () => {
      const { result, cpuUs } = await pacer.measure();
      pacerCpuUs = cpuUs;
      return result;
    }, gatehouse.pid);
    if (halfPeak.cpu && halfPeak.requests > 0) halfPeak.cpu.loadGeneratorUs += Math.round(pacerCpuUs / halfPeak.requests);
  }

  let memoryBeforeLogin = 0;
  const others = options.refreshOnly
    ? undefined
    : await runGatehouseScenarios({
        run: runArm,
        connections,
        durationSeconds,
        warmupSeconds,
        target: gatehouseTarget,
        admin,
        allocate,
        signIn,
        beforeLogin: () => (memoryBeforeLogin = memory.peak()),
        rival,
      });

  const scale =
    options.scaleSessions > options.sessions && !options.refreshOnly
      ? await runScalePhase({ admin, seed, passwordHash, options, allocate, baseUrl: gatehouse.baseUrl, serverPid: gatehouse.pid, measure })
      : undefined;

  memory.stop();
  const reuseDetections = await countReuseDetections(admin);
  await admin.end({ timeout: 5 });
  await signingDatabase.close();
  await gatehouse.stop();
  await betterAuth?.stop();
  const theirs = rival?.results;

  printTable(results);
  const refreshRatios = {
    ceiling: ratio(refreshRest.rps, ceiling.rps),
    floor: ratio(refreshRest.rps, floor.rps),
    express: ratio(refreshRest.rps, expressResult.rps),
  };
  printRatios([
    ['refresh ÷ (a) SQL ceiling', refreshRatios.ceiling, 'target ≥ 0.7'],
    ['refresh ÷ (b) SQL floor', refreshRatios.floor, 'target ≥ 0.3'],
    ['refresh ÷ (c) bare Express', refreshRatios.express, ''],
    ['refresh tRPC ÷ (a) SQL ceiling', ratio(refreshTrpc.rps, ceiling.rps), ''],
    ...(scale ? [[`refresh at ${scale.sessions} ÷ at ${options.sessions}`, scale.ratio, 'target 0.9 to 1.1'] as [string, number | null, string]] : []),
  ]);

  // Against Better Auth (requests/s) and against the app's own floor (server CPU per call).
  const cpuOf = (result: ScenarioResult | undefined) => result?.cpu?.serverUs ?? null;
  const versus = {
    validate: theirs?.validate ? ratio(validate.rps, theirs.validate.rps) : null,
    list: theirs?.sessions && others ? ratio(others.sessions.rest.rps, theirs.sessions.rps) : null,
    revoke: theirs?.revoke && others ? ratio(others.revoke.rest.rps, theirs.revoke.rps) : null,
    login: theirs?.login && others ? ratio(others.login.rest.rps, theirs.login.rps) : null,
  };
  const floorUs = cpuOf(floorArm);
  const overFloor = (result: ScenarioResult) => (floorUs && cpuOf(result) !== null ? ratio(cpuOf(result)!, floorUs) : null);
  const cpuRatios = { refresh: overFloor(refreshRest), validate: overFloor(validate), oneStatement: overFloor(floorQueryArm) };
  printRatios([
    ['validate ÷ Better Auth get-session', versus.validate, 'target ≥ 2'],
    ['sessions list ÷ Better Auth', versus.list, 'target ≥ 2'],
    ['revoke-session ÷ Better Auth', versus.revoke, 'target ≥ 2'],
    ['sign-in ÷ Better Auth', versus.login, 'argon2id against scrypt'],
    ['refresh server CPU ÷ floor arm', cpuRatios.refresh, 'target ≤ 1.6'],
    ['validate server CPU ÷ floor arm', cpuRatios.validate, 'target ≤ 1.5'],
    ['floor + one statement ÷ floor arm', cpuRatios.oneStatement, 'the least any call that reads the database costs'],
  ]);
  // What the targets leave the server, when the machine's cores are shared by Gatehouse,
  // PostgreSQL and the load generator: a refresh rate R costs R × (server + PostgreSQL + load
  // generator CPU per refresh), and that cannot exceed the cores. Meaningless once the CPU
  // per request of either of the others is unknown.
  const cores = availableParallelism();
  const serverBudgetUs = (targetRps: number) =>
    refreshRest.cpu && targetRps > 0
      ? Math.round((cores * 1e6) / targetRps - refreshRest.cpu.databaseUs - refreshRest.cpu.loadGeneratorUs)
      : null;
  const budget = { ceiling: serverBudgetUs(0.7 * ceiling.rps), floor: serverBudgetUs(0.3 * floor.rps) };
  console.log(
    `\nCPU budget on this machine (${cores} cores shared by Gatehouse, PostgreSQL and the load generator):` +
      `\n  0.7 × (a) = ${round(0.7 * ceiling.rps, 0)} req/s leaves Gatehouse at most ${budget.ceiling ?? 'n/a'} µs of CPU per refresh` +
      `\n  0.3 × (b) = ${round(0.3 * floor.rps, 0)} req/s leaves Gatehouse at most ${budget.floor ?? 'n/a'} µs of CPU per refresh` +
      `\n  Gatehouse uses ${refreshRest.cpu?.serverUs ?? 'n/a'} µs; a bare Express endpoint (c) uses ${expressResult.cpu?.serverUs ?? 'n/a'} µs`,
  );
  const errors = results.reduce((total, result) => total + result.errors, 0) + warmupErrors;
  const rssPeak = memory.peak();
  console.log(
    `\nRSS of Gatehouse: ${round(idleRssMb)} MB idle, ${round(others ? memoryBeforeLogin : rssPeak)} MB peak before sign-in, ${round(rssPeak)} MB peak overall (target ≤ 150)` +
      `\nerrors ${errors} (${warmupErrors} in warm-ups), reuse detections ${reuseDetections} (both must be 0)`,
  );

  const summary = {
    mode: options.quick ? 'quick' : 'full',
    refresh_rps: round(refreshRest.rps),
    refresh_p50_ms: round(refreshRest.p50Ms, 2),
    refresh_p99_ms: round(refreshRest.p99Ms, 2),
    refresh_trpc_rps: round(refreshTrpc.rps),
    refresh_trpc_p99_ms: round(refreshTrpc.p99Ms, 2),
    refresh_half_peak_rate: halfPeak ? round(halfPeak.rps) : null,
    refresh_p99_ms_half_peak: halfPeak ? round(halfPeak.p99Ms, 2) : null,
    refresh_server_cpu_us: refreshRest.cpu?.serverUs ?? null,
    refresh_postgres_cpu_us: refreshRest.cpu?.databaseUs ?? null,
    sql_ceiling_rps: round(ceiling.rps),
    sql_ceiling_postgres_cpu_us: ceiling.cpu?.databaseUs ?? null,
    sql_ceiling_client_cpu_us: ceiling.cpu?.loadGeneratorUs ?? null,
    sql_ceiling_unprepared_rps: round(ceilingUnprepared.rps),
    ratio_refresh_to_sql_ceiling: refreshRatios.ceiling,
    sql_floor_rps: round(floor.rps),
    ratio_refresh_to_sql_floor: refreshRatios.floor,
    server_cpu_budget_us_at_ceiling_target: budget.ceiling,
    server_cpu_budget_us_at_floor_target: budget.floor,
    cores,
    express_rps: round(expressResult.rps),
    express_server_cpu_us: expressResult.cpu?.serverUs ?? null,
    ratio_refresh_to_express: refreshRatios.express,
    sessions_rps: others ? round(others.sessions.rest.rps) : null,
    sessions_trpc_rps: others ? round(others.sessions.trpc.rps) : null,
    revoke_rps: others ? round(others.revoke.rest.rps) : null,
    revoke_trpc_rps: others ? round(others.revoke.trpc.rps) : null,
    login_rps: others ? round(others.login.rest.rps) : null,
    login_trpc_rps: others ? round(others.login.trpc.rps) : null,
    floor_rps: round(floorArm.rps),
    validate_rps: round(validate.rps),
    validate_p99_ms: round(validate.p99Ms, 2),
    better_auth_validate_rps: theirs?.validate ? round(theirs.validate.rps) : null,
    better_auth_list_rps: theirs?.sessions ? round(theirs.sessions.rps) : null,
    better_auth_revoke_rps: theirs?.revoke ? round(theirs.revoke.rps) : null,
    better_auth_login_rps: theirs?.login ? round(theirs.login.rps) : null,
    ratio_validate_to_better_auth: versus.validate,
    ratio_list_to_better_auth: versus.list,
    ratio_revoke_to_better_auth: versus.revoke,
    ratio_login_to_better_auth: versus.login,
    ratio_refresh_cpu_to_floor: cpuRatios.refresh,
    ratio_validate_cpu_to_floor: cpuRatios.validate,
    ratio_one_statement_cpu_to_floor: cpuRatios.oneStatement,
    server_us_per_call: {
      floor: floorUs,
      floor_one_statement: cpuOf(floorQueryArm),
      validate: cpuOf(validate),
      refresh: cpuOf(refreshRest),
      refresh_trpc: cpuOf(refreshTrpc),
      sessions: cpuOf(others?.sessions.rest),
      revoke: cpuOf(others?.revoke.rest),
      login: cpuOf(others?.login.rest),
      better_auth_validate: cpuOf(theirs?.validate),
      better_auth_list: cpuOf(theirs?.sessions),
      better_auth_revoke: cpuOf(theirs?.revoke),
      better_auth_login: cpuOf(theirs?.login),
    },
    postgres_us_per_call: {
      validate: validate.cpu?.databaseUs ?? null,
      refresh: refreshRest.cpu?.databaseUs ?? null,
      sessions: others?.sessions.rest.cpu?.databaseUs ?? null,
      revoke: others?.revoke.rest.cpu?.databaseUs ?? null,
      better_auth_validate: theirs?.validate?.cpu?.databaseUs ?? null,
      better_auth_list: theirs?.sessions?.cpu?.databaseUs ?? null,
      better_auth_revoke: theirs?.revoke?.cpu?.databaseUs ?? null,
    },
    warmup_errors: warmupErrors,
    errors,
    reuse_detections: reuseDetections,
    rss_mb_idle: round(idleRssMb),
    rss_mb_peak: round(rssPeak),
    rss_mb_peak_before_login: others ? round(memoryBeforeLogin) : round(rssPeak),
    sessions_seeded: options.sessions,
    seed_seconds: seeding.seconds,
    refresh_statements: statements.length,
    ...(scale
      ? {
          scale_sessions: scale.sessions,
          scale_seed_seconds: scale.seedSeconds,
          refresh_rps_before_scale: round(scale.before.rps),
          refresh_rps_at_scale: round(scale.after.rps),
          ratio_refresh_scale: scale.ratio,
        }
      : {}),
    connections,
    pool_size: poolSize,
    duration_s: durationSeconds,
  };
  console.log(JSON.stringify(summary));
  return errors;
}

main()
  .then(async (errors) => {
    await cleanUp();
    clearTimeout(hardLimit);
    // A run with any failed request measured something else than the operations: it fails.
    if (errors > 0) console.error(`benchmark failed: ${errors} requests did not succeed`);
    process.exit(errors > 0 ? 1 : 0);
  })
  .catch(async (error: unknown) => {
    console.error(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
    await cleanUp();
    process.exit(1);
  });
