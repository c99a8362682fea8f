import { isIP } from 'node:net';
import { z } from 'zod';

// The only reader of process.env. Everything else receives a parsed `Config`.

const seconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const DAY_SECONDS = 24 * 60 * 60;

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./.data'),
  DATABASE_URL: z
    .string()
    .regex(/^(postgres|postgresql|memory):\/\//, 'must start with postgres://, postgresql:// or memory://')
    .optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  DATABASE_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(300).default(5),
  JWT_SECRET: z
    .string()
    .superRefine((secret, ctx) => {
      const problem = jwtSecretProblem(secret);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  JWT_ISSUER: z.string().min(1).default('gatehouse'),
  JWT_AUDIENCE: z.string().min(1).default('gatehouse'),
  ACCESS_TOKEN_TTL_SECONDS: seconds(15 * 60),
  ACCESS_TOKEN_ALGORITHM: z.enum(['ES256', 'EdDSA', 'HS256']).default('ES256'),
  SIGNING_KEY_ROTATION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  SESSION_IDLE_TIMEOUT_SECONDS: seconds(14 * DAY_SECONDS),
  SESSION_ABSOLUTE_TIMEOUT_SECONDS: seconds(30 * DAY_SECONDS),
  REFRESH_REUSE_GRACE_SECONDS: z.coerce.number().int().min(0).max(300).default(10),
  REAUTH_MAX_AGE_SECONDS: seconds(15 * 60),
  PASSWORD_HASH_QUEUE_LIMIT: z.coerce.number().int().min(1).max(10_000).default(32),
  SESSION_RETENTION_SECONDS: seconds(7 * DAY_SECONDS),
  // At most a century: far more would put the purge's cut-off before the earliest date there is.
  AUDIT_RETENTION_DAYS: z.coerce.number().int().positive().max(36_500).default(365),
  CLEANUP_INTERVAL_SECONDS: seconds(60 * 60),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((value, ctx) => {
      const parsed = parseTrustProxy(value.trim());
      if (typeof parsed === 'object' && 'problem' in parsed) {
        ctx.addIssue({ code: 'custom', message: parsed.problem });
        return z.NEVER;
      }
      return parsed;
    }),
  RATE_LIMIT_SIGN_IN_FAILURES_PER_15_MINUTES: z.coerce.number().int().positive().default(5),
  RATE_LIMIT_REGISTRATIONS_PER_HOUR: z.coerce.number().int().positive().default(10),
  RATE_LIMIT_REFRESH_FAILURES_PER_MINUTE: z.coerce.number().int().positive().default(60),
  RATE_LIMIT_API_KEY_CALLS_PER_MINUTE: z.coerce.number().int().positive().default(6000),
  WEBHOOK_ALLOW_PRIVATE_URLS: z.enum(['true', 'false']).default('false').transform((value) => value === 'true'),
  WEBHOOK_POLL_INTERVAL_MS: z.coerce.number().int().min(10).max(3_600_000).default(1000),
  BENCH_FLOOR_PROCEDURE: z.enum(['true', 'false']).default('false').transform((value) => value === 'true'),
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((value) => value.split(',').map((origin) => origin.trim()).filter(Boolean)),
});

export type AccessTokenAlgorithm = 'ES256' | 'EdDSA' | 'HS256';

export type DatabaseTarget =
  | { kind: 'postgres'; url: string }
  | { kind: 'pglite-memory' }
  | { kind: 'pglite-dir'; dir: string };

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  host: string;
  dataDir: string;
  database: DatabaseTarget;
  databasePoolSize: number;
  /** The longest a request waits on the database (for a connection, or for an answer) before a 503. */
  databaseTimeoutSeconds: number;
  /**
   * Unset only for the embedded database outside production: then one is generated into the
   * data folder (or at random, for an in-memory database). Required on PostgreSQL.
   */
  jwtSecret: string | undefined;
  jwtIssuer: string;
  jwtAudience: string;
  accessTokenTtlSeconds: number;
  /** ES256 and EdDSA sign with keys kept in the database and published as JWKS; HS256 with JWT_SECRET. */
  accessTokenAlgorithm: AccessTokenAlgorithm;
  signingKeyRotationDays: number;
  sessionIdleTimeoutSeconds: number;
  sessionAbsoluteTimeoutSeconds: number;
  refreshReuseGraceSeconds: number;
  /** A session is "fresh" (may create keys and webhooks) this long after its user last proved their password. */
  reauthMaxAgeSeconds: number;
  /** Password hashes waiting for a thread beyond this many are refused with 503 server_busy. */
  passwordHashQueueLimit: number;
  /** How long ended sessions (and their tokens) are kept before the purge deletes them. */
  sessionRetentionSeconds: number;
  /** Audit events older than this many days are deleted by the purge. */
  auditRetentionDays: number;
  cleanupIntervalSeconds: number;
  corsOrigins: string[];
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * Express 'trust proxy': none (false), how many X-Forwarded-For hops to trust, or the proxies'
   * addresses and ranges. Never `true`, which would trust the entries the client writes.
   */
  trustProxy: false | number | string[];
  rateLimits: RateLimitSettings;
  /** Development and tests only: also allow http:// and private, loopback and link-local webhook addresses. */
  webhookAllowPrivateUrls: boolean;
  /** How often each instance looks for due webhook deliveries. */
  webhookPollIntervalMs: number;
  /**
   * `npm run bench` only: serve POST /auth/bench/noop, a procedure that does nothing, through the
   * same middlewares and adapter as every other, so that each operation's CPU can be read against it.
   */
  benchFloorProcedure: boolean;
}

