import { randomBytes, randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { createBenchDatabase, type BenchDatabase, type Sql } from './database';
import { BENCH_PASSWORD, BENCH_USER_AGENT } from './fixtures';
import { startServerProcess, type ServerProcess } from './processes';

/** Sign-ups at once while seeding: each is a password hash, bound by the cores. */
const SIGN_UP_CONCURRENCY = 4;

export interface BetterAuthUser {
  id: string;
  email: string;
  /** The Cookie header of the session its sign-up started. */
  cookie: string;
}

export interface BetterAuthArm {
  server: ServerProcess;
  database: BenchDatabase;
  /** On Better Auth's database: seeding, counting, and its backends' CPU. */
  admin: Sql;
  origin: string;
  signUp(count: number, label: string): Promise<BetterAuthUser[]>;
  /** Live sessions for the users, written straight into Better Auth's table; returns their tokens per user. */
  seedSessions(users: BetterAuthUser[], perUser: number): Promise<string[][]>;
  countSessions(users: BetterAuthUser[]): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Better Auth on its own database of the same PostgreSQL server (bench/better-auth-server.ts
 * creates its schema with Better Auth's own migrations), with a pool of Gatehouse's size.
 */
export async function startBetterAuthArm({ adminUrl, poolSize }: { adminUrl: string; poolSize: number }): Promise<BetterAuthArm> {
  const database = await createBenchDatabase(adminUrl);
  const admin = postgres(database.url, { max: 2, onnotice: () => {} });
  let server: ServerProcess;
  try {
    server = await startServerProcess('Better Auth', 'bench/better-auth-server.ts', {
      NODE_ENV: 'production',
      BETTER_AUTH_DATABASE_URL: database.url,
      BETTER_AUTH_SECRET: randomBytes(32).toString('base64url'),
      DATABASE_POOL_SIZE: String(poolSize),
    });
  } catch (error) {
    await admin.end({ timeout: 5 });
    await database.drop();
    throw error;
  }
  const origin = server.baseUrl;
  let signedUp = 0;

  const signUpOne = async (label: string): Promise<BetterAuthUser> => {
    const email = `bench-${label}-${signedUp++}@example.com`;
    const response = await fetch(`${origin}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin, 'user-agent': BENCH_USER_AGENT },
      body: JSON.stringify({ email, password: BENCH_PASSWORD, name: 'Bench user' }),
    });
    const body = (await response.json()) as { user?: { id?: string } };
    const cookie = response.headers.getSetCookie().map((value) => value.split(';')[0]!).join('; ');
    if (response.status !== 200 || !body.user?.id || !cookie) {
      throw new Error(`Better Auth sign-up answered ${response.status}: ${JSON.stringify(body).slice(0, 300)}`);
    }
    return { id: body.user.id, email, cookie };
  };

  return {
    server,
    database,
    admin,
    origin,
    async signUp(count, label) {
      const users: BetterAuthUser[] = [];
      for (let start = 0; start < count; start += SIGN_UP_CONCURRENCY) {
        const batch = Math.min(SIGN_UP_CONCURRENCY, count - start);
        users.push(...(await Promise.all(Array.from({ length: batch }, () => signUpOne(label)))));
      }
      return users;
    },
    async seedSessions(users, perUser) {
      const tokens = users.map(() => Array.from({ length: perUser }, () => randomBytes(24).toString('base64url')));
      const rows = users.flatMap((user, u) => tokens[u]!.map((token) => ({ id: randomUUID(), token, userId: user.id })));
      for (let start = 0; start < rows.length; start += 50_000) {
        const chunk = rows.slice(start, start + 50_000);
        await admin.unsafe(
          `insert into "session" (id, token, "userId", "expiresAt", "createdAt", "updatedAt", "ipAddress", "userAgent")
           select s.id, s.token, s.user_id, now() + interval '7 days', now() - interval '1 hour', now() - interval '1 hour', '127.0.0.1', $4
             from unnest($1::text[], $2::text[], $3::text[]) as s(id, token, user_id)`,
          [chunk.map((r) => r.id), chunk.map((r) => r.token), chunk.map((r) => r.userId), BENCH_USER_AGENT] as never[],
        );
      }
      await admin.unsafe('analyze "session"');
      return tokens;
    },
    async countSessions(users) {
      const [row] = await admin.unsafe<{ count: string }[]>(`select count(*) as count from "session" where "userId" = any($1::text[])`, [
        users.map((user) => user.id),
      ] as never[]);
      return Number(row?.count ?? 0);
    },
    async stop() {
      await server.stop();
      await admin.end({ timeout: 5 });
    },
  };
}
