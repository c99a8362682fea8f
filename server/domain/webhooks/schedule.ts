/**
 * When a failed delivery is tried again, after each failed attempt (the first attempt is
 * immediate). Like Svix: the first retries come within seconds, so a receiver that was
 * restarting gets the event at once, then the gaps grow to hours. Twelve attempts over
 * about 2.9 days (with jitter, between about 2.4 and 3.5).
 */
export const RETRY_DELAYS_SECONDS = [
  5,
  30,
  2 * 60,
  10 * 60,
  30 * 60,
  60 * 60,
  3 * 60 * 60,
  6 * 60 * 60,
  12 * 60 * 60,
  24 * 60 * 60,
  24 * 60 * 60,
] as const;

export const MAX_ATTEMPTS = RETRY_DELAYS_SECONDS.length + 1;

/** ±20 %: endpoints that failed together (an outage) are not all retried in the same second. */
const JITTER = 0.2;

/**
 * Milliseconds to wait after the given number of failed attempts, or null when no attempt
 * is left. `random` returns a number in [0, 1), as Math.random does (tests pass their own).
 */
export function retryDelayMs(failedAttempts: number, random: () => number = Math.random): number | null {
  const base = RETRY_DELAYS_SECONDS[failedAttempts - 1];
  if (base === undefined) return null;
  const factor = 1 - JITTER + 2 * JITTER * random();
  return Math.round(base * 1000 * factor);
}