export interface RateLimitSettings {
  /** Per account and client address; the per-account limit is 4 times this per hour, the per-address one 20 times. */
  signInFailuresPer15Minutes: number;
  registrationsPerHour: number;
  refreshFailuresPerMinute: number;
  apiKeyCallsPerMinute: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings count as unset, so `FOO= npm start` behaves like leaving FOO out.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.SESSION_IDLE_TIMEOUT_SECONDS > e.SESSION_ABSOLUTE_TIMEOUT_SECONDS) {
    throw new ConfigError(
      'Invalid configuration:\n  SESSION_IDLE_TIMEOUT_SECONDS: must not exceed SESSION_ABSOLUTE_TIMEOUT_SECONDS',
    );
  }
  if (e.NODE_ENV === 'production' && !e.JWT_SECRET) {
    throw new ConfigError('Invalid configuration:\n  JWT_SECRET: required when NODE_ENV=production');
  }
  if (e.DATABASE_URL && /^postgres(ql)?:/.test(e.DATABASE_URL) && !e.JWT_SECRET) {
    // A generated secret would differ per instance: tokens of one would be refused by the
    // others, and a refresh retried on another instance would look like reuse.
    throw new ConfigError(
      'Invalid configuration:\n  JWT_SECRET: required with a PostgreSQL DATABASE_URL (the same value on every instance; ' +
        'e.g. `openssl rand -base64 48`)',
    );
  }
  return {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    dataDir: e.DATA_DIR,
    database: databaseTarget(e.DATABASE_URL, e.DATA_DIR),
    databasePoolSize: e.DATABASE_POOL_SIZE,
    databaseTimeoutSeconds: e.DATABASE_TIMEOUT_SECONDS,
    jwtSecret: e.JWT_SECRET,
    jwtIssuer: e.JWT_ISSUER,
    jwtAudience: e.JWT_AUDIENCE,
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    accessTokenAlgorithm: e.ACCESS_TOKEN_ALGORITHM,
    signingKeyRotationDays: e.SIGNING_KEY_ROTATION_DAYS,
    sessionIdleTimeoutSeconds: e.SESSION_IDLE_TIMEOUT_SECONDS,
    sessionAbsoluteTimeoutSeconds: e.SESSION_ABSOLUTE_TIMEOUT_SECONDS,
    refreshReuseGraceSeconds: e.REFRESH_REUSE_GRACE_SECONDS,
    reauthMaxAgeSeconds: e.REAUTH_MAX_AGE_SECONDS,
    passwordHashQueueLimit: e.PASSWORD_HASH_QUEUE_LIMIT,
    sessionRetentionSeconds: e.SESSION_RETENTION_SECONDS,
    auditRetentionDays: e.AUDIT_RETENTION_DAYS,
    cleanupIntervalSeconds: e.CLEANUP_INTERVAL_SECONDS,
    corsOrigins: e.CORS_ORIGINS,
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    rateLimits: {
      signInFailuresPer15Minutes: e.RATE_LIMIT_SIGN_IN_FAILURES_PER_15_MINUTES,
      registrationsPerHour: e.RATE_LIMIT_REGISTRATIONS_PER_HOUR,
      refreshFailuresPerMinute: e.RATE_LIMIT_REFRESH_FAILURES_PER_MINUTE,
      apiKeyCallsPerMinute: e.RATE_LIMIT_API_KEY_CALLS_PER_MINUTE,
    },
    webhookAllowPrivateUrls: e.WEBHOOK_ALLOW_PRIVATE_URLS,
    webhookPollIntervalMs: e.WEBHOOK_POLL_INTERVAL_MS,
    benchFloorProcedure: e.BENCH_FLOOR_PROCEDURE,
  };
}

