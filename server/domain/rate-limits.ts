import { isIPv6 } from 'node:net';
import { RateLimiterDrizzle, RateLimiterRes } from 'rate-limiter-flexible';
import type { Database } from '../db/client';
import { deleteRateLimitCounter, findLiveRateLimitCounter, upsertRateLimitCounter } from '../db/queries/rate-limits';
import { rateLimits as rateLimitsTable } from '../db/schema';
import type { RateLimitSettings } from '../env';
import { AppError } from '../errors';
import type { Telemetry } from './deps';
import { hashSecret } from './tokens';

/**
 * Every limit, in points per window. Windows are short and blocks end with them, so
 * someone else's failures can delay a legitimate user but never lock them out for good;
 * a user signing in from their own address is only held back by the per-account limit.
 */
export function rateLimitPolicies(settings: RateLimitSettings) {
  const signInFailures = settings.signInFailuresPer15Minutes;
  return {
    signInFailuresPerAccountAndIp: { points: signInFailures, durationSeconds: 15 * 60 },
    // Wider nets for attacks spread over many addresses, or over many accounts from one.
    signInFailuresPerAccount: { points: 4 * signInFailures, durationSeconds: 60 * 60 },
    signInFailuresPerIp: { points: 20 * signInFailures, durationSeconds: 60 * 60 },
    registrationsPerIp: { points: settings.registrationsPerHour, durationSeconds: 60 * 60 },
    // Successful rotations are not counted: each needs the live token of a session, and the
    // hot path stays one statement. Unknown, reused and dead tokens are.
    refreshFailuresPerIp: { points: settings.refreshFailuresPerMinute, durationSeconds: 60 },
    callsPerApiKey: { points: settings.apiKeyCallsPerMinute, durationSeconds: 60 },
    // A resource server may introspect with a Bearer token instead of a key: the same budget, per session.
    introspectionsPerSession: { points: settings.apiKeyCallsPerMinute, durationSeconds: 60 },
  } as const;
}

export type RateLimitName = keyof ReturnType<typeof rateLimitPolicies>;

/**
 * rate-limiter-flexible's Drizzle store (atomic under concurrency, on both drivers) with its three
 * storage operations replaced by the same statements prepared (server/db/queries/rate-limits.ts):
 * every limited call counts a point, and the store would otherwise rebuild its upsert each time.
 * These are the store's extension points, the ones each of its storage backends implements.
 */
class PreparedRateLimiterDrizzle extends RateLimiterDrizzle {
  constructor(
    private readonly db: Database,
    options: ConstructorParameters<typeof RateLimiterDrizzle>[0],
  ) {
    super(options);
  }

  _upsert(key: string, points: number, msDuration: number, forceExpire = false) {
    const now = new Date();
    const expiresAt = msDuration > 0 ? new Date(now.getTime() + msDuration) : null;
    return upsertRateLimitCounter(this.db, { key, points, now, expiresAt, replace: forceExpire });
  }

  _get(key: string) {
    return findLiveRateLimitCounter(this.db, key, new Date());
  }

  _delete(key: string) {
    return deleteRateLimitCounter(this.db, key);
  }
}

