import { randomUUID } from 'node:crypto';
import type { BetterAuthArm } from './better-auth-arm';
import { countRevokedSessions, seedExtraGatehouseSessions, type Sql } from './database';
import { type SeededSession, type SeededUserAllocator, userEmail, userIndexOfSession } from './fixtures';
import {
  betterAuthGetPlan,
  betterAuthPaths,
  betterAuthRevokePlan,
  betterAuthSignInPlan,
  type ConnectionPlan,
  loginPlan,
  RevokeCaller,
  revokePlan,
  sessionsListPlan,
  type Transport,
} from './http-load';
import type { ScenarioResult } from './measure';

const SIGN_IN_CONNECTIONS = 8;
/** Sessions of each user whose list is loaded, on both sides: a user signed in on many devices. */
export const LISTED_SESSIONS_PER_USER = 100;
/** Far above what one connection ends per second here: no revoke request meets an ended session. */
const REVOKES_PER_CONNECTION_PER_SECOND = 150;

type SignIn = (session: SeededSession) => Promise<string>;
export type ByTransport = Record<Transport, ScenarioResult>;

/** Where an arm's requests go, and whose CPU they cost. */
export interface ArmTarget {
  baseUrl: string;
  pid: number;
  /** A connection to the database the target uses: its backends' CPU is counted. */
  cpuAdmin: Sql;
}

/** Warms up on the plan, then measures it; `succeeded` counts 2xx answers of both parts. */
export type RunArm = (
  name: string,
  target: ArmTarget,
  planFor: (connection: number) => ConnectionPlan,
  options?: { connections?: number; note?: string },
) => Promise<{ result: ScenarioResult; succeeded: number }>;

interface Common {
  run: RunArm;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
}

const revokeBudget = ({ durationSeconds, warmupSeconds }: Common) =>
  Math.ceil(REVOKES_PER_CONNECTION_PER_SECOND * (durationSeconds + warmupSeconds));

/**
 * Every revoke call must end a live session. A call sent for an already ended one, or a 200 that
 * ended nothing, is an error. (More sessions may end than were counted: requests still in flight
 * when a run stops are answered, and end their session, after autocannon stopped counting.)
 */
function checkRevocations(result: ScenarioResult, succeeded: number, ended: number, callers: RevokeCaller[]) {
  const reused = callers.reduce((total, caller) => total + caller.reused, 0);
  const endedNothing = Math.max(0, succeeded - ended);
  result.note = `${ended} live sessions ended`;
  if (reused + endedNothing === 0) return;
  result.errors += reused + endedNothing;
  result.note = `${succeeded} answered 200, ${ended} sessions ended, ${reused} sent for ended ones`;
}

/**
 * Gatehouse's operations after refresh and validation: listing a user's sessions, ending one, and signing in (bound by argon2id on purpose), each connection as its own
 * seeded user with a Bearer access token of one of its sessions.
 */
export async function runGatehouseScenarios(
  common: Common & {
    target: ArmTarget;
    admin: Sql;
    allocate: SeededUserAllocator;
    signIn: SignIn;
    beforeLogin: () => void;
    /** Better Auth's counterpart of each operation, run right after Gatehouse's: side by side in time too. */
    rival?: BetterAuthScenarios;
  },
): Promise<{ sessions: ByTransport; revoke: ByTransport; login: ByTransport }> {
  const { run, target, admin, allocate, signIn, connections, rival } = common;
  const transports = ['rest', 'trpc'] as const;

  const listers = allocate.users(connections);
  await seedExtraGatehouseSessions(admin, listers.flatMap((sessions) => extraSessionsOf(sessions[0]!, LISTED_SESSIONS_PER_USER - sessions.length)));
  const listerTokens = await Promise.all(listers.map((sessions) => signIn(sessions[0]!)));
  const sessions = {} as ByTransport;
  for (const transport of transports) {
    sessions[transport] = (await run(`sessions ${transport}`, target, sessionsListPlan(transport, listerTokens))).result;
    sessions[transport].note = `${LISTED_SESSIONS_PER_USER} sessions listed`;
  }
  await rival?.sessions();

  const revoke = {} as ByTransport;
  for (const transport of transports) {
    const users = allocate.users(connections);
    const live = users.map((sessions) => extraSessionsOf(sessions[0]!, revokeBudget(common)));
    await seedExtraGatehouseSessions(admin, live.flat());
    const callers = await Promise.all(
      users.map(async (sessions, u) => new RevokeCaller(await signIn(sessions[0]!), live[u]!.map((session) => session.id))),
    );
    const before = await countRevokedSessions(admin, 'revoked');
    const { result, succeeded } = await run(`revoke-session ${transport}`, target, revokePlan(transport, callers));
    checkRevocations(result, succeeded, (await countRevokedSessions(admin, 'revoked')) - before, callers);
    revoke[transport] = result;
  }
  await rival?.revoke();

  common.beforeLogin();
  const login = {} as ByTransport;
  for (const transport of transports) {
    const emails = allocate.users(connections).map((sessions) => userEmail(userIndexOfSession(sessions[0]!.index)));
    login[transport] = (await run(`login ${transport}`, target, loginPlan(transport, emails), signInLoad(common))).result;
    login[transport].note = 'argon2id verify per request, by design';
  }
  await rival?.login();
  return { sessions, revoke, login };
}

