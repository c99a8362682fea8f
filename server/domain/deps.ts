import type { Clock } from '../clock';
import type { Database } from '../db/client';
import type { Config } from '../env';
import type { AccessTokens } from './tokens';

/** What every domain function may use; built once in main.ts (or by the test harness). */
export interface Deps {
  db: Database;
  config: Config;
  clock: Clock;
  accessTokens: AccessTokens;
  refreshDerivationKey: Buffer;
}

/** Where a request came from, recorded with sessions and audit events. */
export interface RequestOrigin {
  ipAddress: string | null;
  userAgent: string | null;
}
