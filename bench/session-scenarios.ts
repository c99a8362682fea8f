import { type SeededSession, type SeededUserAllocator, userEmail, userIndexOfSession } from './fixtures';
import { loadHttp, loginPlan, revokePlan, sessionsListPlan, type Transport } from './http-load';
import type { Measure, ScenarioResult } from './measure';

const SIGN_IN_CONNECTIONS = 8;

type SignIn = (session: SeededSession) => Promise<string>;
export type ByTransport = Record<Transport, ScenarioResult>;

/**
 * The operations after refresh, in the order of weight: listing sessions, ending one,
 * and signing in (bound by argon2 on purpose). Each over REST and over tRPC, each connection as
 * its own seeded user, signed in with a Bearer access token of that user's first session.
 */
export async function runSessionScenarios({
  baseUrl,
  connections,
  durationSeconds,
  allocate,
  signIn,
  measure,
  serverPid,
  beforeLogin,
}: {
  baseUrl: string;
  connections: number;
  durationSeconds: number;
  allocate: SeededUserAllocator;
  signIn: SignIn;
  measure: Measure;
  serverPid: number;
  beforeLogin: () => void;
}): Promise<{ sessions: ByTransport; revoke: ByTransport; login: ByTransport }> {
  const load = { baseUrl, connections, durationSeconds };
  const transports = ['rest', 'trpc'] as const;

  const listerTokens = await Promise.all(allocate.users(connections).map((sessions) => signIn(sessions[0]!)));
  const sessions = {} as ByTransport;
  for (const transport of transports) {
    sessions[transport] = await measure(() => loadHttp(`sessions ${transport}`, load, sessionsListPlan(transport, listerTokens)), serverPid);
  }

  const revoke = {} as ByTransport;
  for (const transport of transports) {
    const callers = await Promise.all(
      allocate.users(connections).map(async (sessions) => ({
        accessToken: await signIn(sessions[0]!),
        otherSessionIds: sessions.slice(1).map((session) => session.sessionId),
      })),
    );
    revoke[transport] = await measure(() => loadHttp(`revoke-session ${transport}`, load, revokePlan(transport, callers)), serverPid);
  }

  beforeLogin();
  // Sign-in waits on argon2 in libuv's four threads: more connections only queue behind them,
  // and a short run would end before the first answers came back.
  const signInLoad = { ...load, connections: Math.min(connections, SIGN_IN_CONNECTIONS) };
  const login = {} as ByTransport;
  for (const transport of transports) {
    const emails = allocate.users(connections).map((sessions) => userEmail(userIndexOfSession(sessions[0]!.index)));
    login[transport] = await measure(() => loadHttp(`login ${transport}`, signInLoad, loginPlan(transport, emails)), serverPid);
    login[transport].note = 'argon2id verify per request, by design';
  }
  return { sessions, revoke, login };
}