export type BetterAuthScenarios = ReturnType<typeof betterAuthScenarios>;

/**
 * The same operations on Better Auth: `get-session` with its session cookie, `list-sessions`
 * (as many sessions per user), `revoke-session` of a live session, and email sign-in. Each runs
 * when called, so that the runner can put it right after Gatehouse's; `results` holds them.
 */
export function betterAuthScenarios(common: Common & { betterAuth: BetterAuthArm }) {
  const { run, betterAuth, connections } = common;
  const target: ArmTarget = { baseUrl: betterAuth.origin, pid: betterAuth.server.pid, cpuAdmin: betterAuth.admin };
  const results: Partial<Record<'validate' | 'sessions' | 'revoke' | 'login', ScenarioResult>> = {};
  let validatorEmails: string[] = [];
  return {
    results,
    async validate() {
      const validators = await betterAuth.signUp(connections, 'validate');
      validatorEmails = validators.map((user) => user.email);
      results.validate = (await run('Better Auth get-session', target, betterAuthGetPlan(betterAuthPaths.getSession, validators.map((user) => user.cookie)))).result;
    },
    async sessions() {
      const listers = await betterAuth.signUp(connections, 'list');
      await betterAuth.seedSessions(listers, LISTED_SESSIONS_PER_USER - 1);
      const { result } = await run('Better Auth list-sessions', target, betterAuthGetPlan(betterAuthPaths.listSessions, listers.map((user) => user.cookie)));
      result.note = `${LISTED_SESSIONS_PER_USER} sessions listed`;
      results.sessions = result;
    },
    async revoke() {
      const revokers = await betterAuth.signUp(connections, 'revoke');
      const tokens = await betterAuth.seedSessions(revokers, revokeBudget(common));
      const callers = revokers.map((user, u) => new RevokeCaller(user.cookie, tokens[u]!));
      const before = await betterAuth.countSessions(revokers);
      const { result, succeeded } = await run('Better Auth revoke-session', target, betterAuthRevokePlan(betterAuth.origin, callers));
      checkRevocations(result, succeeded, before - (await betterAuth.countSessions(revokers)), callers);
      results.revoke = result;
    },
    async login() {
      if (validatorEmails.length === 0) validatorEmails = (await betterAuth.signUp(connections, 'login')).map((user) => user.email);
      const { result } = await run('Better Auth sign-in', target, betterAuthSignInPlan(betterAuth.origin, validatorEmails), signInLoad(common));
      result.note = 'scrypt verify per request, by design';
      results.login = result;
    },
  };
}

/** Sign-in waits on the password hash in libuv's threads: more connections only queue behind them. */
function signInLoad({ connections }: Common) {
  return { connections: Math.min(connections, SIGN_IN_CONNECTIONS) };
}

function extraSessionsOf(session: SeededSession, count: number) {
  return Array.from({ length: Math.max(0, count) }, () => ({
    id: randomUUID(),
    userId: session.userId,
    organizationId: session.organizationId,
  }));
}
