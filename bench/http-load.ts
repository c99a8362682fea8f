import autocannon from 'autocannon';
import { BENCH_PASSWORD, BENCH_USER_AGENT, type SeededSession } from './fixtures';
import type { ScenarioResult } from './measure';

export type Transport = 'rest' | 'trpc';

/** What one autocannon connection sends, again and again: its own state lives in the closure. */
export interface ConnectionPlan {
  method?: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body: () => string;
  /** False when a 2xx answer did not do the job (Better Auth answers 200 `null` for no session): counted as an error. */
  onResponse?: (status: number, body: string) => boolean | void;
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
  // The first few failed answers, to say what went wrong (a run with errors fails).
  const failures: string[] = [];
  let unusable = 0;
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
          method: plan.method ?? 'POST',
          path: plan.path,
          headers: plan.method === 'GET' ? { 'user-agent': BENCH_USER_AGENT, ...plan.headers } : { ...JSON_HEADERS, ...plan.headers },
          setupRequest: (request) => (plan.method === 'GET' ? request : { ...request, body: plan.body() }),
          onResponse: (status, body) => {
            if ((status < 200 || status > 299) && failures.length < 3) failures.push(`${status} ${String(body).slice(0, 300)}`);
            if (plan.onResponse?.(status, body) === false && status >= 200 && status <= 299) {
              unusable++;
              if (failures.length < 3) failures.push(`${status} ${String(body).slice(0, 300)}`);
            }
          },
        },
      ]);
    },
  });
  if (result.non2xx + result.errors + unusable > 0) {
    console.log(`[bench] ${name}: ${result.non2xx} non-2xx answers, ${unusable} 2xx answers that did not do the job, ${result.errors} request errors (${result.timeouts} timeouts); first: ${failures.join(' | ') || 'none seen'}`);
  }
  // Only answers that did the job count: a 401 or a 500 is often quicker than the real thing.
  return {
    name,
    rps: (result['2xx'] - unusable) / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.non2xx + result.errors + unusable,
    requests: result['2xx'] - unusable,
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
 * Connection i, signed in as its own user, ends that user's live sessions one after another,
 * each once: every request is a real revocation (the UPDATE, the audit event, the webhook
 * outbox check). The runner seeds more sessions than the run can end and checks afterwards that
 * as many ended as were answered 200.
 */
export function revokePlan(transport: Transport, callers: RevokeCaller[]) {
  return (connection: number): ConnectionPlan => {
    const caller = callers[connection];
    if (!caller) throw new Error(`no seeded user for revoke connection ${connection}`);
    return {
      path: paths.revoke[transport],
      headers: { authorization: `Bearer ${caller.credential}` },
      body: () => JSON.stringify({ sessionId: caller.nextLiveSession() }),
    };
  };
}

/**
 * A caller of the revoke scenarios and the live sessions of its user it may end. The cursor
 * lives here, not in a plan, so that the warm-up and the measured run never end the same one.
 */
export class RevokeCaller {
  private next = 0;

  constructor(
    /** A Bearer access token (Gatehouse) or a session cookie (Better Auth). */
    readonly credential: string,
    private readonly liveSessions: string[],
  ) {}

  /** Past the last one it starts over: those answers are still 200, but revoke nothing (`reused` counts them). */
  nextLiveSession(): string {
    return this.liveSessions[this.next++ % this.liveSessions.length]!;
  }

  /** Requests sent for a session this caller had already ended. */
  get reused(): number {
    return Math.max(0, this.next - this.liveSessions.length);
  }
}

/** Connection i asks who it is (`/auth/me`) with its own user's Bearer access token: caller resolution, nothing more. */
export function validatePlan(accessTokens: string[]) {
  return (connection: number): ConnectionPlan => ({
    path: '/auth/me',
    headers: { authorization: `Bearer ${accessTokens[connection % accessTokens.length]}` },
    body: () => '{}',
  });
}

/** The no-op procedure (BENCH_FLOOR_PROCEDURE), with refresh's body: what the app costs before any work. */
export function floorPlan(path: '/auth/bench/noop' | '/auth/bench/noop-query' = '/auth/bench/noop') {
  return (connection: number): ConnectionPlan => ({
    path,
    body: () => JSON.stringify({ refresh_token: `bench-token-${connection}-0123456789abcdefghijklmnopqrstu` }),
  });
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

/** Better Auth's endpoints, as its own client calls them (session cookie; an Origin on every POST). */
export const betterAuthPaths = {
  getSession: '/api/auth/get-session',
  listSessions: '/api/auth/list-sessions',
  revokeSession: '/api/auth/revoke-session',
  signIn: '/api/auth/sign-in/email',
} as const;

export function betterAuthGetPlan(path: string, cookies: string[]) {
  return (connection: number): ConnectionPlan => ({
    method: 'GET',
    path,
    headers: { cookie: cookies[connection % cookies.length]! },
    body: () => '',
    // get-session answers 200 `null` when the cookie names no live session, list-sessions `[]`.
    onResponse: (status, body) => status !== 200 || (body !== 'null' && body !== '[]' && body.length > 2),
  });
}

/** As revokePlan: each request ends one live session of the caller's user (Better Auth names it by its token). */
export function betterAuthRevokePlan(origin: string, callers: RevokeCaller[]) {
  return (connection: number): ConnectionPlan => {
    const caller = callers[connection];
    if (!caller) throw new Error(`no Better Auth user for revoke connection ${connection}`);
    return {
      path: betterAuthPaths.revokeSession,
      headers: { cookie: caller.credential, origin },
      body: () => JSON.stringify({ token: caller.nextLiveSession() }),
    };
  };
}

export function betterAuthSignInPlan(origin: string, emails: string[]) {
  return (connection: number): ConnectionPlan => {
    let next = connection;
    return {
      path: betterAuthPaths.signIn,
      headers: { origin },
      body: () => JSON.stringify({ email: emails[next++ % emails.length], password: BENCH_PASSWORD }),
    };
  };
}
