import { type ScenarioResult, round } from './measure';

const pad = (text: string, width: number) => text.padEnd(width);
const padLeft = (text: string, width: number) => text.padStart(width);

export function printTable(results: ScenarioResult[]): void {
  const nameWidth = Math.max(...results.map((result) => result.name.length), 8) + 2;
  console.log(
    `\n${pad('scenario', nameWidth)}${padLeft('req/s', 10)}${padLeft('p50 ms', 10)}${padLeft('p99 ms', 10)}${padLeft('errors', 9)}` +
      `${padLeft('CPU µs/req: server', 20)}${padLeft('postgres', 10)}${padLeft('loadgen', 9)}  note`,
  );
  for (const result of results) {
    console.log(
      `${pad(result.name, nameWidth)}${padLeft(round(result.rps, 0).toString(), 10)}${padLeft(round(result.p50Ms, 2).toString(), 10)}` +
        `${padLeft(round(result.p99Ms, 2).toString(), 10)}${padLeft(result.errors.toString(), 9)}` +
        `${padLeft(String(result.cpu?.serverUs ?? ''), 20)}${padLeft(String(result.cpu?.databaseUs ?? ''), 10)}` +
        `${padLeft(String(result.cpu?.loadGeneratorUs ?? ''), 9)}  ${result.note ?? ''}`,
    );
  }
}

export function printRatios(lines: [string, number | null, string][]): void {
  console.log('');
  for (const [label, value, target] of lines) {
    console.log(`${pad(label, 34)}${padLeft(value === null ? 'n/a' : value.toFixed(3), 8)}   ${target}`);
  }
}

/** Seconds, for progress lines on stderr (stdout ends with the one JSON line). */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

export async function timed<T>(label: string, work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  const value = await work();
  const seconds = round((performance.now() - started) / 1000, 2);
  progress(`${label}: ${seconds} s`);
  return { value, seconds };
}
