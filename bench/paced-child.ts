import { createInterface } from 'node:readline';
import type { SeededSession } from './fixtures';
import { pacedRefresh } from './paced-load';

/**
 * The half-peak refresh load in a process of its own, so that latency is measured without the
 * heap the benchmark has grown by then (its garbage collections would land in the tail of what
 * is reported as Gatehouse's p99). `paced-child.ts '<options as JSON>'` warms up, prints
 * "warm", waits for a line on stdin, then measures and prints the result and the CPU it used
 * as one line of JSON. With stdin closed (the benchmark gone) it exits.
 */
type Options = Parameters<typeof pacedRefresh>[1] & { name: string; warmup: { seconds: number; sessions: SeededSession[] } };
const options = JSON.parse(process.argv[2] ?? '') as Options;
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

// Compiled and warm before it measures, on token chains of its own (a chain cannot be taken
// over: the measured run starts from its sessions' first tokens).
await pacedRefresh('warm-up', { ...options, durationSeconds: options.warmup.seconds, sessions: options.warmup.sessions });
process.stdout.write('warm\n');
if ((await lines.next()).done) process.exit(0);

const started = process.cpuUsage();
const result = await pacedRefresh(options.name, options);
const used = process.cpuUsage(started);
process.stdout.write(`${JSON.stringify({ result, cpuUs: used.user + used.system })}\n`);
process.exit(0);
