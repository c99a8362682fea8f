import type { AddressInfo } from 'node:net';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { createApp } from '../server/app';
import { systemClock } from '../server/clock';
import type { Database } from '../server/db/client';
import * as schema from '../server/db/schema';
import { createDeps } from '../server/deps';
import { loadConfig } from '../server/env';
import { BENCH_USER_AGENT, hashToken, type SeededSession } from './fixtures';
import { closedLoop, type ScenarioResult } from './measure';

/** Where a captured parameter's value comes from when the statements are replayed. */
type ParameterSource =
  | { kind: 'token' | 'successor' | 'session' | 'user' | 'organization' }
  | { kind: 'time'; offsetMs: number }
  | { kind: 'constant'; value: unknown };

export interface CapturedStatement {
  text: string;
  parameters: ParameterSource[];
}

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/**
 * Arm (a) needs "the very statements one refresh executes". Rather than copying SQL that is
 * still changing, one real refresh goes through Gatehouse's own app and domain code, in this
 * process, over a postgres.js client whose `debug` hook records every statement sent (a BEGIN
 * and COMMIT included, were refresh to become a transaction). Parameters are then generalised:
 * the token hashes and ids of that session become slots, timestamps become offsets from now.
 */
export async function captureRefreshStatements(
  { url, serverEnv, session }: { url: string; serverEnv: Record<string, string>; session: SeededSession },
): Promise<CapturedStatement[]> {
  const recorded: { text: string; parameters: unknown[] }[] = [];
  let recording = false;
  const client = postgres(url, {
    max: 1,
    onnotice: () => {},
    debug: (_connection, text, parameters) => {
      if (recording) recorded.push({ text, parameters: [...parameters] });
    },
  });
  const config = loadConfig(serverEnv);
  const db = drizzle(client, { schema }) as unknown as Database;
  const deps = createDeps({ db, config, clock: systemClock, jwtSecret: config.jwtSecret! });
  const app = createApp({ deps, checkDatabase: async () => {} });
  const server = app.listen(0, '127.0.0.1');
  const listening = new Promise<void>((resolve) => server.once('listening', resolve));
  try {
    // postgres.js looks up array types when it first connects: that is not part of a refresh.
    await client`select 1`;
    await listening;
    const { port } = server.address() as AddressInfo;
    recording = true;
    const response = await fetch(`http://127.0.0.1:${port}/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': BENCH_USER_AGENT },
      body: JSON.stringify({ refresh_token: session.refreshToken }),
    });
    recording = false;
    const answer = (await response.json()) as { refresh_token?: string };
    if (response.status !== 200 || typeof answer.refresh_token !== 'string') {
      throw new Error(`capturing the refresh statements: the refresh answered ${response.status}`);
    }
    if (recorded.length === 0) throw new Error('capturing the refresh statements: no statement was recorded');
    return generalise(recorded, {
      token: hashToken(session.refreshToken),
      successor: hashToken(answer.refresh_token),
      session: session.sessionId,
      user: session.userId,
      organization: session.organizationId,
    });
  } finally {
    server.close();
    await client.end({ timeout: 5 });
  }
}

function generalise(
  recorded: { text: string; parameters: unknown[] }[],
  slots: Record<'token' | 'successor' | 'session' | 'user' | 'organization', string>,
): CapturedStatement[] {
  const times = recorded.flatMap((each) =>
    each.parameters.filter((value): value is string => typeof value === 'string' && ISO_TIMESTAMP.test(value)),
  );
  const capturedNow = Math.max(...times.map((time) => Date.parse(time)), 0);
  const slotOf = new Map(Object.entries(slots).map(([kind, value]) => [value, kind as keyof typeof slots]));
  return recorded.map(({ text, parameters }) => ({
    text,
    parameters: parameters.map((value): ParameterSource => {
      const slot = typeof value === 'string' ? slotOf.get(value) : undefined;
      if (slot) return { kind: slot };
      if (typeof value === 'string' && ISO_TIMESTAMP.test(value)) return { kind: 'time', offsetMs: Date.parse(value) - capturedNow };
      return { kind: 'constant', value };
    }),
  }));
}

/** A short, secret-free description of what one refresh sends: how many statements, which kinds. */
export function describeStatements(statements: CapturedStatement[]): string {
  return statements
    .map(({ text }) => {
      const words = text.replace(/\s+/g, ' ').trim();
      const ctes = words.match(/\b(\w+) as \((?:update|insert|delete|select)/gi)?.length ?? 0;
      return `${words.split(' ')[0]?.toLowerCase()}${ctes ? ` (${ctes} CTEs)` : ''}`;
    })
    .join(' + ');
}

/** The chain the SQL arms follow: any fresh value works, the server's derivation is not SQL. */
const nextToken = (token: string) => hashToken(`${token}:next`);

/**
 * Arm (a): the captured statements, replayed with per-session values straight through
 * postgres.js, prepared, on a pool of the server's size at the benchmark's concurrency. Each
 * worker follows its own session's chain, so every replay rotates a current token.
 */
export async function runSqlCeiling(
  name: string,
  { sql, concurrency, durationSeconds, statements, sessions, prepare = true }: {
    /** A pool of the server's size; the caller closes it after reading its backends' CPU. */
    sql: postgres.Sql;
    concurrency: number;
    durationSeconds: number;
    statements: CapturedStatement[];
    sessions: SeededSession[];
    prepare?: boolean;
  },
): Promise<ScenarioResult> {
  const tokens = sessions.map((session) => session.refreshToken);
  const valuesFor = (statement: CapturedStatement, session: SeededSession, token: string, successor: string, now: number) =>
    statement.parameters.map((source) => {
      switch (source.kind) {
        case 'token':
          return hashToken(token);
        case 'successor':
          return hashToken(successor);
        case 'session':
          return session.sessionId;
        case 'user':
          return session.userId;
        case 'organization':
          return session.organizationId;
        case 'time':
          return new Date(now + source.offsetMs).toISOString();
        case 'constant':
          return source.value;
      }
    }) as postgres.ParameterOrJSON<never>[];
  return closedLoop(name, { concurrency, durationSeconds }, async (worker) => {
    const session = sessions[worker]!;
    const token = tokens[worker]!;
    const successor = nextToken(token);
    const now = Date.now();
    let rotated = false;
    const runAll = async (connection: postgres.Sql) => {
      for (const statement of statements) {
        const rows = await connection.unsafe(statement.text, valuesFor(statement, session, token, successor, now), { prepare });
        // Only the rotation returns rows (the rotated session); BEGIN, COMMIT and audits return none.
        if (rows.length > 0) rotated = true;
      }
    };
    if (statements.length === 1) {
      await runAll(sql);
    } else {
      // Several statements (a transaction, say) belong on one connection, in order.
      const reserved = await sql.reserve();
      try {
        await runAll(reserved);
      } finally {
        reserved.release();
      }
    }
    if (rotated) tokens[worker] = successor;
    return rotated;
  });
}

/**
 * Arm (b), the floor of any design: lock the current token (the UPDATE's row lock), mark it
 * rotated, insert its successor, touch the session, as one prepared statement on the
 * two-table schema of bench/database.ts.
 */
export async function runSqlFloor(
  name: string,
  { sql, concurrency, durationSeconds, sessions }: {
    sql: postgres.Sql;
    concurrency: number;
    durationSeconds: number;
    sessions: SeededSession[];
  },
): Promise<ScenarioResult> {
  const tokens = sessions.map((session) => session.refreshToken);
  return closedLoop(name, { concurrency, durationSeconds }, async (worker) => {
    const token = tokens[worker]!;
    const successor = nextToken(token);
    const rows = await sql`
      with rotated as (
        update floor_refresh_tokens set rotated_at = now()
         where token_hash = ${hashToken(token)} and rotated_at is null
        returning session_id
      ), successor as (
        insert into floor_refresh_tokens (token_hash, session_id)
        select ${hashToken(successor)}, session_id from rotated
      ), touched as (
        update floor_sessions set last_accessed_at = now() where id = (select session_id from rotated)
      )
      select session_id from rotated`;
    if (rows.length === 0) return false;
    tokens[worker] = successor;
    return true;
  });
}
