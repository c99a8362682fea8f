import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

const STARTUP_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
/** Kept from a child's output, shown only if it fails: enough to see why, never a flood. */
const OUTPUT_TAIL_LINES = 20;

/** A port the kernel just gave out on 127.0.0.1, for a child to listen on. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface ServerProcess {
  name: string;
  pid: number;
  baseUrl: string;
  outputTail(): string;
  stop(): Promise<void>;
}

const running = new Set<ServerProcess>();

/**
 * Runs an entry point as its own process and waits until GET /health answers: built
 * JavaScript under plain node (Gatehouse, as `npm start` runs it), or TypeScript through tsx.
 * It starts through tests/helpers/orphan-guard.mjs, so that it cannot outlive the benchmark.
 */
export async function startServerProcess(
  name: string,
  entry: string,
  env: Record<string, string>,
  nodeArguments: string[] = [],
): Promise<ServerProcess> {
  const port = await freePort();
  const loader = entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child: ChildProcess = spawn(process.execPath, [...nodeArguments, ...loader, 'tests/helpers/orphan-guard.mjs', entry], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port) },
    // stdout is Gatehouse's request log, a line per request: written (that cost is the
    // server's) but not read, which would tax the load generator sharing the machine.
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(...chunk.toString().split('\n').filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - OUTPUT_TAIL_LINES));
  };
  child.stderr?.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));

  const handle: ServerProcess = {
    name,
    pid: child.pid ?? -1,
    baseUrl: `http://127.0.0.1:${port}`,
    outputTail: () => tail.join('\n'),
    async stop() {
      running.delete(handle);
      if (exited) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exit;
      clearTimeout(killer);
    },
  };
  running.add(handle);

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${name} exited during start-up:\n${handle.outputTail()}`);
    try {
      const response = await fetch(`${handle.baseUrl}/health`);
      if (response.ok) return handle;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await handle.stop();
  throw new Error(`${name} did not answer /health within ${STARTUP_TIMEOUT_MS / 1000} s:\n${handle.outputTail()}`);
}

/** For the failure path: whatever is still running is stopped, each by its own pid. */
export async function stopAllServerProcesses(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()));
}

/** Synchronous last resort when the bench itself is exiting. */
export function killAllServerProcessesNow(): void {
  for (const server of running) {
    try {
      process.kill(server.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export function processTree(pid: number): number[] {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    try {
      const children = readFileSync(`/proc/${pids[i]}/task/${pids[i]}/children`, 'utf8').trim();
      if (children) pids.push(...children.split(/\s+/).map(Number));
    } catch {
      // not Linux, or the process is gone
    }
  }
  return pids;
}

function residentMegabytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Resident memory of a process and its children, in MB. */
export function treeResidentMegabytes(pid: number): number {
  return processTree(pid).reduce((total, each) => total + residentMegabytes(each), 0);
}

/** Samples a process tree's RSS while it is under load; `peak()` is the largest sample. */
export function sampleResidentMemory(pid: number, intervalMs = 200) {
  let peak = treeResidentMegabytes(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, treeResidentMegabytes(pid));
  }, intervalMs);
  return {
    peak: () => peak,
    stop: () => clearInterval(timer),
  };
}
