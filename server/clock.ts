/** Where the time comes from. Tests pass a clock they move by hand, so expiry is tested without sleeping. */
export interface Clock {
  now(): Date;
  /**
   * Set on the real clock only. Statements that judge a refresh (rotation time, grace window,
   * idle and absolute expiry) then read the time in the database as they execute, not when the
   * request arrived: a request that waited for a slow or failing database is not aged by the
   * wait. A clock a test moves by hand leaves this unset, and its `now()` is sent instead.
   */
  readonly fromDatabase?: boolean;
}

export const systemClock: Clock = { now: () => new Date(), fromDatabase: true };

/** The time to give a statement: null means "the database's own time when it runs". */
export function statementTime(clock: Clock): Date | null {
  return clock.fromDatabase ? null : clock.now();
}
