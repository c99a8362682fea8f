/** Where the time comes from. Tests pass a clock they move by hand, so expiry is tested without sleeping. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
