import autocannon from 'autocannon';
import { BENCH_PASSWORD, BENCH_USER_AGENT, type SeededSession } from './fixtures';
import type { ScenarioResult } from './measure';

export type Transport = 'rest' | 'trpc';

/** What one autocannon connection sends, again and again: its own state lives in the closure. */
interface ConnectionPlan {
  path: string;
  headers?: Record<string, string>;
  body: () => string;
  onResponse?: (status: number, body: string) => void;
}

export const JSON_HEADERS = { 'content-type': 'application/json', 'user-agent': BENCH_USER_AGENT };

/** A request timing out would be re-sent with a token that may have rotated: allow plenty. */
const REQUEST_TIMEOUT_SECONDS = 30;

export async function loadHttp(
  name: string,
  { baseUrl, connections, durationSeconds }: { baseUrl: string; connections: number; durationSeconds: number },
  planFor: (connection: number) => ConnectionPlan,
): Promise<ScenarioResult> {
  let nextConnection = 0;
  const result = await autocannon({
    url: baseUrl,
    connections,
    duration: durationSeconds,
    timeout: REQUEST_TIMEOUT_SECONDS,
    // autocannon resets a request's `context` before every request, so per-connection state
    // (a token chain) is kept in a closure made here, once per connection.
    setupClient: (client) => {
      const plan = planFor(nextConnection++);
      client.setRequests([
        {
          method: 'POST',
          path: plan.path,
          headers: { ...JSON_HEADERS, ...plan.headers },
          setupRequest: (request) => ({ ...request, body: plan.body() }),
          onResponse: (status, body) => plan.onResponse?.(status, body),
        },
      ]);
    },
  });
  return {
    name,
    rps: (result['2xx'] + result.non2xx) / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.non2xx + result.errors,
    requests: result['2xx'] + result.non2xx,
  };
}

export const paths = {
  refresh: { rest: '/auth/refresh', trpc: '/trpc/auth.refresh' },
  sessions: { rest: '/auth/sessions', trpc: '/trpc/auth.sessions' },
  revoke: { rest: '/auth/revoke-session', trpc: '/trpc/auth.revokeSession' },
  login: { rest: '/auth/login', trpc: '/trpc/auth.login' },
} as const;

/** The REST facade answers the output itself; tRPC wraps it in `{ result: { data } }`. */
export function outputOf(transport: Transport, body: string): unknown {
  const parsed = JSON.parse(body) as { result?: { data?: unknown } };
  return transport === 'rest' ? parsed : parsed.result?.data;
}

/** The refresh token a successful refresh answered with, over either face. */
export function nextRefreshToken(transport: Transport, body: string): string | undefined {
  const next = (outputOf(transport, body) as { refresh_token?: unknown } | undefined)?.refresh_token;
  return typeof next === 'string' ? next : undefined;
}

/**
 * Connection i follows the token chain of session i: each request presents the refresh token
 * the previous answer returned, so no request is ever a replay. A failed request keeps its token
 * (a retry inside the grace window is still not reuse).
 */
export function refreshChainPlan(transport: Transport, sessions: SeededSession[]) {
  return (connection: number): ConnectionPlan => {
    const session = sessions[connection];
    if (!session) throw new Error(`no seeded session for refresh connection ${connection}`);
    let token = session.refreshToken;
    return {
      path: paths.refresh[transport],
      body: () => JSON.stringify({ refresh_token: token }),
      onResponse: (status, body) => {
        if (status === 200) token = nextRefreshToken(transport, body) ?? token;
      },
    };
  };
}

/** Connection i lists the sessions of its own signed-in user (Bearer access token). */
export function sessionsListPlan(transport: Transport, accessTokens: string[]) {
  return (connection: number): ConnectionPlan => ({
    path: paths.sessions[transport],
    headers: { authorization: `Bearer ${accessTokens[connection % accessTokens.length]}` },
    body: () => '{}',
  });
}

/**
 * Connection i, signed in as its own user, ends that user's other sessions one after another.
 * Once through them it starts over: ending an already-ended session of one's own is a 200 and
 * the same UPDATE, so the load stays what it was without seeding a session per request.
 */
export function revokePlan(transport: Transport, callers: { accessToken: string; otherSessionIds: string[] }[]) {
  return (connection: number): ConnectionPlan => {
    const caller = callers[connection];
    if (!caller) throw new Error(`no seeded user for revoke connection ${connection}`);
    let next = 0;
    return {
      path: paths.revoke[transport],
      headers: { authorization: `Bearer ${caller.accessToken}` },
      body: () => JSON.stringify({ sessionId: caller.otherSessionIds[next++ % caller.otherSessionIds.length] }),
    };
  };
}

/** Sign-in of the seeded users in turn; every success starts a new session (and costs an argon2 verify). */
export function loginPlan(transport: Transport, emails: string[]) {
  return (connection: number): ConnectionPlan => {
    let next = connection;
    return {
      path: paths.login[transport],
      body: () => JSON.stringify({ email: emails[next++ % emails.length], password: BENCH_PASSWORD }),
    };
  };
}

export function expressPlan() {
  return (connection: number): ConnectionPlan => ({
    path: '/refresh',
    body: () => JSON.stringify({ refresh_token: `bench-token-${connection}-0123456789abcdefghijklmnopqrstu` }),
  });
}