function databaseTarget(url: string | undefined, dataDir: string): DatabaseTarget {
  if (!url) return { kind: 'pglite-dir', dir: `${dataDir}/pglite` };
  if (url.startsWith('memory://')) return { kind: 'pglite-memory' };
  return { kind: 'postgres', url };
}

const PLACEHOLDERS = ['changeme', 'changethis', 'replaceme', 'replacewith', 'placeholder', 'yoursecret', 'yourjwtsecret', 'secrethere'];

/**
 * Why a server secret is unfit, or null. It keys HMACs (access tokens, refresh successors),
 * so a guessable one lets anyone mint tokens. The message never repeats the secret.
 */
export function jwtSecretProblem(secret: string): string | null {
  const advice = 'use a random value, e.g. `openssl rand -base64 48`';
  if (Buffer.byteLength(secret, 'utf8') < 32) return `must be at least 32 bytes; ${advice}`;
  if (new Set(secret).size < 10) return `has fewer than 10 distinct characters; ${advice}`;
  if (hasShortPeriod(secret)) return `is a short pattern repeated; ${advice}`;
  const letters = secret.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (PLACEHOLDERS.some((placeholder) => letters.includes(placeholder))) return `looks like a placeholder; ${advice}`;
  return null;
}

/** True when the string is some shorter string repeated (the last repetition may be cut short). */
function hasShortPeriod(value: string): boolean {
  for (let period = 1; period <= value.length / 2; period++) {
    if (value.slice(period) === value.slice(0, value.length - period)) return true;
  }
  return false;
}

// More hops than any real chain of proxies: a count above the real one trusts entries the client wrote.
const MAX_PROXY_HOPS = 10;
/** proxy-addr's names for reserved ranges, which Express accepts in a list. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function parseTrustProxy(value: string): false | number | string[] | { problem: string } {
  if (value === 'false') return false;
  if (value.toLowerCase() === 'true') {
    return {
      problem:
        'true is refused: Express would then take the leftmost X-Forwarded-For entry, which the client chooses. ' +
        "Give the hop count (e.g. 1 for one load balancer) or the proxies' addresses or CIDR ranges",
    };
  }
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > MAX_PROXY_HOPS) return { problem: `a hop count above ${MAX_PROXY_HOPS} trusts what clients write, as true would` };
    return hops === 0 ? false : hops;
  }
  const entries = value.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    const problem = proxyEntryProblem(entry);
    if (problem) return { problem: `${problem}; expected false, a hop count, or comma-separated proxy addresses or CIDR ranges` };
  }
  return entries;
}

function proxyEntryProblem(entry: string): string | null {
  if (entry === '') return 'an empty entry';
  if (PROXY_RANGE_NAMES.has(entry)) return null;
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return `"${entry}" is not an IP address or CIDR range`;
  if (prefix === undefined) return null;
  const maxPrefix = version === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > maxPrefix) return `"${entry}": the prefix length must be 1 to ${maxPrefix}`;
  if (Number(prefix) === 0) return `"${entry}" trusts every address, as true would`;
  return null;
}
