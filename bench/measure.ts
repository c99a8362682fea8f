/** One line of the benchmark's table. Latencies in milliseconds. */
export interface ScenarioResult {
  name: string;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Non-2xx answers, socket errors and timeouts; for the SQL arms, failed or empty rotations. */
  errors: number;
  requests: number;
  note?: string;
  /** CPU microseconds per request: Gatehouse (or the Express arm), PostgreSQL backends, this process. */
  cpu?: { serverUs: number; databaseUs: number; loadGeneratorUs: number };
}

/** Runs a scenario and keeps its result; the runner adds what it measured around it. */
export type Measure = (
  run: () => Promise<ScenarioResult>,
  serverPid?: number,
  /** A connection to the database whose backends' CPU counts; the run's own by default. */
  cpuAdmin?: import('./database').Sql,
) => Promise<ScenarioResult>;

export function percentile(sortedAscending: ArrayLike<number>, fraction: number): number {
  if (sortedAscending.length === 0) return 0;
  const index = Math.min(sortedAscending.length - 1, Math.ceil(fraction * sortedAscending.length) - 1);
  return sortedAscending[Math.max(0, index)]!;
}

/** Latencies of many requests without an allocation per sample. */
export class LatencyRecorder {
  private samples = new Float64Array(1 << 16);
  private count = 0;

  record(milliseconds: number): void {
    if (this.count === this.samples.length) {
      const grown = new Float64Array(this.samples.length * 2);
      grown.set(this.samples);
      this.samples = grown;
    }
    this.samples[this.count++] = milliseconds;
  }

  get size(): number {
    return this.count;
  }

  summary(): { p50Ms: number; p99Ms: number } {
    const sorted = this.samples.slice(0, this.count).sort();
    return { p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99) };
  }
}

const elapsedMs = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e6;

/**
 * `concurrency` loops, each awaiting its own step again and again for `durationSeconds`: the
 * closed-loop load autocannon applies over HTTP, applied here to code that talks to PostgreSQL.
 * A step returns false when it did not do its job (counted as an error).
 */
export async function closedLoop(
  name: string,
  { concurrency, durationSeconds }: { concurrency: number; durationSeconds: number },
  step: (worker: number) => Promise<boolean>,
): Promise<ScenarioResult> {
  const latencies = new LatencyRecorder();
  let errors = 0;
  const started = process.hrtime.bigint();
  const stopAt = Date.now() + durationSeconds * 1000;
  const loop = async (worker: number) => {
    while (Date.now() < stopAt) {
      const begun = process.hrtime.bigint();
      let ok = false;
      try {
        ok = await step(worker);
      } catch {
        ok = false;
      }
      latencies.record(elapsedMs(begun));
      if (!ok) errors++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, worker) => loop(worker)));
  const seconds = elapsedMs(started) / 1000;
  const succeeded = latencies.size - errors;
  return { name, rps: succeeded / seconds, ...latencies.summary(), errors, requests: succeeded };
}

export const ratio = (numerator: number, denominator: number) =>
  denominator > 0 ? Math.round((numerator / denominator) * 1000) / 1000 : null;

export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
