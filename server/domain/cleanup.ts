import { deleteAuditEventsBefore } from '../db/queries/audit-events';
import { deleteKnownSignInAddressesBefore } from '../db/queries/known-sign-in-addresses';
import { withExclusiveJobLock } from '../db/queries/locks';
import { deleteExpiredRateLimitCounters } from '../db/queries/rate-limits';
import { deleteEndedSessions } from '../db/queries/sessions';
import { deleteSigningKeysRetiredBefore } from '../db/queries/signing-keys';
import type { Deps } from './deps';
import { KNOWN_ADDRESS_DAYS } from './sign-in-attempts';
import { CLOCK_SKEW_SECONDS } from './signing-keys';

/** The advisory lock that lets one instance at a time run the purge. */
export const PURGE_LOCK_NAME = 'gatehouse:purge-ended-sessions';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface PurgeResult {
  sessionsPurged: number;
  auditEventsPurged: number;
  signingKeysPurged: number;
  ranHere: boolean;
}

/**
 * Deletes sessions (and with them their refresh tokens) that ended more than the retention
 * period ago. Kept that long so a replayed token of a recently ended session is still
 * recognised and audited rather than unknown. Audit events go after AUDIT_RETENTION_DAYS,
 * so that the table does not grow without end. Rate-limit counters whose window has ended
 * go too, addresses a user has not signed in from for 30 days, and signing keys whose
 * last token has expired.
 */
export async function purgeEndedSessions(deps: Deps): Promise<PurgeResult> {
  const now = deps.clock.now().getTime();
  const retentionMs = deps.config.sessionRetentionSeconds * 1000;
  const outcome = await withExclusiveJobLock(deps.db, PURGE_LOCK_NAME, async (tx) => {
    const sessionsPurged = await deleteEndedSessions(tx, {
      endedBefore: new Date(now - retentionMs),
      idleSince: new Date(now - deps.config.sessionIdleTimeoutSeconds * 1000 - retentionMs),
    });
    const auditEventsPurged = await deleteAuditEventsBefore(tx, new Date(now - deps.config.auditRetentionDays * DAY_MS));
    // A known sign-in address counts for 30 days; after that its row is only personal data.
    await deleteKnownSignInAddressesBefore(tx, new Date(now - KNOWN_ADDRESS_DAYS * DAY_MS));
    // A signing key no live token can carry goes, private half included (a day after it could).
    const signingKeysPurged = await deleteSigningKeysRetiredBefore(
      tx,
      new Date(now - (deps.config.accessTokenTtlSeconds + CLOCK_SKEW_SECONDS) * 1000 - DAY_MS),
    );
    // The rate limiter keeps its own time (the wall clock), so its counters are judged by it too.
    await deleteExpiredRateLimitCounters(tx, new Date(Date.now() - RATE_LIMIT_COUNTER_GRACE_MS));
    return { sessionsPurged, auditEventsPurged, signingKeysPurged };
  });
  return outcome.ran ? { ...outcome.result, ranHere: true } : { sessionsPurged: 0, auditEventsPurged: 0, signingKeysPurged: 0, ranHere: false };
}

const RATE_LIMIT_COUNTER_GRACE_MS = 60 * 60 * 1000;

/** Runs the purge 5 seconds after start, then every interval; the returned function stops it. */
export function schedulePurge(
  deps: Deps,
  { intervalSeconds, onResult, onError }: {
    intervalSeconds: number;
    onResult: (result: PurgeResult) => void;
    onError: (error: unknown) => void;
  },
): () => void {
  const run = () => purgeEndedSessions(deps).then(onResult, onError);
  const first = setTimeout(run, 5_000);
  const timer = setInterval(run, intervalSeconds * 1000);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
