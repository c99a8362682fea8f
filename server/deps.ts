import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from './clock';
import type { Database } from './db/client';
import { alwaysAvailable, type DatabaseHealth } from './db/health';
import { silentTelemetry, type Deps, type Telemetry } from './domain/deps';
import { createRateLimits } from './domain/rate-limits';
import { createAccessTokens, refreshDerivationKeyFrom } from './domain/tokens';
import type { Config } from './env';

/**
 * JWT_SECRET when set; otherwise (development) one generated on first start and kept in
 * the data folder, so that tokens survive a restart. An in-memory database gets a fresh one.
 */
export function resolveJwtSecret(config: Config): string {
  if (config.jwtSecret) return config.jwtSecret;
  if (config.database.kind === 'pglite-memory') return randomBytes(32).toString('base64url');
  const file = join(config.dataDir, 'jwt-secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(config.dataDir, { recursive: true });
    const secret = randomBytes(32).toString('base64url');
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  }
}

/** Access tokens as this configuration issues and verifies them. */
export function accessTokensFor(config: Config, jwtSecret: string) {
  return createAccessTokens({
    secret: jwtSecret,
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    ttlSeconds: config.accessTokenTtlSeconds,
  });
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
  return {
    db,
    databaseHealth,
    config,
    clock,
    telemetry,
    rateLimits: createRateLimits(db, config.rateLimits, telemetry),
    accessTokens: accessTokensFor(config, jwtSecret),
    refreshDerivationKey: refreshDerivationKeyFrom(jwtSecret),
  };
}
