import type { Clock } from '../clock';
import type { Database } from '../db/client';
import type { DatabaseHealth } from '../db/health';
import type { Config } from '../env';
import type { ClientHints } from './devices';
import type { RateLimits } from './rate-limits';
import type { SigningKeyStore } from './signing-keys';
import type { AccessTokens } from './tokens';
import type { ResolveHost } from './webhooks/addresses';

/** Counters the domain reports to; the HTTP layer turns them into Prometheus metrics. */
export interface Telemetry {
  refreshed(outcome: 'rotated' | 'grace_replay' | 'reuse_detected' | 'refused'): void;
  rateLimited(limit: string): void;
}

export const silentTelemetry: Telemetry = { refreshed() {}, rateLimited() {} };

/** What every domain function may use; built once in main.ts (or by the test harness). */
export interface Deps {
  db: Database;
  config: Config;
  clock: Clock;
  accessTokens: AccessTokens;
  /** The database's signing keys (ES256, EdDSA); null with HS256. */
  signingKeys: SigningKeyStore | null;
  refreshDerivationKey: Buffer;
  /** Keys the hash under which addresses a user signed in from are remembered. */
  signInAddressKey: Buffer;
  /** AES-256-GCM key for webhook signing secrets at rest (derived from the server secret). */
  webhookSecretKey: Buffer;
  /** DNS for the webhook URL check at creation; unset means the system resolver (tests play DNS with it). */
  resolveHost?: ResolveHost;
  telemetry: Telemetry;
  rateLimits: RateLimits;
  /** When the database could not be used: that time does not count against the refresh grace window. */
  databaseHealth: DatabaseHealth;
}

/** Where a request came from, recorded with sessions and audit events. */
export interface RequestOrigin {
  ipAddress: string | null;
  userAgent: string | null;
  /** User-Agent Client Hints the browser sent; kept with a session started by this request. */
  clientHints?: ClientHints | null;
}
