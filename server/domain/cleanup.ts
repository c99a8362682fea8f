import { withExclusiveJobLock } from '../db/queries/locks';
import { deleteExpiredRateLimitCounters } from '../db/queries/rate-limits';
import { deleteEndedSessions } from '../db/queries/sessions';
import type { Deps } from './deps';

/**
 * Deletes sessions (and with them their refresh tokens) that ended more than the retention
 * period ago. Kept that long so a replayed token of a recently ended session is still
 * recognised and audited rather than unknown. Audit events are kept. Rate-limit counters
 * whose window has ended go too.
 */
/** The advisory lock that lets one instance at a time run the purge. */
export const PURGE_LOCK_NAME = 'gatehouse:purge-ended-sessions';

export async function purgeEndedSessions(deps: Deps): Promise<{ sessionsPurged: number; ranHere: boolean }> {
  const now = deps.clock.now().getTime();
  const retentionMs = deps.config.sessionRetentionSeconds * 1000;
  const outcome = await withExclusiveJobLock(deps.db, PURGE_LOCK_NAME, async (tx) => {
    const sessionsPurged = await deleteEndedSessions(tx, {
      endedBefore: new Date(now - retentionMs),
      idleSince: new Date(now - deps.config.sessionIdleTimeoutSeconds * 1000 - retentionMs),
    });
    // The rate limiter keeps its own time (the wall clock), so its counters are judged by it too.
    await deleteExpiredRateLimitCounters(tx, new Date(Date.now() - RATE_LIMIT_COUNTER_GRACE_MS));
    return sessionsPurged;
  });
  return outcome.ran ? { sessionsPurged: outcome.result, ranHere: true } : { sessionsPurged: 0, ranHere: false };
}

const RATE_LIMIT_COUNTER_GRACE_MS = 60 * 60 * 1000;

/** Runs the purge 5 seconds after start, then every interval; the returned function stops it. */
export function schedulePurge(
  deps: Deps,
  { intervalSeconds, onResult, onError }: {
    intervalSeconds: number;
    onResult: (result: { sessionsPurged: number; ranHere: boolean }) => void;
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
