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
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  JWT_ISSUER: z.string().min(1).default('gatehouse'),
  JWT_AUDIENCE: z.string().min(1).default('gatehouse'),
  ACCESS_TOKEN_TTL_SECONDS: seconds(15 * 60),
  SESSION_IDLE_TIMEOUT_SECONDS: seconds(14 * DAY_SECONDS),
  SESSION_ABSOLUTE_TIMEOUT_SECONDS: seconds(30 * DAY_SECONDS),
  REFRESH_REUSE_GRACE_SECONDS: z.coerce.number().int().min(0).max(300).default(10),
  REAUTH_MAX_AGE_SECONDS: seconds(15 * 60),
  PASSWORD_HASH_QUEUE_LIMIT: z.coerce.number().int().min(1).max(10_000).default(32),
  SESSION_RETENTION_SECONDS: seconds(7 * DAY_SECONDS),
  CLEANUP_INTERVAL_SECONDS: seconds(60 * 60),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((value, ctx) => {
      if (value === 'false') return false;
      if (value === 'true') return true;
      if (/^\d+$/.test(value)) return Number(value);
      if (/^[0-9a-fA-F.:/, ]+$/.test(value)) return value.split(',').map((part) => part.trim());
      ctx.addIssue({ code: 'custom', message: 'must be false, true, a hop count, or a comma-separated list of proxy addresses' });
      return z.NEVER;
    }),
  RATE_LIMIT_SIGN_IN_FAILURES_PER_15_MINUTES: z.coerce.number().int().positive().default(5),
  RATE_LIMIT_REGISTRATIONS_PER_HOUR: z.coerce.number().int().positive().default(10),
  RATE_LIMIT_REFRESH_FAILURES_PER_MINUTE: z.coerce.number().int().positive().default(60),
  RATE_LIMIT_API_KEY_CALLS_PER_MINUTE: z.coerce.number().int().positive().default(6000),
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((value) => value.split(',').map((origin) => origin.trim()).filter(Boolean)),
});

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
  /** Unset means "generate one and keep it in the data folder" (embedded default only). */
  jwtSecret: string | undefined;
  jwtIssuer: string;
  jwtAudience: string;
  accessTokenTtlSeconds: number;
  sessionIdleTimeoutSeconds: number;
  sessionAbsoluteTimeoutSeconds: number;
  refreshReuseGraceSeconds: number;
  /** A session is "fresh" (may create keys and webhooks) this long after its user last proved their password. */
  reauthMaxAgeSeconds: number;
  /** Password hashes waiting for a thread beyond this many are refused with 503 server_busy. */
  passwordHashQueueLimit: number;
  /** How long ended sessions (and their tokens) are kept before the purge deletes them. */
  sessionRetentionSeconds: number;
  cleanupIntervalSeconds: number;
  corsOrigins: string[];
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Express 'trust proxy': whether and which X-Forwarded-For hops give the client's address. */
  trustProxy: boolean | number | string[];
  rateLimits: RateLimitSettings;
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
    sessionIdleTimeoutSeconds: e.SESSION_IDLE_TIMEOUT_SECONDS,
    sessionAbsoluteTimeoutSeconds: e.SESSION_ABSOLUTE_TIMEOUT_SECONDS,
    refreshReuseGraceSeconds: e.REFRESH_REUSE_GRACE_SECONDS,
    reauthMaxAgeSeconds: e.REAUTH_MAX_AGE_SECONDS,
    passwordHashQueueLimit: e.PASSWORD_HASH_QUEUE_LIMIT,
    sessionRetentionSeconds: e.SESSION_RETENTION_SECONDS,
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
  };
}

function databaseTarget(url: string | undefined, dataDir: string): DatabaseTarget {
  if (!url) return { kind: 'pglite-dir', dir: `${dataDir}/pglite` };
  if (url.startsWith('memory://')) return { kind: 'pglite-memory' };
  return { kind: 'postgres', url };
}
