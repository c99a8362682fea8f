/**
 * What this process has seen of the database's availability. The refresh grace window does
 * not run while the database could not be used: a client whose rotation committed just before
 * a failover, but whose answer was lost with the old primary, can only retry once the new
 * primary serves, often longer after the rotation than the window. That retry is the same
 * client racing itself, not a thief, and must get the same successor.
 */
export interface DatabaseHealth {
  /** Whether the last word from the database was that it works. */
  readonly available: boolean;
  /** Milliseconds of [from, to] during which this process could not use the database. */
  unavailableMsBetween(from: Date, to: Date): number;
}

export const alwaysAvailable: DatabaseHealth = { available: true, unavailableMsBetween: () => 0 };

/** An outage longer than this adds no more to the grace window: past it, an old token is reuse again. */
const MAX_CREDIT_MS = 15 * 60 * 1000;
const KEPT_OUTAGES = 32;

export class AvailabilityRecord implements DatabaseHealth {
  private lastSuccessAt: number | null = null;
  private outageSince: number | null = null;
  private readonly outages: Array<{ from: number; to: number }> = [];

  /**
   * @param lookbackMs how long before the first failure the outage may have begun: a statement
   *   fails at most this long (the statement deadline) after it was sent.
   */
  constructor(
    private readonly lookbackMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get available(): boolean {
    return this.outageSince === null;
  }

  succeeded(): void {
    const at = this.now();
    if (this.outageSince !== null) {
      this.outages.push({ from: this.outageSince, to: at });
      if (this.outages.length > KEPT_OUTAGES) this.outages.shift();
      this.outageSince = null;
    }
    this.lastSuccessAt = at;
  }

  failed(): void {
    if (this.outageSince !== null) return;
    const at = this.now();
    // Since the last statement known to have worked, but no earlier than a statement failing now could have been sent.
    this.outageSince = Math.max(this.lastSuccessAt ?? at, at - this.lookbackMs);
  }

  unavailableMsBetween(from: Date, to: Date): number {
    const start = from.getTime();
    const end = to.getTime();
    const spans = this.outageSince === null ? this.outages : [...this.outages, { from: this.outageSince, to: this.now() }];
    let total = 0;
    for (const span of spans) total += Math.max(0, Math.min(end, span.to) - Math.max(start, span.from));
    return Math.min(total, MAX_CREDIT_MS);
  }
}
