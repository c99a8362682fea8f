import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from './clock';
import type { Database } from './db/client';
import { alwaysAvailable, type DatabaseHealth } from './db/health';
import { silentTelemetry, type Deps, type Telemetry } from './domain/deps';
import { createRateLimits } from './domain/rate-limits';
import { createSigningKeyStore, signingKeySealingKeyFrom } from './domain/signing-keys';
import { signInAddressKeyFrom } from './domain/sign-in-attempts';
import { createAccessTokens, randomSecret, refreshDerivationKeyFrom } from './domain/tokens';
import { webhookSecretKeyFrom } from './domain/webhooks/secrets';
import { ConfigError, jwtSecretProblem, type Config } from './env';

/**
 * JWT_SECRET when set. Otherwise (the embedded database, outside production; env.ts requires
 * it everywhere else) one generated on first start and kept in the data folder, so that
 * tokens survive a restart. An in-memory database gets a fresh one.
 */
export function resolveJwtSecret(config: Config): string {
  if (config.jwtSecret) return config.jwtSecret;
  if (config.database.kind === 'postgres') throw new ConfigError('Invalid configuration:\n  JWT_SECRET: required with PostgreSQL');
  if (config.database.kind === 'pglite-memory') return randomSecret();
  const file = join(config.dataDir, 'jwt-secret');
  let stored: string;
  try {
    stored = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError(`Cannot read the server secret in ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`);
    }
    mkdirSync(config.dataDir, { recursive: true });
    const secret = randomSecret();
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  }
  // Never replaced here: a new secret would silently sign everyone out. The operator decides.
  const secret = stored.trim();
  const problem = jwtSecretProblem(secret);
  if (problem) {
    throw new ConfigError(
      `The server secret in ${file} ${secret === '' ? 'is empty' : `is unfit: it ${problem}`}. ` +
        'Delete the file to have a new one generated (this signs everyone out), or set JWT_SECRET.',
    );
  }
  return secret;
}

/**
 * Access tokens as this configuration issues and verifies them: with ES256 or EdDSA, from
 * the signing keys in the database (the store is returned too, for the JWKS and rotation).
 */
export function accessTokensFor(config: Config, jwtSecret: string, { db, clock }: { db: Database; clock: Clock }) {
  const signingKeys =
    config.accessTokenAlgorithm === 'HS256'
      ? null
      : createSigningKeyStore({
          db,
          clock,
          algorithm: config.accessTokenAlgorithm,
          sealingKey: signingKeySealingKeyFrom(jwtSecret),
          rotationDays: config.signingKeyRotationDays,
          accessTokenTtlSeconds: config.accessTokenTtlSeconds,
        });
  const accessTokens = createAccessTokens({
    algorithm: config.accessTokenAlgorithm,
    secret: jwtSecret,
    signingKeys: signingKeys ?? undefined,
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    ttlSeconds: config.accessTokenTtlSeconds,
  });
  return { accessTokens, signingKeys };
}

export function createDeps({
  db,
  config,
  clock,
  jwtSecret,
  telemetry = silentTelemetry,
  databaseHealth = alwaysAvailable,
}: {
  db: Database;
  config: Config;
  clock: Clock;
  jwtSecret: string;
  telemetry?: Telemetry;
  databaseHealth?: DatabaseHealth;
}): Deps {
  const { accessTokens, signingKeys } = accessTokensFor(config, jwtSecret, { db, clock });
  return {
    db,
    databaseHealth,
    config,
    clock,
    telemetry,
    rateLimits: createRateLimits(db, config.rateLimits, telemetry),
    accessTokens,
    signingKeys,
    refreshDerivationKey: refreshDerivationKeyFrom(jwtSecret),
    signInAddressKey: signInAddressKeyFrom(jwtSecret),
    webhookSecretKey: webhookSecretKeyFrom(jwtSecret),
  };
}