/** IPv6 clients usually own a whole /64: limiting single addresses would be no limit at all. */
export function clientAddressKey(ipAddress: string | null): string {
  if (!ipAddress) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ipAddress);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ipAddress)) return ipAddress;
  const [head = '', tail = ''] = ipAddress.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = ipAddress.includes('::') ? [...headGroups, ...Array(missing).fill('0'), ...tailGroups] : headGroups;
  return `${groups.slice(0, 4).map((group) => group.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** Emails are personal data: the counters store a hash of them. */
function accountKey(email: string): string {
  return hashSecret(email).slice(0, 22);
}

export function createRateLimits(db: Database, settings: RateLimitSettings, telemetry: Telemetry) {
  const policies = rateLimitPolicies(settings);
  const limiters = Object.fromEntries(
    Object.entries(policies).map(([name, policy]) => [
      name,
      new PreparedRateLimiterDrizzle(db, {
        storeClient: db,
        schema: rateLimitsTable,
        keyPrefix: name,
        points: policy.points,
        duration: policy.durationSeconds,
        // Expired rows are deleted by the purge job, in one instance, not by a timer in each.
        clearExpiredByTimeout: false,
      }),
    ]),
  ) as Record<RateLimitName, PreparedRateLimiterDrizzle>;

  const refuse = (name: RateLimitName, msBeforeNext: number): never => {
    telemetry.rateLimited(name);
    throw new AppError('rate_limited', undefined, { retryAfterSeconds: Math.max(1, Math.ceil(msBeforeNext / 1000)) });
  };

  /** Counts one point; over the limit, refuses with 429. Storage errors propagate (503 when the database is down). */
  const consume = async (name: RateLimitName, key: string): Promise<void> => {
    try {
      await limiters[name].consume(key);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) refuse(name, rejection.msBeforeNext);
      throw rejection;
    }
  };

  const signInKeys = (email: string, ipAddress: string | null) => {
    const address = clientAddressKey(ipAddress);
    const account = accountKey(email);
    return [
      ['signInFailuresPerAccountAndIp', `${account}:${address}`],
      ['signInFailuresPerAccount', account],
      ['signInFailuresPerIp', address],
    ] as const;
  };

  return {
    /**
     * Counts a failed sign-in on every limit that applies *before* the password is checked,
     * so that parallel or batched guesses cannot overshoot a limit: of 50 at once, only as
     * many as the limit allows get as far as the password. The caller then says how it went:
     * `succeeded()` gives the points back (and forgives this address's earlier failures),
     * `release()` gives them back when the password could not be checked at all (server
     * busy); a wrong password keeps them. From an address the user is known to sign in
     * from, only the per-account-and-address limit applies.
     */
    async reserveSignInAttempt(
      email: string,
      ipAddress: string | null,
      { fromKnownAddress }: { fromKnownAddress: boolean },
    ): Promise<SignInAttempt> {
      const keys = signInKeys(email, ipAddress).filter(
        ([name]) => !fromKnownAddress || name === 'signInFailuresPerAccountAndIp',
      );
      const outcomes = await Promise.allSettled(keys.map(([name, key]) => consume(name, key)));
      const reserved = keys.filter((_, index) => outcomes[index]!.status === 'fulfilled');
      const giveBack = () => Promise.all(reserved.map(([name, key]) => limiters[name].reward(key))).then(() => {});
      const refusal = outcomes.find((outcome) => outcome.status === 'rejected');
      if (refusal) {
        // Refused unevaluated: the limits that did not refuse keep nothing of it.
        await giveBack();
        throw refusal.reason;
      }
      return {
        release: giveBack,
        async succeeded() {
          // The first is always the per-account-and-address limit: this address is forgiven.
          await Promise.all(
            reserved.map(([name, key], index) => (index === 0 ? limiters[name].delete(key) : limiters[name].reward(key))),
          );
        },
      };
    },
    consumeRegistration: (ipAddress: string | null) => consume('registrationsPerIp', clientAddressKey(ipAddress)),
    consumeRefreshFailure: (ipAddress: string | null) => consume('refreshFailuresPerIp', clientAddressKey(ipAddress)),
    consumeApiKeyCall: (apiKeyId: string) => consume('callsPerApiKey', apiKeyId),
    consumeSessionIntrospection: (sessionId: string) => consume('introspectionsPerSession', sessionId),
  };
}

export type RateLimits = ReturnType<typeof createRateLimits>;

/** A sign-in attempt whose failure is already counted; see `reserveSignInAttempt`. */
export interface SignInAttempt {
  succeeded(): Promise<void>;
  release(): Promise<void>;
}
