import { createHash } from 'node:crypto';
import { hashSecret } from '../server/domain/tokens';

/**
 * The seeded data is a pure function of (run seed, index), computed once in SQL for the bulk
 * insert and again in JS for the few sessions the load generator drives. Keeping the two
 * definitions side by side is what lets a million sessions be seeded without a million round
 * trips, while the benchmark still knows the refresh token of every session it uses.
 */

/** Ten sessions per user, ten users per organization: a user's session list has ten rows. */
export const SESSIONS_PER_USER = 10;
export const USERS_PER_ORGANIZATION = 10;

/** Every seeded user signs in with this; it is a benchmark fixture, not a secret. */
export const BENCH_PASSWORD = 'gatehouse benchmark passphrase';

export const BENCH_USER_AGENT = 'gatehouse-bench';

/** Stored refresh tokens are looked up by this hash: the server's own function. */
export const hashToken = hashSecret;

export const userIndexOfSession = (session: number) => Math.floor(session / SESSIONS_PER_USER);
export const organizationIndexOfUser = (user: number) => Math.floor(user / USERS_PER_ORGANIZATION);

export const userId = (user: number) => `bench-user-${user}`;
export const organizationId = (organization: number) => `bench-org-${organization}`;
export const userEmail = (user: number) => `bench-${user}@example.com`;

export interface SeededSession {
  index: number;
  sessionId: string;
  userId: string;
  organizationId: string;
  /** The session's current refresh token, as the client that signed in would hold it. */
  refreshToken: string;
}

export function seededSession(seed: string, index: number): SeededSession {
  const user = userIndexOfSession(index);
  const hex = createHash('md5').update(`${seed}:session:${index}`).digest('hex');
  return {
    index,
    sessionId: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
    userId: userId(user),
    organizationId: organizationId(organizationIndexOfUser(user)),
    refreshToken: hashSecret(`${seed}:token:${index}`),
  };
}

/** SQL twins of the functions above; `i` is the session index, `$seed` the run seed. */
export const sql = {
  base64urlFunction: `
    create or replace function bench_base64url(bytes bytea) returns text
    language sql immutable strict
    as $$ select translate(rtrim(encode(bytes, 'base64'), '='), '+/', '-_') $$`,
  sessionId: (seedParam: string, i: string) => `md5(${seedParam} || ':session:' || ${i})::uuid`,
  refreshToken: (seedParam: string, i: string) =>
    `bench_base64url(sha256(convert_to(${seedParam} || ':token:' || ${i}, 'UTF8')))`,
  hashToken: (token: string) => `bench_base64url(sha256(convert_to(${token}, 'UTF8')))`,
};

/**
 * Hands out seeded users to the scenarios so that no two of them touch the same session: a
 * refresh chain used twice, or a session revoked under another scenario's feet, would be a
 * measurement error (or a reuse detection) rather than a property of Gatehouse.
 */
export class SeededUserAllocator {
  private nextUser = 0;

  constructor(
    private readonly seed: string,
    private readonly seededSessions: number,
  ) {}

  /** `count` users, each as its ten sessions (slot 0 first). */
  users(count: number): SeededSession[][] {
    const firstUser = this.nextUser;
    this.nextUser += count;
    if (this.nextUser * SESSIONS_PER_USER > this.seededSessions) {
      throw new Error(`the scenarios need more than ${this.seededSessions} seeded sessions: raise --sessions`);
    }
    return Array.from({ length: count }, (_, u) =>
      Array.from({ length: SESSIONS_PER_USER }, (_, slot) => seededSession(this.seed, (firstUser + u) * SESSIONS_PER_USER + slot)),
    );
  }

  /** `count` distinct sessions, for refresh chains, packed ten to a user. */
  sessions(count: number): SeededSession[] {
    return this.users(Math.ceil(count / SESSIONS_PER_USER)).flat().slice(0, count);
  }

  /**
   * `count` sessions spread evenly over the not yet allocated part of [0, upToSession), so that
   * a measurement at a million stored sessions does not only touch the first pages of the table.
   */
  spreadSessions(count: number, upToSession: number): SeededSession[] {
    const firstUser = this.nextUser;
    const users = Math.floor(upToSession / SESSIONS_PER_USER) - firstUser;
    if (users < count) throw new Error('not enough seeded sessions left to spread over: raise --sessions');
    const stride = Math.floor(users / count);
    return Array.from({ length: count }, (_, i) => {
      let index = (firstUser + i * stride + Math.floor(stride / 2)) * SESSIONS_PER_USER;
      while (this.spread.has(index)) index++;
      this.spread.add(index);
      return seededSession(this.seed, index);
    });
  }

  private readonly spread = new Set<number>();
}
