import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';
import type { SeededSession } from './fixtures';
import { JSON_HEADERS, nextRefreshToken, paths, type Transport } from './http-load';
import { LatencyRecorder, type ScenarioResult } from './measure';
import { REPO_ROOT } from './processes';

const TICK_MS = 1;

/**
 * Refresh at a fixed rate, open loop: request k is due at start + k / rate, whatever happened to
 * the ones before it, and its latency is counted from when it was due (so a stall shows up in
 * the tail instead of silently lowering the rate). autocannon's `overallRate` lets each
 * connection send its whole per-second quota back to back at the top of every second, which
 * measures bursts at full concurrency rather than half the load; this spreads arrivals evenly.
 * Each chain has at most one request in flight, as a client refreshing its own session would.
 */
export async function pacedRefresh(
  name: string,
  { baseUrl, transport, ratePerSecond, durationSeconds, sessions }: {
    baseUrl: string;
    transport: Transport;
    ratePerSecond: number;
    durationSeconds: number;
    sessions: SeededSession[];
  },
): Promise<ScenarioResult> {
  const { hostname, port } = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: sessions.length });
  const path = paths.refresh[transport];
  const idleChains = sessions.map((session) => ({ token: session.refreshToken }));
  const waiting: number[] = [];
  const latencies = new LatencyRecorder();
  let errors = 0;
  let inFlight = 0;
  let sent = 0;

  const send = (chain: { token: string }, dueAt: number) => {
    inFlight++;
    const body = JSON.stringify({ refresh_token: chain.token });
    const finish = (ok: boolean) => {
      latencies.record(performance.now() - dueAt);
      if (!ok) errors++;
      inFlight--;
      const due = waiting.shift();
      if (due === undefined) idleChains.push(chain);
      else send(chain, due);
    };
    const req = request(
      {
        agent,
        hostname,
        port,
        path,
        method: 'POST',
        headers: { ...JSON_HEADERS, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          if (res.statusCode !== 200) return finish(false);
          chain.token = nextRefreshToken(transport, Buffer.concat(chunks).toString()) ?? chain.token;
          finish(true);
        });
      },
    );
    req.on('error', () => finish(false));
    req.end(body);
  };

  const startedAt = performance.now();
  const endAt = startedAt + durationSeconds * 1000;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      const dueCount = Math.floor(((Math.min(now, endAt) - startedAt) / 1000) * ratePerSecond);
      for (; sent < dueCount; sent++) {
        const dueAt = startedAt + (sent / ratePerSecond) * 1000;
        const chain = idleChains.pop();
        if (chain) send(chain, dueAt);
        else waiting.push(dueAt);
      }
      if (now >= endAt) {
        clearInterval(timer);
        // What was due is still answered and counted; only then is the run over.
        const drain = setInterval(() => {
          if (inFlight === 0 && waiting.length === 0) {
            clearInterval(drain);
            resolve();
          }
        }, TICK_MS);
      }
    }, TICK_MS);
  });
  agent.destroy();
  const seconds = (performance.now() - startedAt) / 1000;
  return {
    name,
    rps: (latencies.size - errors) / seconds,
    ...latencies.summary(),
    errors,
    requests: latencies.size - errors,
    note: `open loop at ${Math.round(ratePerSecond)}/s`,
  };
}

/**
 * pacedRefresh, run by bench/paced-child.ts in a fresh process: resolves once it is warm, with
 * `measure()`, which runs the measured part. The CPU that process used then is added to the load
 * generator's share, which the caller's meter cannot see.
 */
export async function startPacedRefreshChild(
  name: string,
  options: Parameters<typeof pacedRefresh>[1] & { warmup: { seconds: number; sessions: SeededSession[] } },
): Promise<{ measure: () => Promise<{ result: ScenarioResult; cpuUs: number }> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/paced-child.ts', JSON.stringify({ name, ...options })], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const failed = async () => new Error(`the paced load generator failed (${await exited}): ${stderr.slice(-2000)}`);
  const next = async () => {
    const line = await lines.next();
    if (line.done) throw await failed();
    return line.value;
  };
  if ((await next()) !== 'warm') throw await failed();
  return {
    async measure() {
      child.stdin.write('go\n');
      const outcome = JSON.parse(await next()) as { result: ScenarioResult; cpuUs: number };
      child.stdin.end();
      await exited;
      return outcome;
    },
  };
}
