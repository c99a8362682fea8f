import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createApp } from '../../server/app';
import type { Clock } from '../../server/clock';
import type { DatabaseHandle } from '../../server/db/client';
import { createDeps } from '../../server/deps';
import type { Deps } from '../../server/domain/deps';
import { loadConfig, type Config } from '../../server/env';
import { createHttpServer, listen, type HttpLimits } from '../../server/http-server';
import { createMetrics } from '../../server/metrics';
import { ManualClock } from './clock';
import { openTestDatabase } from './database';

export interface Gatehouse {
  url: string;
  /** The HTTP server, made by the same createHttpServer as in production. */
  server: Server;
  deps: Deps;
  database: DatabaseHandle;
  /** The PostgreSQL database's URL; null on in-memory PGlite. */
  databaseUrl: string | null;
  clock: ManualClock;
  /** POST a JSON body (or none) to a path; returns status, parsed body and headers. */
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpResult>;
  close(): Promise<void>;
}

export interface HttpResult {
  status: number;
  body: any;
  headers: Headers;
}

export const GENEROUS_RATE_LIMITS: Config['rateLimits'] = {
  signInFailuresPer15Minutes: 10_000,
  registrationsPerHour: 10_000,
  refreshFailuresPerMinute: 10_000,
  apiKeyCallsPerMinute: 1_000_000,
};

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

/** A real Gatehouse over real HTTP on a real database, on a random local port. */
export async function startGatehouse(
  options: {
    config?: Partial<Config>;
    clock?: Clock;
    reportError?: (error: unknown) => void;
    /** Where the app logs; with a logger and no reportError, unexpected errors go to it as in production. */
    logger?: Logger;
    /** Shorter HTTP timeouts, for the tests of the timeouts themselves. */
    httpLimits?: Partial<HttpLimits>;
    /** Another database than the test database of its own (one behind a TCP proxy, say). */
    database?: typeof openTestDatabase;
  } = {},
): Promise<Gatehouse> {
  const { handle, url: databaseUrl, drop } = await (options.database ?? openTestDatabase)();
  const clock = new ManualClock();
  const config: Config = {
    ...loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'memory://' }),
    // Suites sign up and fail sign-ins from one address by the dozen; the limits have tests of their own.
    rateLimits: GENEROUS_RATE_LIMITS,
    ...options.config,
  };
  const metrics = createMetrics({ processMetrics: false });
  const deps = createDeps({
    db: handle.db,
    config,
    clock: options.clock ?? clock,
    jwtSecret: TEST_JWT_SECRET,
    telemetry: metrics.telemetry,
    databaseHealth: handle.health,
  });
  const app = createApp({
    deps,
    metrics,
    checkDatabase: handle.ping,
    ...(options.logger ? { logger: options.logger } : {}),
    reportError: options.reportError ?? (options.logger ? undefined : (error) => console.error('unexpected error in Gatehouse:', error)),
  });
  const server = createHttpServer(app, { ...(options.logger ? { logger: options.logger } : {}), limits: options.httpLimits ?? {} });
  await listen(server, 0, '127.0.0.1');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    server,
    deps,
    database: handle,
    databaseUrl,
    clock,
    post: (path, body, headers = {}) => httpPost(url + path, body, headers),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await handle.close();
      await drop();
    },
  };
}

export async function httpPost(url: string, body: unknown, headers: Record<string, string>): Promise<HttpResult> {
  const response = await fetch(url, {
    method: 'POST',
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Left as text: the assertion that follows will show it.
  }
  return { status: response.status, body: parsed, headers: response.headers };
}
