import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { openDatabase } from '../server/db/client';
import {
  BENCH_USER_AGENT,
  organizationIndexOfUser,
  SESSIONS_PER_USER,
  sql as fixtureSql,
  userIndexOfSession,
  USERS_PER_ORGANIZATION,
} from './fixtures';

export type Sql = postgres.Sql;

export const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** Rows per INSERT: large enough to be set-based, small enough that no statement runs for minutes. */
const SEED_CHUNK_SESSIONS = 100_000;

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/**
 * A database of the run's own on the server of `adminUrl`: everything the benchmark writes goes
 * there, and dropping it is the whole cleanup. Other databases on the server are never touched.
 */
export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `gatehouse_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    name,
    url: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      const again = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        // `with (force)` ends sessions a crashed child may have left behind.
        await again.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await again.end({ timeout: 5 });
      }
    },
  };
}

/** Gatehouse's own migrations, through its own code, so the schema is exactly the server's. */
export async function migrateGatehouse(url: string): Promise<void> {
  // Two connections: migrate() holds one for its advisory lock while migrating on the other.
  const database = await openDatabase({ kind: 'postgres', url }, { poolSize: 2 });
  try {
    await database.migrate();
  } finally {
    await database.close();
  }
}

export async function installFixtureFunctions(sql: Sql): Promise<void> {
  await sql.unsafe(fixtureSql.base64urlFunction);
}

/**
 * Seeds sessions [from, to) of the fixture layout, with their users and organizations, in
 * set-based statements. Each session has one current refresh token, last used within the hour.
 */
export async function seedGatehouseSessions(
  sql: Sql,
  { seed, from, to, passwordHash }: { seed: string; from: number; to: number; passwordHash: string },
): Promise<void> {
  for (let start = from; start < to; start += SEED_CHUNK_SESSIONS) {
    const end = Math.min(to, start + SEED_CHUNK_SESSIONS) - 1;
    const firstUser = userIndexOfSession(start);
    const lastUser = userIndexOfSession(end);
    await sql.unsafe(
      `insert into organizations (id, name, type, plan, size, primary_use, status, created_at, updated_at)
       select 'bench-org-' || o, 'Bench organization ' || o, 'enterprise', 'trial', '11-50', 'support', 'active', now(), now()
         from generate_series($1::int, $2::int) o
       on conflict do nothing`,
      [organizationIndexOfUser(firstUser), organizationIndexOfUser(lastUser)],
    );
    await sql.unsafe(
      `insert into users (id, organization_id, email, name, password_hash, created_at, updated_at)
       select 'bench-user-' || u, 'bench-org-' || (u / $3::int), 'bench-' || u || '@example.com', 'Bench user', $4, now(), now()
         from generate_series($1::int, $2::int) u
       on conflict do nothing`,
      [firstUser, lastUser, USERS_PER_ORGANIZATION, passwordHash],
    );
    await sql.unsafe(
      `insert into sessions (id, user_id, organization_id, user_agent, ip_address, created_at, last_accessed_at, expires_at)
       select ${fixtureSql.sessionId('$3', 'i')}, 'bench-user-' || (i / $4::int), 'bench-org-' || (i / $4::int / $5::int),
              $6, '127.0.0.1', now() - interval '1 hour', now() - make_interval(secs => i % 3600), now() + interval '29 days'
         from generate_series($1::int, $2::int) i`,
      [start, end, seed, SESSIONS_PER_USER, USERS_PER_ORGANIZATION, BENCH_USER_AGENT],
    );
    await sql.unsafe(
      `insert into refresh_tokens (token_hash, session_id, created_at)
       select ${fixtureSql.hashToken(fixtureSql.refreshToken('$3', 'i'))}, ${fixtureSql.sessionId('$3', 'i')}, now() - interval '1 hour'
         from generate_series($1::int, $2::int) i`,
      [start, end, seed],
    );
  }
  // Fresh statistics, as a database that grew to this size over time would have.
  await sql.unsafe('analyze organizations, users, sessions, refresh_tokens');
}

/**
 * The floor of any design: the smallest schema a rotating refresh token can live in, seeded
 * with as many sessions as Gatehouse's, with the same token hashes.
 */
export async function createFloorSchema(sql: Sql, { seed, sessions }: { seed: string; sessions: number }): Promise<void> {
  await sql.unsafe(`
    create table floor_sessions (
      id bigint primary key,
      last_accessed_at timestamptz not null
    );
    create table floor_refresh_tokens (
      token_hash text primary key,
      session_id bigint not null references floor_sessions (id),
      rotated_at timestamptz
    );
  `);
  for (let start = 0; start < sessions; start += SEED_CHUNK_SESSIONS) {
    const end = Math.min(sessions, start + SEED_CHUNK_SESSIONS) - 1;
    await sql.unsafe(
      `insert into floor_sessions (id, last_accessed_at) select i, now() from generate_series($1::int, $2::int) i`,
      [start, end],
    );
    await sql.unsafe(
      `insert into floor_refresh_tokens (token_hash, session_id)
       select ${fixtureSql.hashToken(fixtureSql.refreshToken('$3', 'i'))}, i from generate_series($1::int, $2::int) i`,
      [start, end, seed],
    );
  }
  await sql.unsafe('analyze floor_sessions, floor_refresh_tokens');
}

/** Every reuse detection ends its session with this reason; a correct run has none. */
export async function countReuseDetections(sql: Sql): Promise<number> {
  const [row] = await sql.unsafe<{ count: string }[]>(
    `select count(*) as count from sessions where revoked_reason = 'refresh_token_reused'`,
  );
  return Number(row?.count ?? 0);
}

export interface ExtraSession {
  id: string;
  userId: string;
  organizationId: string;
}

/**
 * More live sessions for seeded users (no refresh tokens: nothing refreshes them), for the
 * sessions list (a user with many sessions) and for revoke-session (one live session per request).
 */
export async function seedExtraGatehouseSessions(sql: Sql, sessions: ExtraSession[]): Promise<void> {
  for (let start = 0; start < sessions.length; start += SEED_CHUNK_SESSIONS) {
    const chunk = sessions.slice(start, start + SEED_CHUNK_SESSIONS);
    await sql.unsafe(
      `insert into sessions (id, user_id, organization_id, user_agent, ip_address, created_at, last_accessed_at, expires_at)
       select s.id, s.user_id, s.organization_id, $4, '127.0.0.1', now() - interval '1 hour',
              now() - make_interval(secs => s.n % 3600), now() + interval '29 days'
         from unnest($1::uuid[], $2::text[], $3::text[]) with ordinality as s(id, user_id, organization_id, n)`,
      [chunk.map((s) => s.id), chunk.map((s) => s.userId), chunk.map((s) => s.organizationId), BENCH_USER_AGENT] as never[],
    );
  }
  await sql.unsafe('analyze sessions');
}

/** Sessions that this run's revoke-session calls ended (each call ends one, once). */
export async function countRevokedSessions(sql: Sql, reason: string): Promise<number> {
  const [row] = await sql.unsafe<{ count: string }[]>(`select count(*) as count from sessions where revoked_reason = $1`, [reason]);
  return Number(row?.count ?? 0);
}
